// Reads the JSON documents the built-in stages consume, with errors that name the file.
import { readFile } from 'node:fs/promises';
import type { StageContext } from '../plugins/types.js';

/** Reads and parses a JSON file, failing with INPUT_MISSING / INPUT_INVALID. */
export async function readJsonFile(ctx: StageContext<unknown>, path: string, what: string, producedBy: string): Promise<unknown> {
  return (await readJsonText(ctx, path, what, producedBy)).value;
}

/** Like readJsonFile, also returning the text as read. */
export async function readJsonText(ctx: StageContext<unknown>, path: string, what: string, producedBy: string): Promise<{ text: string; value: unknown }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') ctx.fail('INPUT_MISSING', `${what} file "${path}" does not exist.`, { hint: `Point the parameter at the file ${producedBy} wrote.`, cause: error });
    ctx.fail('INPUT_INVALID', `${what} file "${path}" cannot be read (${code ?? 'error'}).`, { hint: 'Check the path and its permissions.', cause: error });
  }
  try {
    return { text, value: JSON.parse(text) as unknown };
  } catch (error) {
    return ctx.fail('INPUT_INVALID', `${what} file "${path}" is not valid JSON.`, { hint: `Point the parameter at the JSON file ${producedBy} wrote.`, cause: error });
  }
}

export function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
