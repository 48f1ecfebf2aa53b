// Writing answers for fake servers: one `Answer` value (status, headers, a JSON or raw body)
// that scripted faults and normal routes share, and the problem-details body shape.
import type { ServerResponse } from 'node:http';

export interface Answer {
  status: number;
  headers?: Record<string, string>;
  /** Sent as JSON, with content-type application/json unless `headers` name another. */
  json?: unknown;
  /** Sent as is (set its content-type in `headers`); wins over `json`. */
  raw?: string | Uint8Array;
  /** Send a content-length header; without it Node frames the body as chunked. */
  declareLength?: boolean;
}

/** Writes an answer; once headers went out, it only ends the response. */
export function sendAnswer(res: ServerResponse, answer: Answer): void {
  const body = answer.raw ?? (answer.json === undefined ? undefined : JSON.stringify(answer.json));
  const headers: Record<string, string | number> = {};
  if (answer.raw === undefined && answer.json !== undefined) headers['content-type'] = 'application/json';
  if (answer.declareLength && body !== undefined) headers['content-length'] = typeof body === 'string' ? Buffer.byteLength(body) : body.byteLength;
  Object.assign(headers, answer.headers);
  if (!res.headersSent) res.writeHead(answer.status, headers);
  res.end(body);
}

/** An RFC 9457 problem-details answer: `{ title, detail, status }`. */
export function problemAnswer(status: number, title: string, detail: string, headers?: Record<string, string>): Answer {
  return { status, json: { title, detail, status }, ...(headers ? { headers } : {}) };
}

/** Cuts the connection without an answer, as a network failure would. */
export function dropConnection(res: ServerResponse): void {
  res.socket?.destroy();
}
