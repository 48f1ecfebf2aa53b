// The pipelines the kill -9 campaign runs, each with the fake servers it needs and its own way of
// counting duplicate paid calls: before every run the campaign reads what the store says is paid
// for and saved, and after the run it counts the paid answers the fakes gave again for saved work
// (a chunk answered again, a job created while one was saved, a transcription answered again for
// audio whose answer was saved). A paid answer the process received but had not saved when it
// was killed may legitimately be asked for again and is not counted.
import { join } from 'node:path';
import { openStore } from '@spx/core/engine';
import { startFakeAssemblyAI } from '@spx/plugin-assemblyai/testing';
import { startFakeElevenLabs } from '@spx/plugin-elevenlabs/testing';
import { REPO } from './cli.js';
import { SAMPLE, answeredSince, paidState, standardArgs, startFakes } from './standard.js';

export type CampaignPipeline = 'standard' | 'local' | 'pyannote-stt' | 'deepgram' | 'assemblyai' | 'elevenlabs';

export interface CampaignFakes {
  env: NodeJS.ProcessEnv;
  /** Called before a run with its store; the returned function counts that run's duplicate paid calls. */
  beforeRun(storeUrl: string): Promise<() => number>;
  close(): Promise<void>;
}

export interface Campaign {
  args: string[];
  /** `latencyMs`: how long each paid answer takes on the fake (default per campaign). */
  start(latencyMs?: number): Promise<CampaignFakes>;
}

const FAST_RETRIES = { SPX_RETRY_BASE_MS: '5', SPX_RETRY_MAX_MS: '50' };
const pipelineFile = (name: string) => join(REPO, 'pipelines', `${name}.yaml`);

/** The store's step keys matching `pattern` (its first capture group, or the key) with their values (stored as `{ value, at }`). */
async function savedSteps<T>(storeUrl: string, pattern: RegExp): Promise<Array<{ match: string; value: T | undefined }>> {
  const store = await openStore({ url: storeUrl });
  try {
    const found: Array<{ match: string; value: T | undefined }> = [];
    for await (const key of store.keys('step:')) {
      const m = pattern.exec(key);
      if (m) found.push({ match: m[1] ?? key, value: (await store.get<{ value?: T }>(key))?.value });
    }
    return found;
  } finally {
    await store.close();
  }
}

/**
 * The pipelines on the standard fakes (pyannoteAI, OpenAI, Deepgram): standard (pyannoteAI ∥
 * OpenAI), local (offline: the fakes run but nothing calls them), pyannote-stt (one pyannoteAI job
 * that diarizes and transcribes) and deepgram (ffmpeg/chunk's chunks, one paid request each). A
 * duplicate is a chunk answered again after it was saved, or a job created while one was saved.
 */
function standardCampaign(args: string[]): Campaign {
  return {
    args,
    async start(latencyMs = 80) {
      const fakes = await startFakes({ openai: { latencyMs }, deepgram: { latencyMs } });
      return {
        env: fakes.env,
        async beforeRun(storeUrl) {
          const saved = await paidState(storeUrl);
          const requestsBefore = fakes.openai.requests.length;
          const listensBefore = fakes.deepgram.requests.length;
          const jobsBefore = fakes.pyannote.jobs().length;
          const answeredAgain = (fake: Parameters<typeof answeredSince>[0], from: number) => answeredSince(fake, from).filter((hash) => saved.chunkHashes.has(hash)).length;
          return () => answeredAgain(fakes.openai, requestsBefore) + answeredAgain(fakes.deepgram, listensBefore) + (saved.jobIds.size > 0 ? fakes.pyannote.jobs().length - jobsBefore : 0);
        },
        close: () => fakes.close(),
      };
    },
  };
}

/** AssemblyAI: a duplicate is a transcript job created while a job id was saved. */
const assemblyai: Campaign = {
  args: ['run', pipelineFile('assemblyai'), SAMPLE, '--out', 'out', '--set', 'transcribe.pollIntervalMs=20', '--set', 'transcribe.maxPollIntervalMs=50'],
  async start(latencyMs = 80) {
    // The job takes a few polls; each answer is slowed so kills land in every phase.
    const fake = await startFakeAssemblyAI({ steps: { queued: 3, processing: 20 }, script: [{ path: '/v2/', times: 1e9, delayMs: Math.round(latencyMs / 4) }] });
    return {
      env: { ASSEMBLYAI_API_KEY: fake.apiKey, ASSEMBLYAI_BASE_URL: fake.baseURL, ...FAST_RETRIES },
      async beforeRun(storeUrl) {
        const saved = (await savedSteps<{ id?: string }>(storeUrl, /:transcript\/[0-9a-f]{24}\/job$/)).filter((s) => typeof s.value?.id === 'string');
        const before = fake.counts.transcriptsCreated;
        return () => (saved.length > 0 ? fake.counts.transcriptsCreated - before : 0);
      },
      close: () => fake.close(),
    };
  },
};

/** ElevenLabs: a duplicate is a transcription answered for audio whose answer was saved. */
const elevenlabs: Campaign = {
  args: ['run', pipelineFile('elevenlabs'), SAMPLE, '--out', 'out'],
  async start(latencyMs = 80) {
    const fake = await startFakeElevenLabs({ latencyMs: latencyMs * 4 });
    return {
      env: { ELEVENLABS_API_KEY: fake.apiKey, ELEVENLABS_BASE_URL: fake.baseURL, ...FAST_RETRIES },
      async beforeRun(storeUrl) {
        const saved = new Set((await savedSteps(storeUrl, /:scribe\/([0-9a-f]{24})$/)).map((s) => s.match));
        const from = fake.transcriptions.length;
        return () => fake.transcriptions.slice(from).filter((t) => t.status === 200 && saved.has(t.sha256.slice(0, 24))).length;
      },
      close: () => fake.close(),
    };
  },
};

export const CAMPAIGNS: Record<CampaignPipeline, Campaign> = {
  standard: standardCampaign(standardArgs()),
  local: standardCampaign(['run', pipelineFile('local'), SAMPLE, '--out', 'out']),
  'pyannote-stt': standardCampaign(['run', pipelineFile('pyannote-stt'), SAMPLE, '--out', 'out', '--set', 'diarize.pollIntervalMs=20', '--set', 'diarize.maxPollIntervalMs=50']),
  // Small chunks so the 33-second sample becomes five paid requests.
  deepgram: standardCampaign(['run', pipelineFile('deepgram'), SAMPLE, '--out', 'out', '--set', 'chunk.maxDuration=12', '--set', 'chunk.overlap=4', '--set', 'transcribe.concurrency=2']),
  assemblyai,
  elevenlabs,
};
