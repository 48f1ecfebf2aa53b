// API faults through the CLI with the standard pipeline against the fake servers. Transient
// faults (429 with and without retry-after, 500/502/503, connection resets, a slow answer past
// the per-attempt timeout, a pyannoteAI job that expires) are absorbed: the run completes with
// the same exports as a clean run and no chunk paid twice. Fatal faults (a 401 mid-run, malformed
// JSON, an API that stops answering in time, a job that fails) end the run with a clear one-line
// message, and the rerun with the fault gone completes, reusing every finished paid call.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { faults } from '@spx/plugin-openai/testing';
import { mapPool } from '@spx/core';
import { spx, type CliResult } from '../support/cli.js';
import { firstMessageLine } from '../support/bad-inputs.js';
import { referenceRun } from '../support/kill9.js';
import { OPENAI_KEY, PYANNOTE_KEY, answeredSince, diffOutputs, paidState, readOutputs, sqliteUrl, standardArgs, startFakes, type Fakes } from '../support/standard.js';

const STACK = /^\s+at .+:\d+:\d+\)?$/m;

interface Scenario {
  dir: string;
  fakes: Fakes;
  run(env?: NodeJS.ProcessEnv): Promise<CliResult>;
  /** Paid answers for chunks or jobs that were already checkpointed when the run started. */
  duplicates(): number;
  outputs(): Promise<Map<string, Buffer>>;
  close(): Promise<void>;
}

async function scenario(options: Parameters<typeof startFakes>[0] = {}): Promise<Scenario> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-api-fault-'));
  const fakes = await startFakes(options);
  let duplicates = 0;
  return {
    dir,
    fakes,
    async run(env = {}) {
      const saved = await paidState(sqliteUrl(dir));
      const from = fakes.openai.requests.length;
      const jobs = fakes.pyannote.jobs().length;
      const result = await spx(standardArgs(), { cwd: dir, env: { ...fakes.env, ...env } });
      duplicates += answeredSince(fakes.openai, from).filter((hash) => saved.chunkHashes.has(hash)).length;
      // A new job repeats paid work only while a saved one was still usable (not expired, failed or canceled).
      const usable = (id: string) => fakes.pyannote.jobs().some((j) => j.jobId === id && !j.expired && j.status !== 'failed' && j.status !== 'canceled');
      if ([...saved.jobIds].some(usable)) duplicates += fakes.pyannote.jobs().length - jobs;
      return result;
    },
    duplicates: () => duplicates,
    outputs: () => readOutputs(join(dir, 'out')),
    async close() {
      await fakes.close();
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A failed run: the exit code, a one-line message naming the problem, no stack, no key value. */
function expectClearFailure(result: CliResult, code: number, message: RegExp): void {
  const line = firstMessageLine(result);
  expect(result.code, `${result.stderr}${result.stdout}`).to.equal(code);
  expect(line).to.match(message);
  expect(result.stderr + result.stdout).to.not.match(STACK);
  expect(result.stderr + result.stdout).to.not.contain(OPENAI_KEY).and.not.contain(PYANNOTE_KEY);
}

describe('fault: API faults through the CLI (standard pipeline)', function () {
  this.timeout(300_000);
  let reference: Map<string, Buffer>;

  before(async () => {
    // An uninterrupted run without faults (shared with the other fault tests in this process).
    reference = (await referenceRun()).outputs;
    expect(reference.size).to.equal(6);
  });

  it('absorbs transient faults and an expired job, and a fatal fault chain resumes to the same exports', async () => {
    await mapPool(['fatal-openai', 'transient', 'job-failed'], 2, async (name) => {
      if (name === 'transient') {
        // Faults interleaved with normal answers so no chunk exhausts its attempts; the
        // diarization job also disappears while it is polled and is replaced.
        const s = await scenario({
          openai: {
            script: [faults.rateLimit(0), null, faults.rateLimit(), null, faults.serverError(500), null, faults.serverError(502), null, faults.serverError(503), null, faults.reset(), null, faults.slow(2500), null],
          },
          pyannote: {
            paused: ['diarize'],
            script: [
              { route: 'POST /v1/media/input', status: 502 },
              { route: 'POST /v1/diarize', status: 429, retryAfter: 0 },
              { route: 'GET /v1/jobs', status: 503, times: 2 },
              { route: 'GET /v1/jobs', nth: 3, drop: true },
            ],
          },
        });
        const watcher = setInterval(() => {
          const job = s.fakes.pyannote.jobs()[0];
          if (job && job.polls >= 2 && !job.expired) {
            s.fakes.pyannote.expireJob(job.jobId);
            s.fakes.pyannote.resume();
          }
        }, 10);
        try {
          const result = await s.run({ SPX_HTTP_TIMEOUT_MS: '1200', SPX_RETRY_MAX_ATTEMPTS: '8' });
          expect(result.code, result.stderr + result.stdout).to.equal(0);
          expect(diffOutputs(reference, await s.outputs()), 'exports differ from a clean run').to.deep.equal([]);
          const faulted = s.fakes.openai.requests.filter((r) => r.fault).map((r) => r.fault);
          expect(faulted).to.include.members(['rate-limit', 'server-error', 'reset', 'slow']);
          expect([...s.fakes.openai.successesByHash().values()].every((n) => n === 1), 'no chunk answered twice').to.equal(true);
          expect(s.fakes.pyannote.counts.faults).to.be.greaterThanOrEqual(4);
          expect(s.fakes.pyannote.jobs().length, 'the expired job was replaced once').to.equal(2);
          expect(s.fakes.pyannote.jobs()[0]!.expired).to.equal(true);
        } finally {
          clearInterval(watcher);
          await s.close();
        }
      } else if (name === 'fatal-openai') {
        // 401 after two chunks → fix the key → malformed JSON after one more → fixed → the API
        // stops answering in time → fixed: completes, and no saved chunk was paid twice.
        const s = await scenario();
        try {
          let okBefore = 0;
          s.fakes.openai.setFaults({ fault: (info) => (info.successes >= 2 ? faults.status(401, 'Incorrect API key provided: sk-fa**-key.') : null) });
          const unauthorized = await s.run();
          expectClearFailure(unauthorized, 1, /OPENAI_API_KEY was rejected/);

          okBefore = s.fakes.openai.successCount();
          s.fakes.openai.setFaults({ fault: (info) => (info.successes >= okBefore + 1 ? faults.malformed() : null) });
          const malformed = await s.run();
          expectClearFailure(malformed, 1, /malformed|unusable/i);

          s.fakes.openai.setFaults({ fault: () => faults.slow(1500) });
          const timeout = await s.run({ SPX_HTTP_TIMEOUT_MS: '300', SPX_RETRY_MAX_ATTEMPTS: '2' });
          expectClearFailure(timeout, 1, /no answer within 300 ms|unreachable|timed out/i);

          s.fakes.openai.setFaults({ fault: null });
          const final = await s.run();
          expect(final.code, final.stderr + final.stdout).to.equal(0);
          expect(final.stdout).to.match(/resume saved \d+ stages?, [1-9]\d* paid API call/);
          expect(s.duplicates(), 'paid calls repeated after their checkpoint').to.equal(0);
          expect(diffOutputs(reference, await s.outputs())).to.deep.equal([]);
          expect(s.fakes.pyannote.counts.jobsCreated, 'one diarization job over four runs').to.equal(1);
        } finally {
          await s.close();
        }
      } else {
        // The diarization job fails: clear message; the rerun submits a new job and reuses the transcription.
        let failNext = true;
        const s = await scenario({
          pyannote: {
            outcome: () => {
              if (!failNext) return undefined;
              failNext = false;
              return { status: 'failed', error: 'Audio file is corrupted' };
            },
          },
        });
        try {
          const failed = await s.run();
          expectClearFailure(failed, 1, /job .* failed: Audio file is corrupted/);
          const uploads = s.fakes.openai.successCount();
          const rerun = await s.run();
          expect(rerun.code, rerun.stderr + rerun.stdout).to.equal(0);
          expect(s.fakes.pyannote.counts.jobsCreated).to.equal(2);
          expect(s.fakes.openai.successCount() - uploads, 'the transcription was reused').to.equal(0);
          expect(s.duplicates()).to.equal(0);
          expect(diffOutputs(reference, await s.outputs())).to.deep.equal([]);
        } finally {
          await s.close();
        }
      }
    });
  });
});
