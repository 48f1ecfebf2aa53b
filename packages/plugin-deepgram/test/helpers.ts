// Shared by the tests: the sample recording, its chunks cut by the real ffmpeg/chunk stage, and
// an env pointing the stage at a fake server.
import { fileURLToPath } from 'node:url';
import { runStageForTest } from '@spx/core/testing';
import ffmpeg, { type Chunk } from '@spx/plugin-ffmpeg';
import type { FakeDeepgram } from '../src/testing/index.js';

export const SAMPLE = fileURLToPath(new URL('../../../samples/meeting.wav', import.meta.url));

/** The sample cut at silences into chunks of at most `maxDuration` s sharing `overlap` s. */
export async function sampleChunks(dir: string, maxDuration = 12, overlap = 4): Promise<Chunk[]> {
  const { result } = await runStageForTest(ffmpeg.stages['ffmpeg/chunk']!, { dir, params: { input: SAMPLE, maxDuration, overlap, format: 'wav', sampleRate: 16000, channels: 1 }, env: { PATH: process.env.PATH } });
  return result.outputs.chunks as Chunk[];
}

export function envFor(fake: FakeDeepgram, extra: Record<string, string> = {}): Record<string, string> {
  return { DEEPGRAM_API_KEY: fake.apiKey, DEEPGRAM_BASE_URL: fake.baseURL, SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '20', ...extra };
}
