// Test helpers: tiny two-voice speech made with espeak-ng + sox, a temp dir per suite, a real
// SQLite store, an environment pointed at a fake server, and a wait-until with a bound.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sleep } from '@spx/core';
import { openStore, type Store } from '@spx/core/engine';
import type { FakePyannote } from '../src/testing/index.js';

export interface Voices {
  dir: string;
  alice: string;
  bob: string;
  carol: string;
  /** alice, pause, bob, pause, alice (16 kHz mono). */
  dialog: string;
  /** alice, bob, carol with pauses. */
  trio: string;
  garbage: string;
}

function say(voice: string, text: string, out: string): void {
  const raw = `${out}.raw.wav`;
  execFileSync('espeak-ng', ['-v', voice, '-s', '190', '-w', raw, text]);
  execFileSync('sox', [raw, '-r', '16000', '-c', '1', '-b', '16', out]);
}

export async function makeVoices(): Promise<Voices> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-pyannote-'));
  const alice = join(dir, 'alice.wav');
  const bob = join(dir, 'bob.wav');
  const carol = join(dir, 'carol.wav');
  say('en-us+f2', 'Hello Bob, the meeting starts now.', alice);
  say('en-us+m3', 'Thanks Alice, I have the numbers.', bob);
  say('en-gb+m1', 'Sorry I am late.', carol);
  const silence = join(dir, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '16000', '-c', '1', '-b', '16', silence, 'trim', '0', '0.8']);
  const dialog = join(dir, 'dialog.wav');
  execFileSync('sox', [alice, silence, bob, silence, alice, dialog]);
  const trio = join(dir, 'trio.wav');
  execFileSync('sox', [alice, silence, bob, silence, carol, trio]);
  const garbage = join(dir, 'garbage.wav');
  await writeFile(garbage, 'this is not audio at all, just text pretending to be a wav file');
  return { dir, alice, bob, carol, dialog, trio, garbage };
}

export type Env = Record<string, string | undefined>;

/** The stages' environment (ctx.env) pointed at the fake, with fast retries; `overrides` replace or unset variables. */
export function fakeEnv(fake: FakePyannote, overrides: Env = {}): Env {
  return { PYANNOTEAI_API_KEY: fake.apiKey, PYANNOTEAI_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', SPX_RETRY_MAX_ATTEMPTS: '5', ...overrides };
}

export async function sqliteStore(dir: string, name = 'state.sqlite'): Promise<Store> {
  return openStore({ url: `sqlite://${join(dir, name)}` });
}

export async function tempDir(): Promise<string> {
  return mkdtemp(join(tmpdir(), 'spx-pyannote-run-'));
}

export async function removeDir(dir: string | undefined): Promise<void> {
  if (dir) await rm(dir, { recursive: true, force: true });
}

/** Waits (bounded, ~5 s) until `check` holds. */
export async function until(check: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await sleep(10);
  }
  throw new Error(`timed out waiting for ${what}`);
}

export const FAST = { pollIntervalMs: 5, maxPollIntervalMs: 20 };

/** Runs `fn`, returning what it threw (or fails the test if it did not throw). */
export async function rejection(fn: () => Promise<unknown>): Promise<Error & { code?: string; hint?: string }> {
  try {
    await fn();
  } catch (error) {
    return error as Error & { code?: string };
  }
  throw new Error('expected a rejection');
}
