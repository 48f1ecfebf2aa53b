// The standard pipeline (convert → diarize ∥ transcribe → merge → export) against fake OpenAI and
// pyannoteAI servers on 127.0.0.1 (and a fake Deepgram for its pipeline): fixtures shared by the
// fault tests and benches, plus store inspection (which paid sub-steps are checkpointed, whether the
// saved state is sound).
import { readFile, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { startFakeOpenAI, FAKE_API_KEY, type FakeOpenAI, type FakeOpenAIOptions } from '@spx/plugin-openai/testing';
import { startFakePyannote, type FakePyannote, type FakePyannoteOptions } from '@spx/plugin-pyannote/testing';
import { startFakeDeepgram, type FakeDeepgram, type FakeDeepgramOptions } from '@spx/plugin-deepgram/testing';
import { checkArtifacts, keptArtifacts, openStore, type RunState, type Store } from '@spx/core/engine';
import { REPO } from './cli.js';

export const SAMPLE = join(REPO, 'samples', 'meeting.wav');
export const STANDARD = join(REPO, 'pipelines', 'standard.yaml');
export const PYANNOTE_KEY = 'pyannote-secret-key-7f3a9c';
export const OPENAI_KEY = FAKE_API_KEY;
/** Small chunks so the 33-second sample becomes several paid uploads; fast polling for the fake. */
export const STANDARD_SETS = ['--set', 'transcribe.maxDuration=6', '--set', 'transcribe.concurrency=2', '--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50'];
export const standardArgs = (extra: string[] = []) => ['run', STANDARD, SAMPLE, '--out', 'out', ...STANDARD_SETS, ...extra];

export interface Fakes {
  openai: FakeOpenAI;
  pyannote: FakePyannote;
  deepgram: FakeDeepgram;
  env: NodeJS.ProcessEnv;
  close(): Promise<void>;
}

export async function startFakes(options: { openai?: FakeOpenAIOptions; pyannote?: FakePyannoteOptions; deepgram?: FakeDeepgramOptions } = {}): Promise<Fakes> {
  const openai = await startFakeOpenAI(options.openai ?? {});
  const pyannote = await startFakePyannote({ apiKey: PYANNOTE_KEY, ...options.pyannote });
  const deepgram = await startFakeDeepgram(options.deepgram ?? {});
  return {
    openai,
    pyannote,
    deepgram,
    env: {
      OPENAI_API_KEY: openai.apiKey,
      OPENAI_BASE_URL: openai.baseURL,
      PYANNOTEAI_API_KEY: pyannote.apiKey,
      PYANNOTEAI_BASE_URL: pyannote.baseURL,
      DEEPGRAM_API_KEY: deepgram.apiKey,
      DEEPGRAM_BASE_URL: deepgram.baseURL,
      SPX_RETRY_BASE_MS: '5',
      SPX_RETRY_MAX_MS: '50',
    },
    async close() {
      await Promise.all([openai.close(), pyannote.close(), deepgram.close()]);
    },
  };
}

/** Every file in a directory (not recursive), name → bytes. */
export async function readOutputs(dir: string): Promise<Map<string, Buffer>> {
  const files = new Map<string, Buffer>();
  let names: string[] = [];
  try {
    names = (await readdir(dir)).sort();
  } catch {
    return files;
  }
  for (const name of names) files.set(name, await readFile(join(dir, name)));
  return files;
}

/** Names of the files that differ from the reference (missing, extra or other bytes). */
export function diffOutputs(reference: Map<string, Buffer>, actual: Map<string, Buffer>): string[] {
  const names = new Set([...reference.keys(), ...actual.keys()]);
  return [...names].filter((name) => {
    const a = reference.get(name);
    const b = actual.get(name);
    return !a || !b || !a.equals(b);
  });
}

export const sqliteUrl = (dir: string) => `sqlite://${join(dir, '.spx', 'state.sqlite')}`;

export interface PaidState {
  /** sha256 of every transcription chunk (OpenAI upload, Deepgram request) whose answer is checkpointed. */
  chunkHashes: Set<string>;
  /** Checkpointed pyannoteAI job ids (diarize / voiceprint / identify). */
  jobIds: Set<string>;
}

async function withStore<T>(url: string, fn: (store: Store) => Promise<T>): Promise<T> {
  const store = await openStore({ url });
  try {
    return await fn(store);
  } finally {
    await store.close();
  }
}

/** What the store says has been paid for and saved (step values are `{ value, at }`). An absent SQLite store has nothing saved. */
export async function paidState(url: string): Promise<PaidState> {
  return withStore(url, async (store) => {
    const state: PaidState = { chunkHashes: new Set(), jobIds: new Set() };
    for await (const key of store.keys('step:')) {
      if (key.includes(':transcribe:') && /:(chunks|turns|listen):/.test(key)) {
        const value = (await store.get<{ value?: { sha256?: string } }>(key))?.value;
        if (value?.sha256) state.chunkHashes.add(value.sha256);
      } else if (/\/job\/\d+$/.test(key)) {
        const value = (await store.get<{ value?: { jobId?: string } }>(key))?.value;
        if (value?.jobId) state.jobIds.add(value.jobId);
      }
    }
    return state;
  });
}

/**
 * Problems with the saved state: the store does not open, a value cannot be read, a run state
 * is malformed, or a completed stage's artifact is missing or has other bytes than recorded (an
 * artifact recorded as pruned is not looked for).
 */
export async function stateProblems(url: string): Promise<string[]> {
  const problems: string[] = [];
  try {
    await withStore(url, async (store) => {
      for await (const key of store.keys('')) {
        let value: unknown;
        try {
          value = await store.get(key);
        } catch (error) {
          problems.push(`${key}: unreadable (${(error as Error).message})`);
          continue;
        }
        if (!key.startsWith('run:')) continue;
        const state = value as RunState | undefined;
        if (!state || state.schema !== 'spx-run-state' || !Array.isArray(state.completed_stages)) {
          problems.push(`${key}: not a run state`);
          continue;
        }
        for (const stage of state.completed_stages) {
          const record = state.stages?.[stage];
          if (!record || record.status !== 'completed') {
            problems.push(`${key}: completed stage ${stage} has no completed record`);
            continue;
          }
          // A pruned artifact's file is gone on purpose; every other one must verify.
          for (const check of await checkArtifacts(keptArtifacts(record.artifacts ?? []), true)) {
            if (!check.ok) problems.push(`${key}: ${stage}/${check.artifact.name} ${check.reason}`);
          }
        }
      }
    });
  } catch (error) {
    problems.push(`store: ${(error as Error).message}`);
  }
  return problems;
}

/** Successful transcription answers a fake (OpenAI, Deepgram) sent from request index `from` on, by chunk hash. */
export function answeredSince(fake: { requests: ReadonlyArray<{ status: number; sha256?: string }> }, from: number): string[] {
  return fake.requests.slice(from).filter((r) => r.status === 200 && r.sha256).map((r) => r.sha256!);
}
