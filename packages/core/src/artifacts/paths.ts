// Path safety for every path spx builds from a name it did not choose: run ids and stage ids read
// from a store or an import, artifact names from plugins, export names from pipeline params. A path
// is accepted only when it lies inside its root, lexically and after resolving symlinks, and no
// existing component below the root is a symbolic link, so nothing is ever written, read as a
// checkpoint or removed through a link someone planted.
import { lstatSync, realpathSync } from 'node:fs';
import { isAbsolute, join, relative, resolve, sep } from 'node:path';
import { EXIT, SpxError } from '../errors/errors.js';

/** Run ids spx makes are 12 lower-case hex digits; imports of the seed system's ids are allowed too. */
export const RUN_ID_PATTERN = /^[A-Za-z0-9_-]{4,64}$/;
/** Stage ids: the pipeline schema's stage-key pattern. */
export const STAGE_ID_PATTERN = /^[a-zA-Z][a-zA-Z0-9_-]*$/;
/** Longest file name most file systems accept (bytes). */
const NAME_MAX = 255;

export function isRunId(value: unknown): value is string {
  return typeof value === 'string' && RUN_ID_PATTERN.test(value);
}

export function isStageId(value: unknown): value is string {
  return typeof value === 'string' && STAGE_ID_PATTERN.test(value) && Buffer.byteLength(value) <= NAME_MAX;
}

function unsafe(message: string, hint: string): SpxError {
  return new SpxError('PATH_UNSAFE', message, { hint });
}

/** Why `segment` cannot be one component of a path, or undefined when it can. */
export function segmentProblem(segment: unknown): string | undefined {
  if (typeof segment !== 'string') return 'is not a string';
  if (segment === '') return 'is empty';
  if (segment === '.' || segment === '..') return `is "${segment}"`;
  if (segment.includes('\0')) return 'contains a NUL character';
  if (segment.includes('/') || segment.includes('\\')) return 'contains a path separator';
  if (Buffer.byteLength(segment) > NAME_MAX) return `is longer than ${NAME_MAX} bytes`;
  return undefined;
}

function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}…` : value);
}

/**
 * `root` joined with `segments`, after checking that each segment is one plain name, that no
 * existing component below the root is a symbolic link and that the real path of the deepest
 * existing component is inside the real root. Throws PATH_UNSAFE otherwise. The root itself may be
 * a symlink (the user named it).
 */
export function confine(root: string, ...segments: string[]): string {
  const base = resolve(root);
  for (const segment of segments) {
    const problem = segmentProblem(segment);
    if (problem) throw unsafe(`Path component ${show(String(segment))} under ${base} ${problem}.`, 'Names used in paths must be plain file names; check the store, import or pipeline that supplied it.');
  }
  let path = base;
  let deepest = base;
  let exists = existsNoFollow(base) !== undefined;
  for (const segment of segments) {
    path = join(path, segment);
    if (!exists) continue;
    const kind = existsNoFollow(path);
    if (kind === undefined) {
      exists = false;
      continue;
    }
    if (kind === 'symlink') {
      throw unsafe(`${path} is a symbolic link; spx does not write, read or delete through links inside ${base}.`, `Remove the link (rm ${path}) or point --work-dir / --out at the real directory.`);
    }
    deepest = path;
  }
  if (existsNoFollow(base) !== undefined) {
    const realRoot = realpathSync(base);
    const real = realpathSync(deepest);
    if (!isWithin(realRoot, real)) throw unsafe(`${path} resolves outside ${base}.`, 'Check for links or mounts below that directory.');
  }
  return path;
}

/**
 * An already built absolute path (a recorded artifact, an export destination) checked to lie
 * strictly inside `root` by the rules of `confine`. Returns the normalised path.
 */
export function confinePath(root: string, path: string): string {
  if (typeof path !== 'string' || path.includes('\0')) throw unsafe(`Path ${show(String(path))} is not a valid path.`, 'Recorded paths must be absolute file paths.');
  // Callers go on to use the path as given: ".." after a link must not hide behind normalising.
  if (!isAbsolute(path) || resolve(path) !== path) throw unsafe(`Path ${show(path)} is not a normalised absolute path.`, 'Recorded paths must be absolute, without "." or ".." components.');
  const base = resolve(root);
  const target = path;
  let rel = relative(base, target);
  if (!insideRel(rel)) {
    // The path may have been recorded through the root's real location (or the other way round).
    const realBase = existsNoFollow(base) !== undefined ? realpathSync(base) : base;
    rel = relative(realBase, target);
    if (!insideRel(rel)) throw unsafe(`${target} is outside ${base}.`, `Only files inside ${base} are accepted here.`);
  }
  return confine(base, ...rel.split(sep));
}

/** Whether `path` lies strictly inside `root` (see confinePath); never throws. */
export function isInside(root: string, path: string): boolean {
  try {
    confinePath(root, path);
    return true;
  } catch {
    return false;
  }
}

/** `<workDir>/runs/<runId>`: a run's artifact directory. */
export function runArtifactsDir(workDir: string, runId: string): string {
  if (!isRunId(runId)) throw unsafe(`Run id ${show(String(runId))} is not a run id.`, 'Run ids are letters, digits, "-" and "_" (spx makes 12 hex digits).');
  return confine(workDir, 'runs', runId);
}

/** `<workDir>/runs/<runId>/<stageId>`: where a stage's artifacts live. */
export function stageArtifactsDir(workDir: string, runId: string, stageId: string): string {
  if (!isStageId(stageId)) throw unsafe(`Stage id ${show(String(stageId))} is not a stage id.`, 'Stage ids start with a letter and hold letters, digits, "-" and "_".');
  runArtifactsDir(workDir, runId);
  return confine(workDir, 'runs', runId, stageId);
}

/**
 * Whether a recorded file path has the shape of a file of this run in some work dir
 * (`…/runs/<runId>/<stageId>/<name>`, the stage being any of the run's), with no link below that
 * work dir: what a checkpoint made by spx records. A path a store or import made up is not.
 */
export function isRunArtifactPath(path: string, runId: string): boolean {
  if (typeof path !== 'string' || !isAbsolute(path) || resolve(path) !== path || !isRunId(runId)) return false;
  const parts = path.split(sep);
  for (let i = parts.length - 4; i >= 1; i--) {
    if (parts[i] === 'runs' && parts[i + 1] === runId && isStageId(parts[i + 2])) return isInside(parts.slice(0, i).join(sep) || sep, path);
  }
  return false;
}

/** Refuses an export destination outside `outDir` (PATH_UNSAFE, a stage failure). */
export function confineExport(outDir: string, destination: string): string {
  try {
    return confinePath(outDir, resolve(outDir, destination));
  } catch (error) {
    const e = error as SpxError;
    throw new SpxError('PATH_UNSAFE', `Refusing to publish "${resolve(outDir, destination)}": ${e.message.replace(/\.$/, '')}.`, {
      hint: `Stages may publish only inside the run's out dir ${outDir} (spx run --out DIR).`,
      exitCode: EXIT.RUN_FAILED,
    });
  }
}

function insideRel(rel: string): boolean {
  return rel !== '' && rel !== '..' && !rel.startsWith(`..${sep}`) && !isAbsolute(rel);
}

/** Whether `path` is `root` or lies inside it (lexically: resolve links first where they matter). */
export function isWithin(root: string, path: string): boolean {
  const rel = relative(root, path);
  return rel === '' || insideRel(rel);
}

function existsNoFollow(path: string): 'symlink' | 'other' | undefined {
  try {
    return lstatSync(path).isSymbolicLink() ? 'symlink' : 'other';
  } catch {
    return undefined;
  }
}
