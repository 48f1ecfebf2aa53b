import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { expect } from 'chai';
import { apiError, fetchWithRetry, parseRetryAfter, readJson, retryDelayFromHeaders } from '../../src/http/retry.js';
import { isSpxError } from '../../src/errors/errors.js';

type Script = Array<(res: import('node:http').ServerResponse) => void>;

async function serve(script: Script): Promise<{ url: string; hits: () => number; close: () => Promise<void> }> {
  let hits = 0;
  const server: Server = createServer((req, res) => {
    req.resume();
    const step = script[Math.min(hits, script.length - 1)]!;
    hits++;
    step(res);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return { url: `http://127.0.0.1:${port}/v1/x`, hits: () => hits, close: () => new Promise((r) => {
      server.closeAllConnections();
      server.close(() => r());
    }) };
}

const fast = { baseDelayMs: 5, maxDelayMs: 20, maxAttempts: 4, timeoutMs: 2000 };

describe('http/retry', () => {
  it('retries 429 honouring retry-after, then returns the success', async () => {
    const srv = await serve([
      (res) => res.writeHead(429, { 'retry-after': '0' }).end('{}'),
      (res) => res.writeHead(503).end(),
      (res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{"ok":true}'),
    ]);
    const delays: number[] = [];
    const response = await fetchWithRetry(srv.url, { method: 'GET' }, { service: 'Fake', policy: fast, onRetry: (e) => delays.push(e.delayMs) });
    expect(await readJson(response, 'Fake')).to.deep.equal({ ok: true });
    expect(srv.hits()).to.equal(3);
    expect(delays[0]).to.equal(0);
    await srv.close();
  });

  it('gives up after maxAttempts with API_RATE_LIMITED', async () => {
    const srv = await serve([(res) => res.writeHead(429).end()]);
    const error = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: fast }).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('API_RATE_LIMITED');
    expect(srv.hits()).to.equal(4);
    await srv.close();
  });

  it('does not retry 401 and names the key variable, not its value', async () => {
    const srv = await serve([(res) => res.writeHead(401, { 'content-type': 'application/json' }).end('{"error":{"message":"bad key"}}')]);
    const response = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: fast });
    const error = await apiError(response, 'Fake', 'FAKE_API_KEY');
    expect(error.code).to.equal('API_KEY_REJECTED');
    expect(error.message).to.contain('FAKE_API_KEY').and.contain('bad key');
    expect(srv.hits()).to.equal(1);
    await srv.close();
  });

  it('reports an unreachable server as API_UNREACHABLE', async () => {
    const srv = await serve([(res) => res.end()]);
    await srv.close();
    const error = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: { ...fast, maxAttempts: 2 } }).catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('API_UNREACHABLE');
  });

  it('turns a malformed JSON body into API_BAD_RESPONSE', async () => {
    const srv = await serve([(res) => res.writeHead(200).end('{"truncated": ')]);
    const response = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: fast });
    const error = await readJson(response, 'Fake').catch((e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('API_BAD_RESPONSE');
    await srv.close();
  });

  it('does not retry a 429 for an exhausted quota', async () => {
    const srv = await serve([(res) => res.writeHead(429, { 'content-type': 'application/json' }).end('{"error":{"code":"insufficient_quota","message":"You exceeded your current quota"}}')]);
    const response = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: fast });
    expect(response.status).to.equal(429);
    const error = await apiError(response, 'Fake', 'FAKE_API_KEY');
    expect(error.code).to.equal('API_RATE_LIMITED');
    expect(error.message).to.contain('quota');
    expect(srv.hits()).to.equal(1);
    await srv.close();
  });

  it('hands a status listed in finalStatuses to the caller at once, and still retries the others', async () => {
    const srv = await serve([(res) => res.writeHead(503).end(), (res) => res.writeHead(504).end('too long')]);
    try {
      const response = await fetchWithRetry(srv.url, {}, { service: 'Fake', policy: fast, finalStatuses: [504] });
      expect(response.status).to.equal(504);
      expect(srv.hits()).to.equal(2);
    } finally {
      await srv.close();
    }
  });

  it('sends a request that must not run twice again only after answers that show it was not carried out', async () => {
    // 429, 500, 502 and 503 say the work was not done: retried as usual.
    const refused = await serve([(res) => res.writeHead(429, { 'retry-after': '0' }).end(), (res) => res.writeHead(500).end(), (res) => res.writeHead(503).end(), (res) => res.writeHead(200).end('{}')]);
    const ok = await fetchWithRetry(refused.url, { method: 'POST', body: 'x' }, { service: 'Fake', policy: fast, idempotent: false });
    expect(ok.status).to.equal(200);
    expect(refused.hits()).to.equal(4);
    await refused.close();
    // A 504, a connection cut after the request was sent, and a timeout may mean it still runs: one attempt each.
    for (const step of [(res: import('node:http').ServerResponse) => res.writeHead(504).end(), (res: import('node:http').ServerResponse) => res.socket?.destroy(), () => undefined]) {
      const srv = await serve([step, (res) => res.writeHead(200).end('{}')]);
      const error = await fetchWithRetry(srv.url, { method: 'POST', body: 'x' }, { service: 'Fake', policy: { ...fast, timeoutMs: 300 }, idempotent: false, timeoutSetting: 'requestTimeoutMs' }).catch((e: unknown) => e);
      expect(isSpxError(error) && error.code, String(error)).to.be.oneOf(['API_TIMEOUT', 'API_UNREACHABLE']);
      expect((error as Error).message).to.contain('may have reached it').and.contain('not sent again');
      expect(srv.hits(), 'sent once').to.equal(1);
      if ((error as { code?: string }).code === 'API_TIMEOUT') expect((error as { hint?: string }).hint).to.contain('requestTimeoutMs');
      await srv.close();
    }
    // A connection that could not be opened never reached the server: retried.
    const down = await serve([(res) => res.end()]);
    await down.close();
    const unreachable = await fetchWithRetry(down.url, { method: 'POST', body: 'x' }, { service: 'Fake', policy: { ...fast, maxAttempts: 3 }, idempotent: false }).catch((e: unknown) => e);
    expect((unreachable as Error).message).to.contain('3 attempts');
  });

  it('waits as long as retry-after-ms, Retry-After or X-RateLimit-Reset ask', () => {
    const now = 1_700_000_000_000;
    expect(retryDelayFromHeaders(new Headers({ 'retry-after-ms': '250', 'retry-after': '9' }), now)).to.equal(250);
    expect(retryDelayFromHeaders(new Headers({ 'retry-after': '2' }), now)).to.equal(2000);
    expect(retryDelayFromHeaders(new Headers({ 'x-ratelimit-reset': String(now / 1000 + 3) }), now)).to.equal(3000);
    expect(retryDelayFromHeaders(new Headers({}), now)).to.equal(undefined);
  });

  it('parses retry-after as seconds or HTTP date', () => {
    expect(parseRetryAfter('3')).to.equal(3000);
    expect(parseRetryAfter(new Date(10_000).toUTCString(), 4_000)).to.equal(6000);
    expect(parseRetryAfter('soon')).to.equal(undefined);
  });
});
