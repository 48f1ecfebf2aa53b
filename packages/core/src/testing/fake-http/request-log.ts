// The log of what a fake HTTP server received, request by request, exactly as it arrived:
// headers keep their credentials (tests assert on what a client sent) and bodies their bytes.
import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';

export interface ReceivedRequest {
  /** 1-based arrival order. */
  seq: number;
  method: string;
  /** The request target as sent (path and query). */
  url: string;
  /** Its pathname. */
  path: string;
  /** Headers as they arrived, credentials included. */
  headers: IncomingHttpHeaders;
  /** Arrival time, ms since the epoch. */
  at: number;
  /** Body length in bytes, once the body was read. */
  bodyBytes?: number;
  /** The body bytes, once read, when not longer than the log keeps. */
  body?: Buffer;
  /** The body parsed, when its content-type names JSON and it parses. */
  json?: unknown;
  /** HTTP status of the answer; 0 while unanswered, and when the connection ended without one. */
  status: number;
}

/** Bodies longer than this are counted but not kept, unless the server is told otherwise. */
export const LOG_BODIES_UP_TO = 1024 * 1024;

export class RequestLog {
  readonly entries: ReceivedRequest[] = [];

  constructor(private readonly keepBodiesUpTo = LOG_BODIES_UP_TO) {}

  /** Logs a request on arrival; its status is filled in once the answer is sent. */
  open(req: IncomingMessage, res: ServerResponse, path: string): ReceivedRequest {
    const entry: ReceivedRequest = { seq: this.entries.length + 1, method: (req.method ?? 'GET').toUpperCase(), url: req.url ?? '/', path, headers: { ...req.headers }, at: Date.now(), status: 0 };
    this.entries.push(entry);
    res.once('finish', () => {
      entry.status = res.statusCode;
    });
    return entry;
  }

  recordBody(entry: ReceivedRequest, bytes: Buffer | undefined, size: number): void {
    entry.bodyBytes = size;
    if (!bytes || size > this.keepBodiesUpTo) return;
    entry.body = bytes;
    if (!/\bjson\b/i.test(String(entry.headers['content-type'] ?? ''))) return;
    try {
      entry.json = JSON.parse(bytes.toString('utf8'));
    } catch {
      // Malformed JSON stays in `body` only.
    }
  }
}
