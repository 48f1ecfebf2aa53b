// Adversarial cases: see index.ts. Secrets: servers that echo the key in their error bodies,
// base URLs and store URLs with credentials (raw @ and / in passwords), plugins that log, throw
// or return a key. Each case also searches everything the CLI printed and left in the case
// directory (store, artifacts, exports, file names) for every form of the secret and fails the
// case if one is found; where a message is shown, it names the variable instead.
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { startFakePyannote } from '@spx/plugin-pyannote/testing';
import { startFakeReplicate } from '@spx/plugin-replicate/testing';
import { TEXT_PLUGIN } from '../../../packages/core/test/helpers.js';
import { API_ENV, DOC, PIPE, STANDARD, pipelineWith, READ, type BadCase, type CaseContext } from '../bad-inputs.js';
import { REPO, type CliResult } from '../cli.js';
import { freePort, redisAvailable, startRedis } from '../redis.js';
import { assertNoLeak, printed } from '../secrets.js';

const LEAKY_PLUGIN = fileURLToPath(new URL('../plugins/leaky.ts', import.meta.url));
const SAMPLE = join(REPO, 'samples', 'meeting.wav');
/** A password with every URL delimiter in it, raw. */
const PASSWORD = 'Spx-pa55@w0rd-Q7/x9k-Zt:Lm8q?Rv#Tn';
const PYANNOTE_KEY = 'pyannote-SECRET-3f9a1c77e2';
const REPLICATE_TOKEN = 'r8-SECRET-token-5b2e8d41';
const LEAKY_KEY = 'leaky-SECRET-value-9d3c2a';
const FAST = { SPX_RETRY_MAX_ATTEMPTS: '1', SPX_RETRY_BASE_MS: '1' };
const LEAKY_ENV = { LEAKY_API_KEY: LEAKY_KEY };

/** Runs the CLI, then fails the case if a secret shows in any output or file under the case directory. */
async function checked(ctx: CaseContext, secrets: string[], runs: Record<string, () => Promise<CliResult>>, wrote: string[] = []): Promise<CliResult[]> {
  const results: Record<string, CliResult> = {};
  for (const [label, run] of Object.entries(runs)) results[label] = await run();
  await assertNoLeak({ texts: printed(results), dirs: [ctx.dir], exclude: wrote.map((name) => join(ctx.dir, name)) }, secrets);
  return Object.values(results);
}

function diarizePipeline(): string {
  return `spx: 1\nname: diar\nversion: 1.0.0\nplugins: ["@spx/plugin-pyannote"]\ninputs:\n  audio: { type: file }\nstages:\n  diarize:\n    uses: pyannote/diarize\n    with: { audio: "\${{ inputs.audio }}", pollIntervalMs: 10, maxPollIntervalMs: 20 }\n`;
}

function predictPipeline(): string {
  return `spx: 1\nname: pred\nversion: 1.0.0\nplugins: ["@spx/plugin-replicate"]\ninputs:\n  audio: { type: file }\nstages:\n  transcribe:\n    uses: replicate/predict\n    with: { audio: "\${{ inputs.audio }}", pollIntervalMs: 10, maxPollIntervalMs: 20 }\n`;
}

function leakyPipeline(how: string, after = ''): string {
  return pipelineWith(`${READ}  leak:\n    uses: leaky/leak\n    with: { variable: LEAKY_API_KEY, how: ${how} }\n    needs: [read]\n${after}`, `spx: 1\nname: leaky\nversion: 1.0.0\nplugins: ["${TEXT_PLUGIN}", "${LEAKY_PLUGIN}"]\ninputs:\n  doc: { type: file }\n`);
}

function storeCase(id: string, message: RegExp, url: (ctx: CaseContext) => Promise<string> | string, secrets = [PASSWORD]): BadCase {
  return {
    id,
    group: 'secrets',
    code: 3,
    message,
    async run(ctx) {
      const store = await url(ctx);
      const [result] = await checked(ctx, secrets, {
        run: () => ctx.spx(['run', PIPE, DOC, '--store', store]),
        list: () => ctx.spx(['checkpoints', 'list', '--json'], { SPX_STORE: store }),
      });
      return { result: result! };
    },
  };
}

function baseUrlCase(id: string, message: RegExp, pipeline: string, env: NodeJS.ProcessEnv): BadCase {
  return {
    id,
    group: 'secrets',
    code: 3,
    message,
    async run(ctx) {
      const [result] = await checked(ctx, [PASSWORD], { run: () => ctx.spx(['run', pipeline, SAMPLE, '--out', 'out'], { ...API_ENV, ...FAST, ...env }) });
      return { result: result! };
    },
  };
}

function leakyCase(id: string, how: string, message: RegExp, extra: (ctx: CaseContext) => Record<string, () => Promise<CliResult>> = () => ({}), after = ''): BadCase {
  return {
    id,
    group: 'secrets',
    code: 1,
    message,
    async run(ctx) {
      await ctx.write(PIPE, leakyPipeline(how, after));
      const results = await checked(ctx, [LEAKY_KEY], { run: () => ctx.spx(['run', PIPE, DOC], LEAKY_ENV), ...extra(ctx) });
      if (!results.some((r) => r.stdout.includes('[LEAKY_API_KEY]') || r.stderr.includes('[LEAKY_API_KEY]'))) throw new Error('the variable name is not shown where the key was');
      return { result: results[0]! };
    },
  };
}

/** The id of the (only) run in the case's store. */
async function runId(ctx: CaseContext): Promise<string> {
  const list = await ctx.spx(['checkpoints', 'list', '--json']);
  const id = /"id"\s*:\s*"([0-9a-f]{6,})"/.exec(list.stdout)?.[1];
  if (!id) throw new Error(`no run in the store: ${list.stdout.slice(0, 200)}${list.stderr.slice(0, 200)}`);
  return id;
}

export const SECRET_CASES: BadCase[] = [
  {
    id: 'secrets: pyannoteAI 403 echoes the key',
    group: 'secrets',
    code: 1,
    message: /API_KEY_REJECTED: .*PYANNOTEAI_API_KEY is not allowed .*HTTP 403.*\[PYANNOTEAI_API_KEY\]/,
    async run(ctx) {
      const fake = await startFakePyannote({ apiKey: PYANNOTE_KEY, echoKey: true, script: [{ route: 'POST /v1/diarize', status: 403, times: 10, body: { requestId: 'r-1', message: 'Forbidden: missing permission jobs:write' } }] });
      try {
        await ctx.write(PIPE, diarizePipeline());
        const env = { PYANNOTEAI_API_KEY: PYANNOTE_KEY, PYANNOTEAI_BASE_URL: fake.baseURL };
        const [result] = await checked(ctx, [PYANNOTE_KEY], {
          run: () => ctx.spx(['run', PIPE, SAMPLE], env),
          json: () => ctx.spx(['run', PIPE, SAMPLE, '--json'], env),
          show: () => ctx.spx(['checkpoints', 'list', '--json']),
        });
        return { result: result! };
      } finally {
        await fake.close();
      }
    },
  },
  {
    id: 'secrets: pyannoteAI job failure reason holds the key',
    group: 'secrets',
    code: 1,
    message: /API_JOB_FAILED: .*\[PYANNOTEAI_API_KEY\]/,
    async run(ctx) {
      const fake = await startFakePyannote({ apiKey: PYANNOTE_KEY, outcome: () => ({ status: 'failed', error: `Quota of key ${PYANNOTE_KEY} exhausted` }) });
      try {
        await ctx.write(PIPE, diarizePipeline());
        const [result] = await checked(ctx, [PYANNOTE_KEY], { run: () => ctx.spx(['run', PIPE, SAMPLE], { PYANNOTEAI_API_KEY: PYANNOTE_KEY, PYANNOTEAI_BASE_URL: fake.baseURL }) });
        return { result: result! };
      } finally {
        await fake.close();
      }
    },
  },
  {
    id: 'secrets: Replicate 401 echoes the token',
    group: 'secrets',
    code: 1,
    message: /API_KEY_REJECTED: .*REPLICATE_API_TOKEN was rejected .*HTTP 401.*\[REPLICATE_API_TOKEN\]/,
    async run(ctx) {
      // The fake accepts another token, so every request is refused with the one presented echoed.
      const fake = await startFakeReplicate({ token: 'r8-some-other-token', echoToken: true });
      try {
        await ctx.write(PIPE, predictPipeline());
        const [result] = await checked(ctx, [REPLICATE_TOKEN], { run: () => ctx.spx(['run', PIPE, SAMPLE], { REPLICATE_API_TOKEN: REPLICATE_TOKEN, REPLICATE_BASE_URL: fake.baseURL, ...FAST }) });
        return { result: result! };
      } finally {
        await fake.close();
      }
    },
  },
  baseUrlCase('secrets: OPENAI_BASE_URL with user:password@', /BASE_URL_INVALID: .*OPENAI_BASE_URL has a user:password@ part/, STANDARD, { OPENAI_BASE_URL: `http://spx:${encodeURIComponent(PASSWORD)}@127.0.0.1:9/v1` }),
  baseUrlCase('secrets: PYANNOTEAI_BASE_URL with raw @ and / in the password', /BASE_URL_INVALID: .*PYANNOTEAI_BASE_URL has a user:password@ part/, STANDARD, { PYANNOTEAI_BASE_URL: `http://spx:${PASSWORD}@127.0.0.1:9` }),
  baseUrlCase('secrets: REPLICATE_BASE_URL with user:password@', /BASE_URL_INVALID: .*REPLICATE_BASE_URL has a user:password@ part/, join(REPO, 'pipelines', 'replicate.yaml'), { REPLICATE_API_TOKEN: REPLICATE_TOKEN, REPLICATE_BASE_URL: `http://${encodeURIComponent(PASSWORD)}@127.0.0.1:9` }),
  {
    id: 'secrets: openai baseURL param with credentials',
    group: 'secrets',
    code: 2,
    message: /PARAMS_INVALID: .*baseURL of stage "transcribe" has a user:password@ part/,
    async run(ctx) {
      const yaml = `spx: 1\nname: tr\nversion: 1.0.0\nplugins: ["@spx/plugin-openai"]\ninputs:\n  audio: { type: file }\nstages:\n  transcribe:\n    uses: openai/transcribe\n    with: { audio: "\${{ inputs.audio }}", baseURL: "http://spx:${PASSWORD}@127.0.0.1:9/v1" }\n`;
      await ctx.write(PIPE, yaml);
      const [result] = await checked(ctx, [PASSWORD], { run: () => ctx.spx(['run', PIPE, SAMPLE], { ...API_ENV, ...FAST }), json: () => ctx.spx(['run', PIPE, SAMPLE, '--json'], { ...API_ENV, ...FAST }) }, [PIPE]);
      return { result: result! };
    },
  },
  storeCase('secrets: redis store URL, raw @ and / in the password, server down', /STORE_UNREACHABLE: Cannot open the state store redis:\/\/\*\*\*@127\.0\.0\.1:\d+:/, async () => `redis://spx:${PASSWORD}@127.0.0.1:${await freePort()}`),
  {
    id: 'secrets: redis store URL, wrong password with @ and /',
    group: 'secrets',
    code: 3,
    message: /STORE_UNREACHABLE: Cannot open the state store redis:\/\/\*\*\*@127\.0\.0\.1:\d+: .*WRONGPASS/,
    skip: () => (redisAvailable() ? undefined : 'needs redis-server'),
    async run(ctx) {
      const redis = await startRedis({ password: 'the-right-one' });
      try {
        const [result] = await checked(ctx, [PASSWORD], { run: () => ctx.spx(['run', PIPE, DOC, '--store', `redis://:${PASSWORD}@127.0.0.1:${redis.port}`]) });
        return { result: result! };
      } finally {
        await redis.stop();
      }
    },
  },
  storeCase('secrets: postgres store URL, raw @ and / in the password, server down', /STORE_UNREACHABLE: Cannot open the state store postgres:\/\/\*\*\*@127\.0\.0\.1:\d+\/spx:/, async () => `postgres://spx:${PASSWORD}@127.0.0.1:${await freePort()}/spx`),
  storeCase('secrets: sqlite store URL with user:password@', /STORE_UNREACHABLE: The store URL sqlite:\/\/\*\*\*@host\/state\.sqlite has a user or password/, () => `sqlite://spx:${PASSWORD}@host/state.sqlite`),
  storeCase('secrets: unsupported store scheme with credentials', /STORE_UNREACHABLE: Unsupported store URL scheme in "ftp:\/\/\*\*\*@127\.0\.0\.1\/state"/, () => `ftp://spx:${PASSWORD}@127.0.0.1/state`),
  leakyCase('secrets: a plugin logs the key', 'log', /LEAK_FAIL: Stopped after logging/, (ctx) => ({
    debug: () => ctx.spx(['run', PIPE, DOC, '--debug'], LEAKY_ENV),
    json: () => ctx.spx(['run', PIPE, DOC, '--json'], LEAKY_ENV),
  })),
  leakyCase('secrets: a plugin error holds the key', 'fail', /LEAK_FAIL: .*refused the key \[LEAKY_API_KEY\]/, (ctx) => ({ show: async () => ctx.spx(['checkpoints', 'show', await runId(ctx), '--json']) })),
  leakyCase('secrets: a foreign error holds the key, --debug prints its stack', 'throw', /STAGE_FAILED: .*https:\/\/\*\*\*@api\.example\/v1 failed with key \[LEAKY_API_KEY\]/, (ctx) => ({
    debug: () => ctx.spx(['run', PIPE, DOC, '--debug'], LEAKY_ENV),
    env: () => ctx.spx(['run', PIPE, DOC], { ...LEAKY_ENV, DEBUG: 'spx*' }),
  })),
  leakyCase(
    'secrets: a stage output holds the key',
    'output',
    /TEXT_FAIL: Stage exclaim was told to fail/,
    (ctx) => ({
      show: async () => ctx.spx(['checkpoints', 'show', await runId(ctx), '--json']),
      export: async () => ctx.spx(['checkpoints', 'export', await runId(ctx), '-']),
    }),
    `  exclaim:\n    uses: text/append\n    with: { from: "\${{ stages.read.outputs.text }}", suffix: "\${{ stages.leak.outputs.token }}", fail: true }\n`,
  ),
];

