// Expands input arguments: plain paths pass through; a quoted glob in the last path segment
// ("recordings/*.wav") is expanded here, sorted, so batches behave the same in every shell.
import { readdirSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { SpxError } from '@spx/core';

export function expandInputs(args: string[]): string[] {
  const out: string[] = [];
  for (const arg of args) {
    if (!/[*?[]/.test(basename(arg))) {
      out.push(arg);
      continue;
    }
    const dir = dirname(arg);
    const pattern = globToRegExp(basename(arg));
    let names: string[];
    try {
      names = readdirSync(dir);
    } catch {
      throw new SpxError('INPUT_MISSING', `Directory "${dir}" of the pattern "${arg}" does not exist.`, { hint: 'Check the path.' });
    }
    const matches = names.filter((n) => pattern.test(n)).sort().map((n) => join(dir, n));
    if (matches.length === 0) throw new SpxError('INPUT_MISSING', `No file matches "${arg}".`, { hint: 'Check the pattern; it matches file names in one directory.' });
    out.push(...matches);
  }
  return out;
}

function globToRegExp(glob: string): RegExp {
  let source = '';
  for (const ch of glob) {
    if (ch === '*') source += '[^/]*';
    else if (ch === '?') source += '[^/]';
    else source += ch.replace(/[.+^${}()|\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}
