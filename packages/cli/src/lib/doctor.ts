// The checks of `spx doctor`: can this machine run spx and its shipped pipelines? Each check says
// what it found and, when something is wrong, what to do. Nothing is created or changed: a store or
// directory that does not exist yet is judged by whether it could be created.
import { execFile } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, dirname, join, resolve } from 'node:path';
import { promisify } from 'node:util';
import { toSpxError } from '@spx/core';
import { displayStoreUrl, openStore } from '@spx/core/engine';

type Env = Readonly<Record<string, string | undefined>>;

export interface Check {
  name: string;
  ok: boolean;
  /** What was found (a version, a path), or what is wrong. */
  detail: string;
  hint?: string;
}

/** The executables the shipped plugins run, with the variable that overrides where each is. */
export const TOOLS = [
  { name: 'ffmpeg', variable: 'FFMPEG_PATH', version: ['-version'], install: 'apt-get install ffmpeg (brew install ffmpeg)' },
  { name: 'ffprobe', variable: 'FFPROBE_PATH', version: ['-version'], install: 'apt-get install ffmpeg (brew install ffmpeg)' },
  { name: 'pocketsphinx_continuous', variable: 'POCKETSPHINX_PATH', package: 'pocketsphinx', install: 'apt-get install pocketsphinx pocketsphinx-en-us' },
] as const;

const run = promisify(execFile);

function isExecutable(path: string): boolean {
  try {
    return statSync(path).isFile() && (accessSync(path, constants.X_OK), true);
  } catch {
    return false;
  }
}

/** Where a tool is: its variable when set, else the first match on PATH. */
export function locate(name: string, variable: string, env: Env): string | undefined {
  const configured = env[variable];
  if (configured) return isExecutable(resolve(configured)) ? resolve(configured) : undefined;
  return (env.PATH ?? '').split(delimiter).map((dir) => join(dir, name)).find((path) => path !== name && isExecutable(path));
}

async function firstLine(command: string, args: readonly string[]): Promise<string | undefined> {
  try {
    const { stdout } = await run(command, [...args], { timeout: 5000 });
    return stdout.split('\n')[0]?.trim() || undefined;
  } catch {
    return undefined;
  }
}

export async function checkTool(tool: (typeof TOOLS)[number], env: Env): Promise<Check> {
  const path = locate(tool.name, tool.variable, env);
  if (!path) return { name: tool.name, ok: false, detail: env[tool.variable] ? `${tool.variable}=${env[tool.variable]} is not an executable file` : 'not found on PATH', hint: `${tool.install}, or set ${tool.variable}` };
  const version = 'version' in tool ? /version (\S+)/.exec((await firstLine(path, tool.version)) ?? '')?.[1] : await firstLine('dpkg-query', ['-W', '-f', '${Version}', tool.package]);
  return { name: tool.name, ok: true, detail: `${version ?? 'version unknown'} (${path})` };
}

export function checkNode(version = process.versions.node): Check {
  const [major = 0, minor = 0] = version.split('.').map(Number);
  const ok = major > 20 || (major === 20 && minor >= 19);
  return { name: 'node', ok, detail: `v${version}`, ...(ok ? {} : { hint: 'spx needs Node 20.19 or newer.' }) };
}

/** A directory spx would write into: writable when it exists, else creatable under its nearest existing parent. */
export function checkWritable(name: string, dir: string): Check {
  const full = resolve(dir);
  let existing = full;
  while (!existsSync(existing) && dirname(existing) !== existing) existing = dirname(existing);
  try {
    if (!statSync(existing).isDirectory()) return { name, ok: false, detail: `${existing} is not a directory`, hint: `Point ${name} at a directory.` };
    accessSync(existing, constants.W_OK);
  } catch {
    return { name, ok: false, detail: `${existing} is not writable`, hint: `Make it writable or choose another ${name}.` };
  }
  return { name, ok: true, detail: existing === full ? `${full} (writable)` : `${full} (will be created in ${existing})` };
}

/** The store answers (Redis, Postgres, an existing SQLite file), or an SQLite file could be created. */
export async function checkStore(url: string): Promise<Check> {
  const shown = displayStoreUrl(url);
  const path = url.startsWith('sqlite://') ? url.slice('sqlite://'.length) : /^[a-z]+:\/\//i.test(url) || url.startsWith('memory') ? undefined : url;
  if (path !== undefined && !existsSync(path)) {
    const dir = checkWritable('store', dirname(path));
    return dir.ok ? { name: 'store', ok: true, detail: `${shown} (will be created)` } : { ...dir, name: 'store' };
  }
  try {
    const store = await openStore({ url });
    await store.close();
    return { name: 'store', ok: true, detail: `${shown} (reachable)` };
  } catch (error) {
    const e = toSpxError(error);
    return { name: 'store', ok: false, detail: `${shown}: ${e.message}`, ...(e.hint ? { hint: e.hint } : {}) };
  }
}
