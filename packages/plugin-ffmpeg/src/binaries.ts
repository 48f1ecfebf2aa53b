// Locates the ffmpeg and ffprobe executables: FFMPEG_PATH / FFPROBE_PATH first, then PATH.
import { accessSync, constants, statSync } from 'node:fs';
import { delimiter, dirname, isAbsolute, join, resolve } from 'node:path';
import { SpxError } from '@spx/core';

/** The environment the binaries are looked up in (a stage's ctx.env). */
export type Env = Readonly<Record<string, string | undefined>>;

export interface Binaries {
  ffmpeg: string;
  ffprobe: string;
}

export const INSTALL_HINT = 'Install ffmpeg (`apt-get install ffmpeg`, `brew install ffmpeg`) or set FFMPEG_PATH and FFPROBE_PATH to the executables.';

function isExecutable(path: string): boolean {
  try {
    if (!statSync(path).isFile()) return false;
    accessSync(path, constants.X_OK);
    return true;
  } catch {
    return false;
  }
}

function searchPath(name: string, env: Env): string | undefined {
  for (const dir of (env.PATH ?? '').split(delimiter)) {
    if (!dir) continue;
    const candidate = join(dir, name);
    if (isExecutable(candidate)) return candidate;
  }
  return undefined;
}

function fromVariable(variable: string, env: Env): string | undefined {
  const value = env[variable];
  if (!value) return undefined;
  const path = isAbsolute(value) || value.includes('/') ? resolve(value) : searchPath(value, env);
  if (!path || !isExecutable(path)) {
    throw new SpxError('BINARY_NOT_FOUND', `${variable} points at "${value}", which is not an executable file.`, { hint: `Fix or unset ${variable}; ${INSTALL_HINT}` });
  }
  return path;
}

const cache = new Map<string, Binaries>();

/**
 * Finds ffmpeg and ffprobe in `env` (a stage passes ctx.env). FFMPEG_PATH / FFPROBE_PATH win;
 * when only FFMPEG_PATH is set, ffprobe is looked for next to it before PATH. Throws
 * BINARY_NOT_FOUND with an install hint.
 */
export function findBinaries(env: Env): Binaries {
  const key = `${env.FFMPEG_PATH ?? ''}\0${env.FFPROBE_PATH ?? ''}\0${env.PATH ?? ''}`;
  const known = cache.get(key);
  if (known) return known;
  const ffmpeg = fromVariable('FFMPEG_PATH', env) ?? searchPath('ffmpeg', env);
  if (!ffmpeg) throw new SpxError('BINARY_NOT_FOUND', 'ffmpeg was not found on PATH and FFMPEG_PATH is not set.', { hint: INSTALL_HINT });
  let ffprobe = fromVariable('FFPROBE_PATH', env);
  if (!ffprobe && env.FFMPEG_PATH) {
    const sibling = join(dirname(ffmpeg), 'ffprobe');
    if (isExecutable(sibling)) ffprobe = sibling;
  }
  ffprobe ??= searchPath('ffprobe', env);
  if (!ffprobe) throw new SpxError('BINARY_NOT_FOUND', 'ffprobe was not found on PATH and FFPROBE_PATH is not set.', { hint: INSTALL_HINT });
  const found = { ffmpeg, ffprobe };
  cache.set(key, found);
  return found;
}
