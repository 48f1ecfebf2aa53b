// The fake-HTTP kit over real HTTP on 127.0.0.1: routing, every fault kind and both ways of
// counting scripted rules, body readers, the request log, and a close that leaves no socket or
// timer behind.
import { Agent, request, type IncomingMessage } from 'node:http';
import { expect } from 'chai';
import {
  FaultScript,
  Router,
  asJsonObject,
  parseJson,
  parseMultipart,
  pause,
  problemAnswer,
  sendAnswer,
  serveFault,
  startFakeHttp,
  transportFault,
  type Exchange,
  type Fault,
  type FakeHttp,
  type FaultRule,
} from '../../src/testing/index.js';

/** A scripted rule whose payload is the fault to carry out (`null`: serve normally). */
type Rule = FaultRule & { fault: Fault | null };

describe('testing/fake-http', () => {
  let http: FakeHttp | undefined;
  afterEach(async () => {
    await http?.close();
    http = undefined;
  });

  const serve = async (handle: (ex: Exchange) => Promise<void> | void, options: { logBodiesUpTo?: number; onError?: (error: unknown, ex: Exchange) => void } = {}) => (http = await startFakeHttp({ handle, ...options }));
  const url = (path: string) => `${http!.origin}${path}`;

  /** A raw request: status, headers and body, or the network error it ended with. */
  const raw = (path: string, init: { method?: string; headers?: Record<string, string>; body?: string | Buffer; agent?: Agent } = {}) =>
    new Promise<{ status: number; headers: IncomingMessage['headers']; body: string } | { error: string }>((resolve) => {
      const req = request(url(path), { method: init.method ?? 'GET', headers: init.headers, agent: init.agent ?? false }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (chunk: Buffer) => chunks.push(chunk));
        res.on('end', () => resolve({ status: res.statusCode!, headers: res.headers, body: Buffer.concat(chunks).toString('utf8') }));
      });
      req.on('error', (error: NodeJS.ErrnoException) => resolve({ error: error.code ?? error.message }));
      req.end(init.body);
    });

  describe('router', () => {
    const router = new Router<string>()
      .on('GET', '/v1/jobs/:id', 'job')
      .on('POST', '/v1/models/:owner/:name/predictions', 'create')
      .on('*', '/upload/*token', 'upload')
      .on('get', '/v1/jobs/:id', 'never: the first route wins');

    it('matches method and pattern and gives the parameters as sent', () => {
      expect(router.match('GET', '/v1/jobs/a%2Fb')).to.deep.equal({ handler: 'job', params: { id: 'a%2Fb' } });
      expect(router.match('POST', '/v1/models/me/whisper.x/predictions')).to.deep.equal({ handler: 'create', params: { owner: 'me', name: 'whisper.x' } });
      expect(router.match('PUT', '/upload/a/b')?.params).to.deep.equal({ token: 'a/b' });
      expect(router.match('DELETE', '/upload/')?.params).to.deep.equal({ token: '' });
    });

    it('misses on another method, a missing or extra segment, and a literal that only looks alike', () => {
      expect(router.match('POST', '/v1/jobs/1')).to.equal(undefined);
      expect(router.match('GET', '/v1/jobs/')).to.equal(undefined);
      expect(router.match('GET', '/v1/jobs/1/x')).to.equal(undefined);
      expect(router.match('POST', '/v1/models/me/whisperXpredictions')).to.equal(undefined);
      expect(router.match('GET', '/uploadx')).to.equal(undefined);
    });
  });

  describe('faults', () => {
    /** Requests whose fault was carried out and found them dealt with. */
    let dealtWith: Array<() => void> = [];
    const nextDealtWith = () => new Promise<void>((resolve) => dealtWith.push(resolve));
    beforeEach(() => {
      dealtWith = [];
    });

    /** A server that plays `script` in front of a 200 answer. */
    const scripted = async (script: FaultScript<Rule>) =>
      serve(async (ex) => {
        await ex.body();
        const rule = script.take(ex.method, ex.path);
        if (rule?.fault && (await serveFault(rule.fault, ex.res, (answer) => sendAnswer(ex.res, answer)))) return dealtWith.shift()?.();
        sendAnswer(ex.res, { status: 200, json: { ok: true } });
      });

    it('answers a scripted status with its headers and body, and a malformed body as is', async () => {
      await scripted(
        new FaultScript<Rule>([
          { fault: { kind: 'answer', answer: { status: 429, headers: { 'retry-after': '2' }, json: { error: 'slow down' } } } },
          { fault: { kind: 'answer', answer: { status: 200, headers: { 'content-type': 'application/json' }, raw: '{"text": "trunc' } } },
        ]),
      );
      const limited = await fetch(url('/x'));
      expect([limited.status, limited.headers.get('retry-after'), await limited.json()]).to.deep.equal([429, '2', { error: 'slow down' }]);
      const malformed = await fetch(url('/x'));
      expect(malformed.headers.get('content-type')).to.equal('application/json');
      expect(await malformed.json().catch(() => 'not JSON')).to.equal('not JSON');
      expect(await (await fetch(url('/x'))).json()).to.deep.equal({ ok: true });
    });

    it('drops the connection without an answer, and logs the request with status 0', async () => {
      await scripted(new FaultScript<Rule>([{ fault: { kind: 'drop' } }]));
      const dropped = await raw('/x');
      expect(dropped).to.have.property('error').that.matches(/ECONNRESET|socket hang up/i);
      expect((await raw('/x')) as { status: number }).to.include({ status: 200 });
      expect(http!.received.map((r) => r.status)).to.deep.equal([0, 200]);
    });

    it('delays, then serves normally; a client that goes away ends the delay', async () => {
      await scripted(new FaultScript<Rule>([{ fault: { kind: 'delay', ms: 5 } }, { fault: { kind: 'delay', ms: 600_000 } }]));
      expect(await (await fetch(url('/x'))).json()).to.deep.equal({ ok: true });
      const delayEnded = nextDealtWith();
      const gone = await fetch(url('/x'), { signal: AbortSignal.timeout(50) }).catch((error: Error) => error.name);
      expect(gone).to.equal('TimeoutError');
      // Resolves long before the ten minutes only if the delay ended with its connection.
      await delayEnded;
    });

    it('plays the transport faults every fake scripts alike: reset, slow, and malformed with the given cut-off body', async () => {
      const body = '{"results": {"chan';
      await scripted(new FaultScript<Rule>([{ fault: transportFault({ type: 'reset' }, body) }, { fault: transportFault({ type: 'slow', delayMs: 5 }, body) }, { fault: transportFault({ type: 'malformed' }, body) }]));
      expect(await raw('/x')).to.have.property('error').that.matches(/ECONNRESET|socket hang up/i);
      expect(transportFault({ type: 'slow', delayMs: 5 }, body)).to.deep.equal({ kind: 'delay', ms: 5 });
      expect(await (await fetch(url('/x'))).json()).to.deep.equal({ ok: true });
      const malformed = await raw('/x');
      expect(malformed).to.deep.include({ status: 200, body });
      expect((malformed as { headers: Record<string, unknown> }).headers['content-type']).to.equal('application/json');
    });

    it('first-match: rules form a queue, each taking its matching requests until spent', async () => {
      const status = (code: number) => ({ fault: { kind: 'answer', answer: { status: code } } as Fault });
      const rules: Rule[] = [
        { method: 'GET', path: '/v1/predictions', ...status(429) },
        { method: 'GET', path: /^\/v1\/predictions$/, ...status(430) },
        { method: 'get', times: 2, ...status(503) },
        { path: '/other', nth: 2, ...status(404) },
        { fault: null },
      ];
      const script = new FaultScript(rules);
      await scripted(script);
      const codes: number[] = [];
      for (let i = 0; i < 5; i++) codes.push((await fetch(url('/v1/predictions'))).status);
      expect(codes).to.deep.equal([429, 430, 503, 503, 200]);
      // The queue's remaining head ignores other paths; nth lets the first match through.
      expect([(await fetch(url('/other'), { method: 'POST' })).status, (await fetch(url('/other'), { method: 'POST' })).status]).to.deep.equal([200, 404]);
      // The null rule answered the fifth request normally; a rule pushed later takes part.
      rules.push(status(418));
      expect([(await fetch(url('/x'))).status, (await fetch(url('/x'))).status]).to.deep.equal([418, 200]);
      expect(script.rules).to.have.length(0);
    });

    it('every-match: every rule counts every request it matches, so nth is absolute', () => {
      const script = new FaultScript<FaultRule & { name: string }>(
        [
          { method: 'GET', path: '/v1/jobs', times: 2, name: '503' },
          { method: 'GET', path: '/v1/jobs', nth: 4, name: 'drop' },
        ],
        'every-match',
      );
      const picks = Array.from({ length: 5 }, () => script.take('GET', '/v1/jobs/1')?.name ?? 'ok');
      expect(picks).to.deep.equal(['503', '503', 'ok', 'drop', 'ok']);
      // The same rules as a queue: the second rule starts counting once the first is spent.
      const queue = new FaultScript<FaultRule & { name: string }>([
        { method: 'GET', path: '/v1/jobs', times: 2, name: '503' },
        { method: 'GET', path: '/v1/jobs', nth: 4, name: 'drop' },
      ]);
      expect(Array.from({ length: 6 }, () => queue.take('GET', '/v1/jobs/1')?.name ?? 'ok')).to.deep.equal(['503', '503', 'ok', 'ok', 'ok', 'drop']);
    });
  });

  describe('bodies', () => {
    it('reads raw bytes and parses JSON, answering malformed JSON with a 400', async () => {
      await serve(async (ex) => {
        const parsed = parseJson(await ex.body());
        if (!parsed.ok) return sendAnswer(ex.res, problemAnswer(400, 'Bad request', 'The request body is not valid JSON.'));
        sendAnswer(ex.res, { status: 200, json: { object: asJsonObject(parsed.value) ?? null } });
      });
      const post = (body: string) => fetch(url('/j'), { method: 'POST', headers: { 'content-type': 'application/json' }, body });
      expect(await (await post('{"a":[1]}')).json()).to.deep.equal({ object: { a: [1] } });
      expect(await (await post('[1]')).json()).to.deep.equal({ object: null });
      const bad = await post('{"a":');
      expect([bad.status, await bad.json()]).to.deep.equal([400, { title: 'Bad request', detail: 'The request body is not valid JSON.', status: 400 }]);
    });

    it('parses multipart uploads: file parts with their name and type, text fields, repeated fields', async () => {
      await serve(async (ex) => {
        const read = await parseMultipart(String(ex.req.headers['content-type'] ?? ''), await ex.body());
        if (!read.ok) return sendAnswer(ex.res, { status: 400, json: { problem: read.problem } });
        const file = read.form.get('file') as File;
        sendAnswer(ex.res, { status: 200, json: { name: file.name, type: file.type, text: await file.text(), granularities: read.form.getAll('timestamp_granularities[]') } });
      });
      const form = new FormData();
      form.append('file', new Blob(['RIFF....'], { type: 'audio/wav' }), 'a.wav');
      form.append('timestamp_granularities[]', 'word');
      form.append('timestamp_granularities[]', 'segment');
      expect(await (await fetch(url('/f'), { method: 'POST', body: form })).json()).to.deep.equal({ name: 'a.wav', type: 'audio/wav', text: 'RIFF....', granularities: ['word', 'segment'] });
      const malformed = await fetch(url('/f'), { method: 'POST', headers: { 'content-type': 'multipart/form-data; boundary=x' }, body: 'no parts here' });
      expect(await malformed.json()).to.deep.equal({ problem: 'malformed' });
      expect(await (await fetch(url('/f'), { method: 'POST', body: 'plain' })).json()).to.deep.equal({ problem: 'not-multipart' });
    });

    it('past a limit keeps nothing but drains, so the client reads the 413 (declared or streamed)', async () => {
      await serve(async (ex) => {
        const body = await ex.bodyWithin(1000);
        sendAnswer(ex.res, body ? { status: 200, json: { bytes: body.length } } : { status: 413, json: { error: 'too large' } });
      });
      const declared = await raw('/u', { method: 'POST', headers: { 'content-length': String(4 << 20) }, body: Buffer.alloc(4 << 20) });
      expect(declared).to.deep.include({ status: 413, body: '{"error":"too large"}' });
      const streamed = await raw('/u', { method: 'POST', headers: { 'transfer-encoding': 'chunked' }, body: Buffer.alloc(4 << 20) });
      expect(streamed).to.include({ status: 413 });
      expect(await raw('/u', { method: 'POST', body: Buffer.alloc(1000) })).to.include({ status: 200, body: '{"bytes":1000}' });
      expect(http!.received.map((r) => [r.bodyBytes, r.body?.length])).to.deep.equal([
        [4 << 20, undefined],
        [4 << 20, undefined],
        [1000, 1000],
      ]);
    });
  });

  it('logs every request as it arrived: credentials in the headers, body bytes and JSON, status', async () => {
    await serve(
      async (ex) => {
        await ex.body();
        sendAnswer(ex.res, { status: ex.path === '/missing' ? 404 : 201, json: {} });
      },
      { logBodiesUpTo: 16 },
    );
    const before = Date.now();
    await fetch(url('/v1/things?x=1'), { method: 'POST', headers: { authorization: 'Bearer sk-SECRET-1', 'content-type': 'application/json' }, body: '{"a":1}' });
    await fetch(url('/missing'), { method: 'PUT', body: 'x'.repeat(17) });
    const [first, second] = http!.received;
    expect(first).to.deep.include({ seq: 1, method: 'POST', url: '/v1/things?x=1', path: '/v1/things', status: 201, bodyBytes: 7, json: { a: 1 } });
    expect(first!.headers.authorization).to.equal('Bearer sk-SECRET-1');
    expect(first!.body!.toString()).to.equal('{"a":1}');
    expect(first!.at).to.be.at.least(before);
    expect(second).to.deep.include({ seq: 2, method: 'PUT', status: 404, bodyBytes: 17 });
    expect(second).not.to.have.property('body');
  });

  it('frames answers as told: JSON, a declared length, an empty 204, and a 500 when the handler throws', async () => {
    await serve(
      (ex) => {
        if (ex.path === '/json') return sendAnswer(ex.res, { status: 200, json: { a: 'é' } });
        if (ex.path === '/length') return sendAnswer(ex.res, { status: 200, json: { a: 'é' }, declareLength: true });
        if (ex.path === '/empty') return sendAnswer(ex.res, { status: 204 });
        throw new Error('broken handler');
      },
      { onError: (error, ex) => sendAnswer(ex.res, { status: 500, json: { message: (error as Error).message } }) },
    );
    const json = (await raw('/json')) as { status: number; headers: Record<string, string | undefined>; body: string };
    expect([json.headers['content-type'], json.headers['transfer-encoding'], json.body]).to.deep.equal(['application/json', 'chunked', '{"a":"é"}']);
    const length = (await raw('/length')) as { headers: Record<string, string | undefined> };
    expect([length.headers['content-length'], length.headers['transfer-encoding']]).to.deep.equal(['10', undefined]);
    expect(await raw('/empty')).to.deep.include({ status: 204, body: '' });
    expect(await raw('/boom')).to.deep.include({ status: 500, body: '{"message":"broken handler"}' });
  });

  it('close ends open keep-alive and in-flight connections instead of waiting for them', async () => {
    let pauseEnded: () => void = () => {};
    const pauseEnd = new Promise<void>((resolve) => (pauseEnded = resolve));
    await serve(async (ex) => {
      if (ex.path === '/hang') {
        await pause(600_000, ex.res);
        pauseEnded();
      }
      sendAnswer(ex.res, { status: 200, json: {} });
    });
    const agent = new Agent({ keepAlive: true });
    const socketClosed = new Promise<void>((resolve) => {
      agent.once('free', (socket) => socket.once('close', () => resolve()));
    });
    expect(await raw('/quick', { agent })).to.include({ status: 200 });
    const hanging = raw('/hang');
    // Wait until the hanging request is in the server's log, i.e. being answered.
    while (http!.received.length < 2) await new Promise((resolve) => setImmediate(resolve));
    await http!.close();
    http = undefined;
    // Each resolves long before the keep-alive timeout and the ten-minute pause only if close ended them.
    await socketClosed;
    await pauseEnd;
    expect(await hanging).to.have.property('error');
    agent.destroy();
  });
});
