// Secrets: distinctive keys and passwords, servers that echo the key in every error body, base
// URLs and store URLs with credentials in every position (raw and percent-encoded, a password
// holding @ / : ? # %), a real redis-server with requirepass. Everything spx printed (stdout,
// stderr, --json, --debug, DEBUG=spx*) and left behind (SQLite store and WAL, redis keys,
// artifacts, exports, exported run JSON, file names) is searched for every form of every secret:
// 0 occurrences. Where a message shows the key's place, it names the variable.
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { mapPool } from '@spx/core';
import { faults } from '@spx/plugin-openai/testing';
import { startFakeReplicate } from '@spx/plugin-replicate/testing';
import { textPipeline } from '../../packages/core/test/helpers.js';
import { REPO, spx, type CliResult } from '../support/cli.js';
import { freePort, redisAvailable, startRedis } from '../support/redis.js';
import { findLeaks, printed } from '../support/secrets.js';
import { SAMPLE, standardArgs, startFakes } from '../support/standard.js';

const OPENAI_KEY = 'sk-proj-SECRETvalue0123456789abcdefXYZ';
const PYANNOTE_KEY = 'pk-SECRET-pyannote-4f1c2e9a7b';
const REPLICATE_TOKEN = 'r8_SECRETreplicate5d8e2f7a9c1b';
/** Every URL delimiter, raw, plus a stray %. */
const PASSWORD = 'Spx-pa55@w0rd-Q7/x9k-Zt:Lm8q?Rv#Tn%zz';
const WRONG_PASSWORD = 'Wr0ng-pa55@Qz8/Kt7-Jp:Vb';
const USERNAME = 'spx-user-Hq4Lw9';

/** list, show (plain and --json) and export of the one run; the last three at once. */
async function inspect(cwd: string, env: NodeJS.ProcessEnv): Promise<Record<string, CliResult>> {
  const list = await spx(['checkpoints', 'list', '--json'], { cwd, env });
  const id = /"id"\s*:\s*"([0-9a-f]{6,})"/.exec(list.stdout)?.[1];
  expect(id, list.stdout + list.stderr).to.be.a('string');
  const [show, showJson, exported] = await Promise.all([
    spx(['checkpoints', 'show', id!], { cwd, env }),
    spx(['checkpoints', 'show', id!, '--json'], { cwd, env }),
    spx(['checkpoints', 'export', id!, 'run.json'], { cwd, env }),
  ]);
  expect(exported.code, exported.stderr).to.equal(0);
  return { list, show, showJson, export: exported };
}

describe('fault: secrets never leak', function () {
  this.timeout(180_000);
  let dir: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-secrets-'));
  });
  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('standard pipeline, both fakes echoing the key in every error body, then base URLs with credentials', async () => {
    const fakes = await startFakes({ openai: { apiKey: OPENAI_KEY, echoKey: true }, pyannote: { apiKey: PYANNOTE_KEY, echoKey: true } });
    const runs: Record<string, CliResult> = {};
    try {
      // 1: pyannoteAI refuses the job (403), OpenAI refuses the key after two chunks (401).
      fakes.pyannote.addFaults({ route: 'POST /v1/diarize', status: 403, body: { requestId: 'r-403', message: 'This API key is not allowed to create jobs' } });
      fakes.openai.setFaults({ fault: (info) => (info.successes >= 2 ? faults.status(401, 'Incorrect API key provided') : null) });
      runs.first = await spx(standardArgs(['--json', '--debug']), { cwd: dir, env: fakes.env });
      expect(runs.first.code, runs.first.stderr).to.equal(1);
      expect(runs.first.stdout).to.match(/API_KEY_REJECTED/);
      // 2: 402 on the job, OpenAI quota exhausted (429 insufficient_quota); --debug and DEBUG=spx*.
      fakes.pyannote.addFaults({ route: 'POST /v1/diarize', status: 402 });
      fakes.openai.setFaults({ fault: () => faults.quota() });
      runs.second = await spx(standardArgs(['--debug']), { cwd: dir, env: { ...fakes.env, DEBUG: 'spx*' } });
      expect(runs.second.code, runs.second.stderr).to.equal(1);
      // 3: retried 5xx on both, then the run completes.
      fakes.pyannote.addFaults({ route: 'POST /v1/diarize', status: 503, times: 2 });
      fakes.openai.setFaults({ script: [faults.serverError(500)], fault: null });
      runs.resumed = await spx(standardArgs(), { cwd: dir, env: fakes.env });
      expect(runs.resumed.code, runs.resumed.stderr).to.equal(0);
      Object.assign(runs, await inspect(dir, fakes.env));

      // Base URLs with credentials: refused before anything is sent, naming the variable.
      const down = `127.0.0.1:${await freePort()}`;
      const bad: Array<[string, string]> = [
        ['OPENAI_BASE_URL', `http://${USERNAME}:${PASSWORD}@${down}/v1`],
        ['OPENAI_BASE_URL', `http://${USERNAME}:${encodeURIComponent(PASSWORD)}@${down}/v1`],
        ['PYANNOTEAI_BASE_URL', `https://${encodeURIComponent(PASSWORD)}@${down}`],
        ['PYANNOTEAI_BASE_URL', `http://:${PASSWORD}@${down}`],
      ];
      // Fresh directories: in the first one every stage is done, so nothing would be checked.
      await mapPool([...bad.entries()], 2, async ([i, [variable, url]]) => {
        const fresh = join(dir, `fresh-${i}`);
        await mkdir(fresh);
        const result = await spx(standardArgs(i % 2 ? ['--json'] : ['--debug']), { cwd: fresh, env: { ...fakes.env, [variable]: url } });
        expect(result.code, result.stderr).to.equal(3);
        expect(result.stdout + result.stderr).to.contain('BASE_URL_INVALID').and.contain(`${variable} has a user:password@ part`);
        runs[`base url ${i}`] = result;
      });
    } finally {
      await fakes.close();
    }

    const all = Object.values(runs).map((r) => r.stdout + r.stderr).join('\n');
    expect(all, 'the variables are named where the keys were').to.contain('[PYANNOTEAI_API_KEY]').and.contain('[OPENAI_API_KEY]');
    const leaks = await findLeaks({ texts: printed(runs), dirs: [dir] }, [OPENAI_KEY, PYANNOTE_KEY, PASSWORD, USERNAME]);
    expect(leaks).to.deep.equal([]);
  });

  it('replicate pipeline, the fake echoing the token in every error body', async () => {
    const fake = await startFakeReplicate({ token: REPLICATE_TOKEN, echoToken: true, steps: { starting: 1, processing: 1 } });
    const env = { REPLICATE_API_TOKEN: REPLICATE_TOKEN, REPLICATE_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '50' };
    const args = ['run', join(REPO, 'pipelines', 'replicate.yaml'), SAMPLE, '--out', 'out', '--set', 'transcribe.pollIntervalMs=10', '--set', 'transcribe.maxPollIntervalMs=20'];
    const runs: Record<string, CliResult> = {};
    try {
      fake.options.script.push({ method: 'POST', path: /predictions$/, status: 422, body: { title: 'Input validation failed', detail: '- input: file is not an audio file', status: 422 } });
      runs.refused = await spx([...args, '--json', '--debug'], { cwd: dir, env });
      expect(runs.refused.code, runs.refused.stderr).to.equal(1);
      fake.options.script.push({ method: 'GET', path: '/v1/predictions/', status: 503, times: 2 });
      runs.resumed = await spx([...args, '--debug'], { cwd: dir, env: { ...env, DEBUG: 'spx*' } });
      expect(runs.resumed.code, runs.resumed.stderr).to.equal(0);
      Object.assign(runs, await inspect(dir, env));
      // A wrong token: every answer is 401 with the presented token in it.
      runs.rejected = await spx(['run', join(REPO, 'pipelines', 'replicate.yaml'), join(REPO, 'samples', 'meeting.wav'), '--out', 'other', '--from-stage', 'transcribe'], { cwd: dir, env: { ...env, REPLICATE_API_TOKEN: `${REPLICATE_TOKEN}-revoked` } });
      expect(runs.rejected.code, runs.rejected.stderr).to.equal(1);
      expect(runs.rejected.stderr).to.match(/REPLICATE_API_TOKEN was rejected .*\[REPLICATE_API_TOKEN\]/);
    } finally {
      await fake.close();
    }
    expect(Object.values(runs).map((r) => r.stdout + r.stderr).join('\n')).to.contain('[REPLICATE_API_TOKEN]');
    const leaks = await findLeaks({ texts: printed(runs), dirs: [dir] }, [REPLICATE_TOKEN]);
    expect(leaks).to.deep.equal([]);
  });

  it('store URLs with credentials in every position: redis with requirepass, sqlite, postgres; a password with @ / : ? # % works', async function () {
    if (!redisAvailable()) this.skip();
    const redis = await startRedis({ password: PASSWORD });
    const runs: Record<string, CliResult> = {};
    try {
      await writeFile(join(dir, 'pipeline.yaml'), textPipeline());
      await writeFile(join(dir, 'talk.md'), 'the quick brown fox\n');
      const host = `127.0.0.1:${redis.port}`;
      const down = `127.0.0.1:${await freePort()}`;
      const run = (label: string, url: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) => spx(['run', 'pipeline.yaml', 'talk.md', '--store', url, ...extra], { cwd: dir, env }).then((r) => (runs[label] = r));
      // The right password, raw (spx takes the userinfo to the last @) and percent-encoded: both work.
      expect((await run('raw', `redis://:${PASSWORD}@${host}`, ['--debug'])).code, runs.raw!.stderr).to.equal(0);
      expect((await run('encoded', `redis://default:${encodeURIComponent(PASSWORD)}@${host}/0`, ['--json'])).stdout).to.match(/"reused"/);
      runs.listEnv = await spx(['checkpoints', 'list'], { cwd: dir, env: { SPX_STORE: `redis://:${PASSWORD}@${host}` } });
      expect(runs.listEnv.code, runs.listEnv.stderr).to.equal(0);
      // Refused or unreachable: each message shows the URL as scheme://***@host.
      const failing: Array<[string, string]> = [
        ['wrong password', `redis://:${WRONG_PASSWORD}@${host}`],
        ['unknown user', `redis://${USERNAME}:${PASSWORD}@${host}`],
        ['password as user, down', `redis://${encodeURIComponent(PASSWORD)}@${down}`],
        ['postgres down', `postgres://${USERNAME}:${PASSWORD}@${down}/spx`],
        ['postgres encoded down', `postgresql://${USERNAME}:${encodeURIComponent(PASSWORD)}@${down}/spx?sslmode=disable`],
        ['sqlite with credentials', `sqlite://${USERNAME}:${PASSWORD}@host/state.sqlite`],
      ];
      await mapPool(failing, 2, async ([label, url]) => {
        const result = await run(label, url, label.includes('postgres') ? ['--json'] : ['--debug']);
        expect(result.code, `${label}: ${result.stderr}`).to.equal(3);
        expect(result.stdout + result.stderr, label).to.contain('STORE_UNREACHABLE').and.match(/(redis|postgres|postgresql|sqlite):\/\/\*\*\*@/);
      });
      runs.listDown = await spx(['checkpoints', 'list', '--debug'], { cwd: dir, env: { SPX_STORE: `redis://:${WRONG_PASSWORD}@${host}`, DEBUG: 'spx*' } });
      expect(runs.listDown.code).to.equal(3);
      const dump = redis.dump();
      expect(dump, 'the runs are in redis').to.contain('spx-run-state');
      const leaks = await findLeaks({ texts: { ...printed(runs), 'redis keys': dump }, dirs: [dir] }, [PASSWORD, WRONG_PASSWORD, USERNAME]);
      expect(leaks).to.deep.equal([]);
    } finally {
      await redis.stop();
    }
  });
});
