// Which files a queued job may name. Job data comes out of Redis, which anyone with access to it
// can write, and a pipeline file loads plugins, which are code: a worker runs a job only when its
// pipeline file, its input and its export directory lie inside a directory the worker was told to
// trust (`spx worker --allow DIR`, by default its working directory), after resolving symbolic
// links. The pipelines shipped with spx are always allowed.
import { realpathSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SpxError } from '@spx/core';
import { isWithin } from '@spx/core/engine';
import type { RunJob } from './jobs.js';

export interface AllowedDirs {
  /** Real paths of the directories jobs may name files in. */
  roots: string[];
  /** Real path of the shipped pipelines' directory (pipeline files only). */
  shipped: string;
}

/** The real paths of the worker's --allow directories, each of which must exist. */
export function allowedDirs(dirs: string[], shipped: string): AllowedDirs {
  const roots = dirs.map((dir) => {
    try {
      return realpathSync(dir);
    } catch {
      throw new SpxError('USAGE', `--allow ${dir}: no such directory.`, { hint: 'Name directories that exist and hold the pipelines and inputs jobs may use.' });
    }
  });
  return { roots, shipped: realLocation(shipped) };
}

/** Refuses a job that names a file outside the allowed directories. */
export function checkAllowed(job: RunJob, allowed: AllowedDirs): void {
  const named: Array<[string, string, string[]]> = [
    ['pipeline file', job.pipeline, [...allowed.roots, allowed.shipped]],
    ['input', job.input, allowed.roots],
    ...(job.out ? [['export directory', job.out, allowed.roots] as [string, string, string[]]] : []),
  ];
  for (const [what, path, roots] of named) {
    const real = realLocation(path);
    if (roots.some((root) => isWithin(root, real))) continue;
    throw new SpxError('QUEUE_INVALID', `A queued job names the ${what} ${path}, outside the directories this worker runs jobs from (${allowed.roots.join(', ')}).`, {
      hint: 'Start the worker with --allow DIR for the directory that holds it (repeatable), or submit jobs from inside an allowed directory.',
    });
  }
}

/** The path with its deepest existing ancestor's symbolic links resolved (the rest may not exist yet). */
function realLocation(path: string): string {
  const missing: string[] = [];
  for (let head = path; ; head = dirname(head)) {
    try {
      return join(realpathSync(head), ...missing.reverse());
    } catch {
      if (dirname(head) === head) return path;
      missing.push(basename(head));
    }
  }
}
