// Provider limits across a fleet: several processes call one fake API through fetchWithRetry with
// the fleet limiter on (SPX_LIMITS_REDIS, a redis-server started here): the API never sees more
// requests at once than allowed, nor faster than the per-minute rate, and a 429 Retry-After
// answered to one process holds back every process's next request.
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { expect } from 'chai';
import { startFakeHttp, sendAnswer, pause, type FakeHttp } from '@spx/core/testing';
import { parseProviderLimits } from '../../packages/core/src/http/fleet-limit.js';
import { REPO } from '../support/cli.js';
import { startRedis, type RedisServer } from '../support/redis.js';

const CLIENT = join(REPO, 'test', 'support', 'limit-client.ts');

function client(url: string, count: number, gated: boolean, env: NodeJS.ProcessEnv): Promise<{ code: number | null; stderr: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', CLIENT, url, String(count), gated ? '1' : '0'], { cwd: REPO, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr += d.toString()));
  return new Promise((resolve) => child.on('close', (code) => resolve({ code, stderr })));
}

describe('fault: provider limits across processes', function () {
  this.timeout(120_000);
  let redis: RedisServer;
  let api: FakeHttp;
  const arrivals: Array<{ at: number; status: number }> = [];
  let inFlight = 0;
  let maxInFlight = 0;
  const atGate: Array<() => void> = [];
  let limitedSent: () => void = () => undefined;
  const limitedOnce = new Promise<void>((resolve) => (limitedSent = resolve));

  before(async () => {
    redis = await startRedis();
    api = await startFakeHttp({
      async handle({ res, path }) {
        if (path === '/gate') {
          await new Promise<void>((resolve) => atGate.push(resolve));
          return sendAnswer(res, { status: 200, json: { go: true } });
        }
        const at = Date.now();
        const status = arrivals.length === 0 ? 429 : 200;
        arrivals.push({ at, status });
        inFlight++;
        maxInFlight = Math.max(maxInFlight, inFlight);
        try {
          if (status === 429) {
            sendAnswer(res, { status, headers: { 'retry-after': '2' }, json: { error: 'slow down' } });
            return limitedSent();
          }
          await pause(150, res);
          sendAnswer(res, { status, json: { ok: true } });
        } finally {
          inFlight--;
        }
      },
    });
  });
  after(async () => {
    await api?.close();
    await redis?.stop();
  });

  it('reads SPX_PROVIDER_LIMITS and refuses a malformed entry', () => {
    expect([...parseProviderLimits('api.openai.com=500/50, 127.0.0.1:8080=60')]).to.deep.equal([
      ['api.openai.com', { perMinute: 500, atOnce: 50 }],
      ['127.0.0.1:8080', { perMinute: 60, atOnce: 0 }],
    ]);
    expect(() => parseProviderLimits('api.openai.com=fast')).to.throw(/SPX_PROVIDER_LIMITS entry "api.openai.com=fast"/);
  });

  it('three processes: a 429 told to one holds back the others; never more than 2 requests at once nor more than 300 a minute', async () => {
    const env = { SPX_LIMITS_REDIS: redis.url, SPX_PROVIDER_LIMITS: `127.0.0.1:${api.port}=300/2` };
    // Two processes wait, warm, at the gate; the third gets the 429, then the gate opens.
    const others = [client(api.origin, 3, true, env), client(api.origin, 3, true, env)];
    for (let i = 0; atGate.length < 2 && i < 600; i++) await new Promise((r) => setTimeout(r, 50));
    const first = client(api.origin, 3, false, env);
    await limitedOnce;
    await new Promise((r) => setTimeout(r, 100));
    const opened = Date.now();
    for (const go of atGate.splice(0)) go();
    const results = await Promise.all([first, ...others]);
    for (const r of results) expect(r.code, r.stderr.slice(-1500)).to.equal(0);
    expect(arrivals).to.have.length(10);
    expect(maxInFlight, 'requests at once').to.be.at.most(2);
    const [limited, ...rest] = arrivals;
    expect(limited!.status).to.equal(429);
    expect(opened - limited!.at, 'the others were let go well within the pause').to.be.below(1500);
    // Retry-After: 2 was told to one process; no process sent anything sooner (5 ms of clock slack).
    for (const a of rest) expect(a.at - limited!.at, 'waited out the 429').to.be.at.least(1995);
    // 300 a minute: one request per 200 ms, whichever process sends it (less arrival jitter).
    const gaps = rest.slice(1).map((a, i) => a.at - rest[i]!.at);
    for (const gap of gaps) expect(gap, `gaps ${gaps.join(', ')}`).to.be.at.least(150);
  });
});
