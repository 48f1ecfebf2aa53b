// The spx ui server over real HTTP, on a store made by a real `spx run`: the access token,
// same-origin writes, files served only by the ids a run's state gives them (and only while their
// bytes are what it records), ranges, a locked run that cannot be deleted, edits, no secrets.
import { copyFile, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'chai';
import { registerSecret } from '@spx/core';
import { openStore, runDetail, storeKeys, type Lease, type RunState, type Store } from '@spx/core/engine';
import { SCRIPT_TEXT, scriptPipeline } from '../../core/test/fixtures/script-pipeline.js';
import { spx, SPX_BIN, tempDir, type TempDir } from '../../cli/test/helpers.js';
import { pipelineOpener } from '../../cli/src/lib/checkpoints.js';
import { startUiServer, type UiServer } from '../src/index.js';


describe('ui: HTTP API', function () {
  this.timeout(60_000);
  let t: TempDir;
  let store: Store;
  let server: UiServer;
  let base: string;
  let runId: string;
  let state: RunState;
  let ledger: string;

  const auth = (extra: Record<string, string> = {}) => ({ Authorization: `Bearer ${server.token}`, ...extra });
  const call = (path: string, init: RequestInit = {}) => fetch(`${base}${path}`, { redirect: 'manual', ...init });
  const postJson = (path: string, body: unknown, headers: Record<string, string>) => call(path, { method: 'POST', headers: { 'Content-Type': 'application/json', ...headers }, body: JSON.stringify(body) });

  before(async () => {
    t = await tempDir();
    await t.write('pipeline.yaml', scriptPipeline());
    await t.write('meeting.txt', SCRIPT_TEXT);
    const run = await spx(['run', 'pipeline.yaml', 'meeting.txt', '--out', 'out'], t.dir);
    expect(run.code, run.stderr).to.equal(0);
    store = await openStore({ url: `sqlite://${join(t.dir, '.spx', 'state.sqlite')}` });
    runId = (await store.keys('run:').next()).value!.slice('run:'.length);
    state = (await store.get<RunState>(storeKeys.run(runId)))!;
    ledger = join(t.dir, 'ledger.txt');
    await writeFile(ledger, '');
    server = await startUiServer({ store, storeUrl: store.url, workDir: join(t.dir, '.spx'), port: 0, opener: pipelineOpener, spx: { command: process.execPath, args: [SPX_BIN] }, pollMs: 200, env: { ...process.env, SPX_TEST_LEDGER: ledger } });
    base = new URL(server.url).origin;
  });
  after(async () => {
    await server?.close();
    await store?.close();
    await t?.remove();
  });

  it('answers 401 without the token, and moves a token from the URL into an HttpOnly cookie', async () => {
    expect((await call('/api/runs')).status).to.equal(401);
    expect((await call('/')).status).to.equal(401);
    expect((await call('/api/runs', { headers: { Authorization: 'Bearer wrong-token-of-some-length' } })).status).to.equal(401);
    const first = await call(`/?token=${server.token}`);
    expect(first.status).to.equal(303);
    expect(first.headers.get('location')).to.equal('/');
    const cookie = first.headers.get('set-cookie')!;
    expect(cookie).to.match(/HttpOnly/i).and.to.match(/SameSite=Strict/i);
    const page = await call('/', { headers: { Cookie: cookie.split(';')[0]! } });
    expect(page.status).to.equal(200);
    expect(page.headers.get('content-security-policy')).to.contain("default-src 'none'");
    const list = (await (await call('/api/runs', { headers: { Cookie: cookie.split(';')[0]! } })).json()) as { total: number; runs: Array<{ id: string }> };
    expect(list.runs.map((r) => r.id)).to.deep.equal([runId]);
  });

  it('refuses a Host header that is not this server (DNS rebinding)', async () => {
    const { request } = await import('node:http');
    const status = await new Promise<number>((resolve, reject) => {
      const req = request(`${base}/api/runs`, { headers: { Host: 'attacker.example:80', ...auth() } }, (res) => (res.resume(), resolve(res.statusCode!)));
      req.on('error', reject);
      req.end();
    });
    expect(status).to.equal(403);
  });

  it('serves a run file by its id only: anything else is 404', async () => {
    const detail = (await (await call(`/api/runs/${runId}`, { headers: auth() })).json()) as { stageDetails: Array<{ stage: string; artifacts: Array<{ id: string; path: string }> }> };
    const merged = detail.stageDetails.find((s) => s.stage === 'merge')!.artifacts[0]!;
    const ok = await call(`/api/runs/${runId}/files/${merged.id}`, { headers: auth() });
    expect(ok.status).to.equal(200);
    expect(await ok.text()).to.equal(await readFile(merged.path, 'utf8'));
    for (const path of [`/api/runs/${runId}/files/..%2F..%2F..%2Fetc%2Fpasswd`, `/api/runs/${runId}/files/${encodeURIComponent(merged.path)}`, `/api/runs/${runId}/files/0000000000000000`, `/api/runs/aaaaaaaaaaaa/files/${merged.id}`, `/api/runs/..%2F..%2F/files/${merged.id}`]) {
      expect((await call(path, { headers: auth() })).status, path).to.equal(404);
    }
  });

  it('never serves a file the store names outside the run, nor one whose bytes changed', async () => {
    const tampered = structuredClone(state);
    tampered.id = 'bbbbbbbbbbbb';
    const victim = join(t.dir, 'victim.txt');
    await writeFile(victim, 'private\n');
    const bytes = (await readFile(victim)).length;
    tampered.stages.merge!.artifacts = [{ name: 'victim.txt', path: victim, bytes, sha256: 'f'.repeat(64) }];
    await store.set(storeKeys.run(tampered.id), tampered);
    const detail = (await (await call(`/api/runs/${tampered.id}`, { headers: auth() })).json()) as { stageDetails: Array<{ stage: string; artifacts: Array<{ id: string }> }> };
    const id = detail.stageDetails.find((s) => s.stage === 'merge')!.artifacts[0]!.id;
    const refused = await call(`/api/runs/${tampered.id}/files/${id}`, { headers: auth() });
    expect(refused.status).to.equal(404);
    expect(await refused.text()).not.to.contain('private');
    await store.delete(storeKeys.run(tampered.id));

    const transcript = state.stages.transcribe!.artifacts[0]!;
    const saved = `${transcript.path}.keep`;
    await copyFile(transcript.path, saved);
    try {
      await writeFile(transcript.path, (await readFile(saved, 'utf8')).replace('Good', 'Gxxd'));
      const own = (await (await call(`/api/runs/${runId}`, { headers: auth() })).json()) as { stageDetails: Array<{ stage: string; artifacts: Array<{ id: string }> }> };
      const changed = await call(`/api/runs/${runId}/files/${own.stageDetails.find((s) => s.stage === 'transcribe')!.artifacts[0]!.id}`, { headers: auth() });
      expect(changed.status).to.equal(404);
      expect(((await changed.json()) as { error: { code: string } }).error.code).to.equal('FILE_UNAVAILABLE');
    } finally {
      await copyFile(saved, transcript.path);
    }
  });

  it('answers byte ranges of the input file (seeking)', async () => {
    const res = await call(`/api/runs/${runId}/files/input`, { headers: auth({ Range: 'bytes=4-9' }) });
    expect(res.status).to.equal(206);
    expect(res.headers.get('content-range')).to.equal(`bytes 4-9/${Buffer.byteLength(SCRIPT_TEXT)}`);
    expect(await res.text()).to.equal(SCRIPT_TEXT.slice(4, 10));
    expect((await call(`/api/runs/${runId}/files/input`, { headers: auth({ Range: 'bytes=99999-' }) })).status).to.equal(416);
  });

  it('refuses a cross-origin POST, and one that only carries a cookie without an Origin', async () => {
    const first = await call(`/?token=${server.token}`);
    const cookie = first.headers.get('set-cookie')!.split(';')[0]!;
    const crossOrigin = await postJson(`/api/runs/${runId}/edits`, { speakers: { SPEAKER_00: 'Mallory' } }, { Cookie: cookie, Origin: 'http://evil.example' });
    expect(crossOrigin.status).to.equal(403);
    expect(((await crossOrigin.json()) as { error: { code: string } }).error.code).to.equal('CROSS_ORIGIN');
    expect((await postJson(`/api/runs/${runId}/edits`, { speakers: { SPEAKER_00: 'Mallory' } }, { Cookie: cookie })).status).to.equal(403);
    expect((await call(`/api/runs/${runId}/edits`, { method: 'PUT', headers: auth() })).status).to.equal(405);
    expect((await store.get(storeKeys.edits(runId))) ?? null).to.equal(null);
  });

  it('saves a rename from the same origin, shown by the transcript and checkpoints show', async () => {
    const res = await postJson(`/api/runs/${runId}/edits`, { speakers: { SPEAKER_00: 'Anna Berg' } }, { Cookie: (await call(`/?token=${server.token}`)).headers.get('set-cookie')!.split(';')[0]!, Origin: base });
    expect(res.status, await res.clone().text()).to.equal(200);
    const view = (await (await call(`/api/runs/${runId}/transcript`, { headers: auth() })).json()) as { speakers: Array<{ id: string; name: string }>; exported: boolean };
    expect(view.speakers[0]).to.deep.equal({ id: 'SPEAKER_00', name: 'Anna Berg' });
    expect(view.exported, 'the exports do not have the new name yet').to.equal(false);
    expect((await runDetail(store, state)).edits?.speakers).to.deep.equal({ SPEAKER_00: 'Anna Berg' });
  });

  it('reruns from a stage in the background after showing the dry-run plan; no paid step repeats', async () => {
    const plan = (await (await call(`/api/runs/${runId}/plan?from=merge`, { headers: auth() })).json()) as { plan: Array<{ stage: string; action: string; reason: string }> };
    expect(plan.plan.map((p) => `${p.stage}:${p.action}`)).to.deep.equal(['transcribe:reuse', 'merge:run', 'export:run']);
    expect(plan.plan[1]!.reason).to.equal('forced (--from-stage merge)');
    const started = await postJson(`/api/runs/${runId}/rerun`, { from: 'merge' }, auth());
    expect(started.status, await started.clone().text()).to.equal(200);
    let job: { status: string; ran: string[]; reused: string[] } = ((await started.json()) as { job: typeof job }).job;
    for (let i = 0; i < 200 && job.status === 'running'; i++) {
      await new Promise((r) => setTimeout(r, 100));
      job = ((await (await call(`/api/runs/${runId}`, { headers: auth() })).json()) as { job: typeof job }).job;
    }
    expect(job).to.deep.include({ status: 'completed', ran: ['merge', 'export'], reused: ['transcribe'] });
    expect((await readFile(ledger, 'utf8')).trim(), 'no paid sub-step ran again').to.equal('');
    expect((await postJson(`/api/runs/${runId}/rerun`, { from: '../x' }, auth())).status).to.equal(400);
  });

  it('streams a run that another process starts on the same store', async () => {
    const events = await call('/api/events', { headers: auth() });
    const reader = events.body!.getReader();
    const seen = (async () => {
      let text = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) return text;
        text += Buffer.from(value).toString();
        if (/event: runs\ndata: \{"ids":\["[0-9a-f]{12}"/.test(text) && !text.includes(`"${runId}"]`)) return text;
      }
    })();
    await t.write('second.txt', 'SPEAKER_00 0 Another meeting entirely.\n');
    const other = await spx(['run', 'pipeline.yaml', 'second.txt', '--out', 'out2'], t.dir);
    expect(other.code, other.stderr).to.equal(0);
    const text = await seen;
    await reader.cancel();
    const id = /event: runs\ndata: \{"ids":\["([0-9a-f]{12})"/.exec(text.slice(text.lastIndexOf('event: runs')))![1]!;
    // The list follows the run to its end: the next poll after the process let go of it.
    let list = { runs: [] as Array<{ id: string; status: string }> };
    for (let i = 0; i < 50 && list.runs[0]?.status !== 'completed'; i++) {
      list = (await (await call('/api/runs?q=second', { headers: auth() })).json()) as typeof list;
      if (list.runs[0]?.status !== 'completed') await new Promise((r) => setTimeout(r, 100));
    }
    expect(list.runs.map((r) => r.id)).to.deep.equal([id]);
    expect(list.runs[0]!.status).to.equal('completed');
  });

  it('refuses to delete a run a live process holds (RUN_LOCKED), and deletes it once free', async () => {
    // Held by a live process on another machine sharing the store (its heartbeat is fresh).
    const lease: Lease = { token: 'elsewhere', pid: 4242, host: 'worker-7', since: new Date().toISOString(), heartbeat: Date.now() + 60_000 };
    await store.set(storeKeys.lock(runId), lease);
    try {
      const res = await postJson(`/api/runs/${runId}/delete`, { confirm: runId }, auth());
      expect(res.status).to.equal(409);
      expect(((await res.json()) as { error: { code: string } }).error.code).to.equal('RUN_LOCKED');
      expect(await store.get(storeKeys.run(runId))).to.not.equal(undefined);
    } finally {
      await store.delete(storeKeys.lock(runId));
    }
    expect((await postJson(`/api/runs/${runId}/delete`, {}, auth())).status, 'no confirmation').to.equal(400);
    const res = await postJson(`/api/runs/${runId}/delete`, { confirm: runId }, auth());
    expect(res.status).to.equal(200);
    expect(await store.get(storeKeys.run(runId))).to.equal(undefined);
    expect((await call(`/api/runs/${runId}`, { headers: auth() })).status).to.equal(404);
  });

  it('shows no secret a store holds', async () => {
    const secret = 'sk-live-9d8c7b6a5f4e3d2c1b0a';
    const leaky = { ...structuredClone(state), id: 'cccccccccccc', status: 'failed', error_message: `upstream said: bad key ${secret}` };
    // Stored before spx knew it as a secret (as an older spx or another tool might have left it).
    await store.set(storeKeys.run(leaky.id), leaky);
    registerSecret(secret, 'OPENAI_API_KEY');
    const bodies = await Promise.all([`/api/runs/${leaky.id}`, '/api/runs?q=bad'].map(async (p) => (await call(p, { headers: auth() })).text()));
    expect(bodies[0]).to.contain('upstream said: bad key');
    for (const body of bodies) expect(body).not.to.contain(secret);
  });
});
