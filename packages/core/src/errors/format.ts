// Renders an SpxError for a terminal: "file:line:col error CODE: message", hint, code frame.
import { readFileSync } from 'node:fs';
import { SpxAggregateError, type SpxError } from './errors.js';

export function formatError(error: SpxError, options: { frame?: boolean } = {}): string {
  const items = error instanceof SpxAggregateError && error.errors.length > 0 ? error.errors : [error];
  const blocks = items.map((item) => formatOne(item, options.frame ?? true));
  if (items.length > 1) blocks.unshift(`${error.message}`);
  return blocks.join('\n');
}

function formatOne(error: SpxError, frame: boolean): string {
  const where = error.loc ? `${error.loc.file}:${error.loc.line}:${error.loc.column} ` : '';
  const lines = [`${where}error ${error.code}: ${error.message}`];
  if (error.hint) lines.push(`  hint: ${error.hint}`);
  if (frame && error.loc) {
    const snippet = codeFrame(error.loc.file, error.loc.line, error.loc.column);
    if (snippet) lines.push(snippet);
  }
  return lines.join('\n');
}

export function codeFrame(file: string, line: number, column: number): string | undefined {
  let text: string;
  try {
    text = readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
  const all = text.split(/\r?\n/);
  const out: string[] = [];
  const width = String(line + 1).length;
  for (let n = Math.max(1, line - 1); n <= Math.min(all.length, line + 1); n++) {
    out.push(`  ${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${all[n - 1]}`);
    if (n === line) out.push(`    ${' '.repeat(width)} | ${' '.repeat(Math.max(0, column - 1))}^`);
  }
  return out.join('\n');
}
