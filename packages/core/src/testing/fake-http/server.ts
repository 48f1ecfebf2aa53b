// The HTTP server under every fake API: listens on 127.0.0.1 on a free port, logs each request,
// hands it to the fake's handler as an `Exchange`, turns a handler's failure into a 500, and
// closes for good: open keep-alive and in-flight connections are ended, not waited for.
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { readBody, type BodyRead } from './body.js';
import { RequestLog, type ReceivedRequest } from './request-log.js';
import { sendAnswer } from './respond.js';

/** One request and its response, as a fake's handler sees them. */
export interface Exchange {
  readonly req: IncomingMessage;
  readonly res: ServerResponse;
  /** Upper-case method. */
  readonly method: string;
  /** Pathname, without the query. */
  readonly path: string;
  /** The request's entry in the server's log. */
  readonly entry: ReceivedRequest;
  /** The whole body; read once, and logged (empty when `bodyWithin` found it too large). */
  body(): Promise<Buffer>;
  /** The body, or undefined when it is (or declares itself) longer than `limit` bytes; see `readBody`. */
  bodyWithin(limit: number): Promise<Buffer | undefined>;
}

export interface FakeHttpOptions {
  /** Answers one request. */
  handle(exchange: Exchange): Promise<void> | void;
  /** Answers a request whose handler threw (default: a plain-text 500, unless headers went out). */
  onError?(error: unknown, exchange: Exchange): void;
  /** Longest body the log keeps, bytes (default 1 MiB); longer ones are only counted. */
  logBodiesUpTo?: number;
}

export interface FakeHttp {
  /** `http://127.0.0.1:PORT` */
  readonly origin: string;
  readonly port: number;
  /** Every request, in arrival order. */
  readonly received: readonly ReceivedRequest[];
  /** Stops listening and ends every open connection; resolves once the server is closed. */
  close(): Promise<void>;
}

export async function startFakeHttp(options: FakeHttpOptions): Promise<FakeHttp> {
  const log = new RequestLog(options.logBodiesUpTo);
  const fail = (error: unknown, exchange: Exchange) => {
    if (options.onError) options.onError(error, exchange);
    else if (!exchange.res.headersSent) sendAnswer(exchange.res, { status: 500, headers: { 'content-type': 'text/plain; charset=utf-8' }, raw: `fake server error: ${error instanceof Error ? error.message : String(error)}` });
  };
  const server = createServer((req, res) => {
    let exchange: Exchange | undefined;
    void (async () => {
      exchange = openExchange(req, res, log);
      await options.handle(exchange);
    })().catch((error: unknown) => {
      if (exchange) fail(error, exchange);
      else res.writeHead(400).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    origin: `http://127.0.0.1:${port}`,
    port,
    received: log.entries,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function openExchange(req: IncomingMessage, res: ServerResponse, log: RequestLog): Exchange {
  const path = new URL(req.url ?? '/', 'http://127.0.0.1').pathname;
  const entry = log.open(req, res, path);
  let reading: Promise<BodyRead> | undefined;
  const read = (limit?: number) =>
    (reading ??= readBody(req, limit).then((body) => {
      log.recordBody(entry, body.tooLarge ? undefined : body.bytes, body.size);
      return body;
    }));
  return {
    req,
    res,
    method: entry.method,
    path,
    entry,
    body: async () => {
      const body = await read();
      return body.tooLarge ? Buffer.alloc(0) : body.bytes;
    },
    bodyWithin: async (limit) => {
      const body = await read(limit);
      return body.tooLarge ? undefined : body.bytes;
    },
  };
}
