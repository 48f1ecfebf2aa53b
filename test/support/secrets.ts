// Looking for leaked secrets: every form a value can take in text (raw, percent-encoded,
// JSON-escaped), the long fragments of a password cut at URL delimiters (what a URL parser that
// misreads the host leaves behind), searched in printed output, in the contents and the names of
// every file under a directory (SQLite store and WAL, artifacts, exports), and in store dumps.
import { readdir, readFile, stat } from 'node:fs/promises';
import { join, relative } from 'node:path';
import type { CliResult } from './cli.js';

/** How a secret may appear: raw, percent-encoded (two ways), JSON-escaped; with fragments ≥ 5 characters cut at `@ / : ? # %`. */
export function secretForms(secret: string): string[] {
  const url = new URL('http://host/');
  url.password = secret;
  const fragments = secret.split(/[@/:?#%]/).filter((part) => part.length >= 5);
  return [...new Set([secret, encodeURIComponent(secret), url.password, JSON.stringify(secret).slice(1, -1), ...fragments])];
}

export interface Haystack {
  /** Labelled texts: what commands printed, dumps. */
  texts?: Record<string, string>;
  /** Directories whose file contents and names are searched. */
  dirs?: string[];
  /** Files under those directories the test wrote itself (they may hold the secret). */
  exclude?: string[];
}

/** `label: stdout` and `label: stderr` of each result. */
export function printed(results: Record<string, CliResult>): Record<string, string> {
  const texts: Record<string, string> = {};
  for (const [label, r] of Object.entries(results)) {
    texts[`${label} stdout`] = r.stdout;
    texts[`${label} stderr`] = r.stderr;
  }
  return texts;
}

/** Where any form of any secret was found ("<place> holds <form>"); empty when nowhere. */
export async function findLeaks(haystack: Haystack, secrets: string[]): Promise<string[]> {
  const places: Array<[string, string]> = Object.entries(haystack.texts ?? {});
  for (const dir of haystack.dirs ?? []) {
    for (const file of await filesUnder(dir)) {
      const name = relative(dir, file);
      places.push([`name of ${name}`, name]);
      if (haystack.exclude?.includes(file)) continue;
      const info = await stat(file);
      if (info.isFile() && info.size < 50_000_000) places.push([name, (await readFile(file)).toString('latin1')]);
    }
  }
  const leaks: string[] = [];
  for (const secret of secrets) {
    for (const form of secretForms(secret)) {
      for (const [where, text] of places) if (text.includes(form)) leaks.push(`${where} holds "${form}"`);
    }
  }
  return leaks;
}

/** Throws (naming every place) when a secret leaked. */
export async function assertNoLeak(haystack: Haystack, secrets: string[]): Promise<void> {
  const leaks = await findLeaks(haystack, secrets);
  if (leaks.length > 0) throw new Error(`secret leaked: ${leaks.slice(0, 6).join('; ')}${leaks.length > 6 ? ` (+${leaks.length - 6})` : ''}`);
}

/** Every file and directory under `dir` (directories included, so their names are searched). */
export async function filesUnder(dir: string): Promise<string[]> {
  const found: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true }).catch(() => [])) {
    const path = join(dir, entry.name);
    found.push(path);
    if (entry.isDirectory()) found.push(...(await filesUnder(path)));
  }
  return found;
}
