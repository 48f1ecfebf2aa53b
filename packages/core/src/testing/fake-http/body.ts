// Reading and parsing request bodies for fake servers: raw bytes (with an upload limit that
// still lets the client read the answer), JSON, and multipart/form-data as uploads send it.
import type { IncomingMessage } from 'node:http';

export type BodyRead = { tooLarge: false; bytes: Buffer; size: number } | { tooLarge: true; size: number };

/**
 * Reads a request body to its end. Past `limit` bytes (read or declared in content-length) it
 * keeps nothing but goes on draining, so that the client gets to read the answer (a 413) rather
 * than a reset connection.
 */
export async function readBody(req: IncomingMessage, limit = Number.POSITIVE_INFINITY): Promise<BodyRead> {
  const declared = Number(req.headers['content-length'] ?? Number.NaN);
  const chunks: Buffer[] = [];
  let size = 0;
  let tooLarge = Number.isFinite(declared) && declared > limit;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) tooLarge = true;
    if (!tooLarge) chunks.push(chunk);
  }
  return tooLarge ? { tooLarge: true, size } : { tooLarge: false, bytes: Buffer.concat(chunks), size };
}

export type JsonRead = { ok: true; value: unknown } | { ok: false };

/** Parses UTF-8 JSON; `ok: false` when the bytes are not JSON (the caller answers its 400). */
export function parseJson(bytes: Buffer): JsonRead {
  try {
    return { ok: true, value: JSON.parse(bytes.toString('utf8')) as unknown };
  } catch {
    return { ok: false };
  }
}

/** The value when it is a JSON object (not an array, not null). */
export function asJsonObject(value: unknown): Record<string, unknown> | undefined {
  return value && typeof value === 'object' && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export type MultipartRead = { ok: true; form: FormData } | { ok: false; problem: 'not-multipart' | 'malformed' };

/** Parses a multipart/form-data body (file parts become `File`s with their filename). */
export async function parseMultipart(contentType: string, bytes: Buffer): Promise<MultipartRead> {
  if (!contentType.startsWith('multipart/form-data')) return { ok: false, problem: 'not-multipart' };
  try {
    return { ok: true, form: await new Response(new Uint8Array(bytes), { headers: { 'content-type': contentType } }).formData() };
  } catch {
    return { ok: false, problem: 'malformed' };
  }
}
