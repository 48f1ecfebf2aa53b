// Where a run's artifacts live: the work dir its recorded artifact paths name
// (`<work dir>/runs/<id>/<stage>/…`), else the server's. Reruns and deletes use it, so a run made
// with another --work-dir is resumed and removed where it really is.
import { sep } from 'node:path';
import { isRunArtifactPath, runArtifacts, type RunState } from './engine.js';

export function workDirOf(state: RunState, fallback: string): string {
  for (const artifact of runArtifacts(state)) {
    if (artifact.export || !isRunArtifactPath(artifact.path, state.id)) continue;
    const marker = `${sep}runs${sep}${state.id}${sep}`;
    const at = artifact.path.lastIndexOf(marker);
    if (at > 0) return artifact.path.slice(0, at);
  }
  return fallback;
}
