// Whether a pipeline can run here, from its stages' own preflight checks (binaries, API keys):
// `spx doctor` runs them in the real environment, `spx pipelines list` in an empty one to learn
// what each pipeline needs. A need is named by the first word of the check's message
// ("ffmpeg was not found…", "OPENAI_API_KEY is not set…").
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { toSpxError, type SpxError } from '@spx/core';
import type { LoadedPipeline } from '@spx/core/engine';

type Env = Readonly<Record<string, string | undefined>>;
const NEED_CODES = new Set(['BINARY_NOT_FOUND', 'MISSING_API_KEY']);

/** Every distinct problem a stage's preflight reports in `env`. */
export async function preflightProblems(pipeline: LoadedPipeline, env: Env): Promise<SpxError[]> {
  const problems = new Map<string, SpxError>();
  for (const id of pipeline.order) {
    const stage = pipeline.stages.get(id)!;
    try {
      await stage.definition.preflight?.({ stageId: id, params: structuredClone(stage.spec.with ?? {}) as Record<string, unknown>, env });
    } catch (thrown) {
      const problem = toSpxError(thrown);
      problems.set(`${problem.code}\n${problem.message}`, problem);
    }
  }
  return [...problems.values()];
}

/** The name a missing binary or API key problem is about, or undefined for any other problem. */
export function needName(problem: SpxError): string | undefined {
  return NEED_CODES.has(problem.code) ? problem.message.split(/\s/)[0] : undefined;
}

/**
 * What a pipeline needs from the machine. Its checks first run with an empty PATH and no
 * variables; a check stops at the first thing it misses, so each need named is then provided
 * (an empty executable file of that name on PATH, a placeholder value for a variable; checks
 * only look, they never run anything) and the checks run again until they name nothing new.
 */
export async function pipelineNeeds(pipeline: LoadedPipeline): Promise<string[]> {
  const bin = mkdtempSync(join(tmpdir(), 'spx-needs-'));
  const env: Record<string, string> = { PATH: bin };
  const needs: string[] = [];
  try {
    for (let round = 0; round < 16; round++) {
      const named = (await preflightProblems(pipeline, env)).flatMap((p) => {
        const name = needName(p);
        return name && !needs.includes(name) ? [{ name, binary: p.code === 'BINARY_NOT_FOUND' }] : [];
      });
      if (named.length === 0) break;
      for (const { name, binary } of named) {
        needs.push(name);
        if (binary) writeFileSync(join(bin, basename(name)), '', { mode: 0o755 });
        else env[name] = 'placeholder';
      }
    }
    // Binaries first (lower case names), then variables, each in the order the stages named them.
    return [...needs.filter((n) => !/^[A-Z0-9_]+$/.test(n)), ...needs.filter((n) => /^[A-Z0-9_]+$/.test(n))];
  } finally {
    rmSync(bin, { recursive: true, force: true });
  }
}
