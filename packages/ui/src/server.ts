// spx ui's HTTP server (Hono on Node): the JSON API the pages use, a server-sent event stream
// that keeps them live, the run files (by id, with ranges), and the front-end — plain ES modules
// and the vendored Preact and htm, all from the installed package (no CDN, no build step).
import { randomBytes } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import { serve, type ServerType } from '@hono/node-server';
import { Hono, type Context } from 'hono';
import { streamSSE } from 'hono/streaming';
import { accessControl, problem } from './auth.js';
import { deleteRun, editsSummary, exportRun, findRun, isRunId, liveLease, readSavedEdits, recordedPipelineUnsafe, redactValue, rerunPlan, runDetail, runTranscript, saveEdits, SpxError, toSpxError, verifyRun, type PipelineOpener, type RunState, type Store } from './engine.js';
import { audioOf, FileVerifier, notFound, runFiles, sendFile } from './files.js';
import { Jobs, type Job, type SpxCommand } from './jobs.js';
import { RunIndex, type RunQuery } from './run-index.js';
import { staticAssets } from './static.js';
import { changedEdits, transcriptView, type EditChange } from './transcript.js';
import { workDirOf } from './work-dir.js';

export interface UiServerOptions {
  store: Store;
  /** The store's URL, handed to reruns (by environment). */
  storeUrl: string;
  /** Work dir for runs whose artifacts do not say where theirs is. */
  workDir: string;
  host?: string;
  port?: number;
  /** Access token; a random one when not given. */
  token?: string;
  opener: PipelineOpener;
  spx: SpxCommand;
  /** Environment of reruns (API keys are read there, never shown). */
  env?: NodeJS.ProcessEnv;
  /** How often the store is polled for other processes' runs (ms). */
  pollMs?: number;
}

export interface UiServer {
  url: string;
  token: string;
  close(): Promise<void>;
}

type Listener = (event: string, data: unknown) => void;

const STATUS: Record<string, 400 | 404 | 409 | 500> = {
  CHECKPOINT_NOT_FOUND: 404,
  CHECKPOINT_AMBIGUOUS: 404,
  RUN_LOCKED: 409,
  CHECKPOINT_INVALID: 409,
  EDITS_INVALID: 400,
  INPUT_INVALID: 400,
  USAGE: 400,
};

export async function startUiServer(options: UiServerOptions): Promise<UiServer> {
  const host = options.host ?? '127.0.0.1';
  const token = options.token ?? randomBytes(24).toString('hex');
  const { store, opener } = options;
  const listeners = new Set<Listener>();
  const broadcast: Listener = (event, data) => {
    for (const listener of listeners) listener(event, data);
  };
  const index = new RunIndex(store, (ids) => broadcast('runs', { ids }));
  const jobs = new Jobs(options.spx, {
    storeUrl: options.storeUrl,
    env: options.env ?? process.env,
    onUpdate: (job: Job) => {
      broadcast('job', job);
      if (job.status !== 'running') void index.reread([job.runId]).then((ids) => ids.length && broadcast('runs', { ids }));
    },
  });
  const verifier = new FileVerifier(store);
  const assets = await staticAssets();
  let port = options.port ?? 0;

  const app = new Hono();
  const cookieName = () => `spx_ui_${port}`;
  let hosts: Set<string> | undefined;
  app.use('*', (c, next) => accessControl({ token, cookieName: cookieName(), ...(hosts ? { hosts } : {}) })(c, next));
  app.onError((error, c) => failure(c, error));

  const json = (c: Context, value: unknown) => c.json(redactValue(value as object));
  /** A run by its exact id; 404 for anything else. */
  const runOf = async (c: Context): Promise<RunState> => {
    const id = c.req.param('id');
    if (!isRunId(id)) throw new SpxError('CHECKPOINT_NOT_FOUND', 'No such run.', { hint: 'Pick a run from the list.' });
    const state = await findRun(store, id);
    if (state.id !== id) throw new SpxError('CHECKPOINT_NOT_FOUND', 'No such run.', { hint: 'Pick a run from the list.' });
    return state;
  };

  app.get('/', (c) => assets.page(c));
  app.get('/assets/*', (c) => assets.file(c));

  app.get('/api/runs', async (c) => {
    await index.ready;
    const q = c.req.query();
    const query: RunQuery = { ...pick(q, ['status', 'pipeline', 'q', 'from', 'to']), offset: Number(q.offset ?? 0) || 0, limit: Number(q.limit ?? 100) || 100 };
    return json(c, { ...index.query(query), invalidEntries: index.invalid });
  });

  app.get('/api/runs/:id', async (c) => {
    const state = await runOf(c);
    const detail = await runDetail(store, state);
    const item = index.get(state.id);
    const files = runFiles(state);
    const byPath = new Map(files.map((f) => [`${f.stage}\0${f.path}`, f]));
    const stages = detail.stageDetails.map((s) => ({ ...s, artifacts: s.artifacts.map((a) => ({ ...a, id: byPath.get(`${s.stage}\0${a.path}`)?.id ?? null, kind: byPath.get(`${s.stage}\0${a.path}`)?.kind ?? 'artifact' })) }));
    const unsafe = state.pipeline?.file ? recordedPipelineUnsafe(store, state, state.pipeline.file, opener) : 'the run records no pipeline file';
    return json(c, {
      ...detail,
      stageDetails: stages,
      saved: item?.saved ?? null,
      usage: item?.usage ?? 0,
      paidCalls: item?.paidCalls ?? 0,
      overrides: state.pipeline?.overrides ?? [],
      metadata: state.metadata,
      input: { ...files.find((f) => f.kind === 'input'), path: state.input_file },
      audio: audioOf(files)?.id ?? null,
      hasTranscript: stages.some((s) => s.uses === 'core/merge' && s.status === 'completed'),
      rerun: unsafe ? { allowed: false, reason: `${unsafe}; rerun it with spx run` } : { allowed: true },
      job: jobs.get(state.id) ?? null,
    });
  });

  app.get('/api/runs/:id/plan', async (c) => {
    const state = await runOf(c);
    const from = c.req.query('from') || undefined;
    const force = c.req.query('force') === '1';
    if (from !== undefined && !state.pipeline.stages.includes(from)) throw new SpxError('USAGE', `"${from}" is not a stage of this run.`, { hint: 'Pick a stage of the run.' });
    const unsafe = recordedPipelineUnsafe(store, state, state.pipeline.file, opener);
    if (unsafe) return json(c, { plan: null, note: `${unsafe}; rerun it with spx run` });
    const { plan, note } = await rerunPlan(store, state, { opener, overrides: state.pipeline.overrides ?? [], workDir: workDirOf(state, options.workDir), ...(force ? { forceRestart: true } : from ? { fromStage: from } : {}) });
    return json(c, { plan: plan ?? null, note, overrides: state.pipeline.overrides ?? [] });
  });

  app.post('/api/runs/:id/rerun', async (c) => {
    const state = await runOf(c);
    const body = await bodyOf<{ from?: unknown; force?: unknown }>(c);
    const from = typeof body.from === 'string' && body.from ? body.from : undefined;
    if (from !== undefined && !state.pipeline.stages.includes(from)) throw new SpxError('USAGE', `"${from}" is not a stage of this run.`, { hint: 'Pick a stage of the run.' });
    const unsafe = recordedPipelineUnsafe(store, state, state.pipeline.file, opener);
    if (unsafe) throw new SpxError('USAGE', `Not rerun from here: ${unsafe}.`, { hint: 'Rerun it with spx run, naming the pipeline file yourself.' });
    const holder = jobs.running(state.id) ? { pid: 'this page' } : await liveLease(store, state.id);
    if (holder) throw new SpxError('RUN_LOCKED', `Run ${state.id} is in progress (pid ${holder.pid}).`, { hint: 'Wait for it to finish.' });
    const job = jobs.start(state, workDirOf(state, options.workDir), { ...(body.force === true ? { forceRestart: true } : from ? { fromStage: from } : {}) });
    return json(c, { job });
  });

  app.post('/api/runs/:id/validate', async (c) => {
    const state = await runOf(c);
    const files = runFiles(state);
    const reports = await verifyRun(state, true);
    return json(c, { artifacts: reports.map((r) => ({ ...r, id: files.find((f) => f.stage === r.stage && f.path === r.path)?.id ?? null })) });
  });

  app.get('/api/runs/:id/export', async (c) => {
    const state = await runOf(c);
    const data = await exportRun(store, state.id);
    c.header('Content-Disposition', `attachment; filename="spx-run-${state.id}.json"`);
    return json(c, data);
  });

  app.post('/api/runs/:id/delete', async (c) => {
    const state = await runOf(c);
    const body = await bodyOf<{ confirm?: unknown }>(c);
    if (body.confirm !== state.id) throw new SpxError('USAGE', 'Deleting a run needs its id as confirmation.', { hint: 'Send {"confirm": "<run id>"}.' });
    if (jobs.running(state.id)) throw new SpxError('RUN_LOCKED', `Run ${state.id} is being rerun from this page; not deleting it.`, { hint: 'Wait for it to finish.' });
    const result = await deleteRun(store, state.id, { workDir: workDirOf(state, options.workDir) });
    await index.reread([state.id]).then((ids) => ids.length && broadcast('runs', { ids }));
    return json(c, { deleted: result });
  });

  app.get('/api/runs/:id/transcript', async (c) => {
    const state = await runOf(c);
    const saved = await readSavedEdits(store, state.id);
    const { view } = await transcriptView(state, saved?.edits ?? {});
    return json(c, { ...view, audio: audioOf(runFiles(state))?.id ?? null, updatedAt: saved?.updatedAt ?? null });
  });

  app.post('/api/runs/:id/edits', async (c) => {
    const state = await runOf(c);
    const change = await bodyOf<EditChange>(c);
    const saved = await readSavedEdits(store, state.id);
    const { merged } = await runTranscript(state);
    await saveEdits(store, state.id, changedEdits(saved?.edits ?? {}, change, merged));
    return json(c, { edits: await editsSummary(store, state.id) });
  });

  app.on(['GET', 'HEAD'], '/api/runs/:id/files/:file', async (c) => {
    const state = await runOf(c);
    const file = runFiles(state).find((f) => f.id === c.req.param('file'));
    if (!file) return notFound(c);
    const check = await verifier.check(state, file);
    if (!check.ok) return problem(c, 404, 'FILE_UNAVAILABLE', `${file.name} is not served: ${check.reason}.`, 'Validate the run, or run it again to rewrite its files.');
    return sendFile(c, file, check.size, c.req.query('download') === '1');
  });

  app.get('/api/events', (c) =>
    streamSSE(c, async (stream) => {
      const queue: Array<{ event: string; data: string }> = [];
      let wake: (() => void) | undefined;
      const listener: Listener = (event, data) => {
        queue.push({ event, data: JSON.stringify(redactValue(data as object)) });
        wake?.();
      };
      listeners.add(listener);
      stream.onAbort(() => {
        listeners.delete(listener);
        wake?.();
      });
      await stream.writeSSE({ event: 'hello', data: '{}' });
      while (!stream.aborted) {
        while (queue.length) await stream.writeSSE(queue.shift()!);
        await new Promise<void>((resolve) => {
          wake = resolve;
          setTimeout(resolve, 15_000).unref();
        });
        wake = undefined;
        if (!queue.length && !stream.aborted) await stream.write(': keep-alive\n\n');
      }
      listeners.delete(listener);
    }),
  );

  app.all('/api/*', (c) => problem(c, 404, 'NOT_FOUND', 'No such API route.'));
  app.notFound((c) => problem(c, 404, 'NOT_FOUND', 'Not found.'));

  const server: ServerType = await new Promise((resolve, reject) => {
    const s = serve({ fetch: app.fetch, hostname: host, port }, () => resolve(s));
    s.once('error', reject);
  });
  port = (server.address() as AddressInfo).port;
  const shown = host === '0.0.0.0' || host === '::' ? '127.0.0.1' : host.includes(':') ? `[${host}]` : host;
  if (host === '127.0.0.1' || host === 'localhost' || host === '::1') hosts = new Set([`127.0.0.1:${port}`, `localhost:${port}`, `[::1]:${port}`]);
  index.start(options.pollMs ?? 1000);
  void index.ready.catch(() => undefined);
  return {
    url: `http://${shown}:${port}/?token=${token}`,
    token,
    async close() {
      await index.stop();
      await jobs.stop();
      for (const listener of [...listeners]) listeners.delete(listener);
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        (server as unknown as { closeAllConnections?: () => void }).closeAllConnections?.();
      });
    },
  };
}

function failure(c: Context, thrown: unknown): Response {
  const error = toSpxError(thrown);
  const status = STATUS[error.code] ?? 500;
  return c.json(redactValue({ error: { code: error.code, message: error.message, ...(error.hint ? { hint: error.hint } : {}) } }), status);
}

async function bodyOf<T>(c: Context): Promise<Partial<T>> {
  const text = await c.req.text();
  if (text.length > 1_000_000) throw new SpxError('USAGE', 'Request body too large.', { hint: 'Send one change at a time.' });
  try {
    const value = text ? (JSON.parse(text) as unknown) : {};
    if (value && typeof value === 'object' && !Array.isArray(value)) return value as Partial<T>;
  } catch {
    // reported below
  }
  throw new SpxError('USAGE', 'The request body is not a JSON object.', { hint: 'Send application/json.' });
}

function pick(source: Record<string, string>, names: string[]): Record<string, string> {
  return Object.fromEntries(names.filter((n) => typeof source[n] === 'string' && source[n] !== '').map((n) => [n, source[n]!]));
}
