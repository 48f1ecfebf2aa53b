// Offline transcription: VAD-planned chunks, each decoded by ffmpeg, level-normalised, written
// as a small WAV and recognised by pocketsphinx, several at a time; a checkpoint per batch.
import { rm, mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { mapPool, type Memo, type Segment, type Transcript, type Word } from '@spx/core';
import { readPcm, SAMPLE_RATE } from '../audio/pcm.js';
import { normalizeLevel, writeWav } from '../audio/wav.js';
import type { SpeechSegments, WorkHooks } from '../vad/detect.js';
import { batchChunks, planRecognitionChunks, type Chunk } from './plan.js';
import { recognizeFile } from './pocketsphinx.js';

export interface TranscribeOptions {
  /** Longest chunk handed to the recogniser, seconds. */
  maxChunkSeconds: number;
  /** Seconds of surrounding pause kept before and after each chunk. */
  padSeconds?: number;
  /** Seconds of audio before a chunk decoded with it to warm the recogniser up (its words are dropped). */
  contextSeconds?: number;
  /** Speech level each chunk is scaled to, dBFS; null leaves levels alone. */
  levelDb: number | null;
  /** Words below this confidence are dropped (0 keeps all). */
  minConfidence: number;
  /** Recogniser processes run at once. */
  concurrency: number;
  /** Audio seconds per checkpointed batch. */
  batchSeconds: number;
  /** Extra pocketsphinx flags. */
  decoderArgs: string[];
  /** Directory for temporary chunk files. */
  tmpDir: string;
}

interface ChunkResult {
  index: number;
  utterances: Array<{ words: Array<{ text: string; start: number; end: number; confidence?: number }> }>;
}

export async function transcribeSpeech(input: string, speech: SpeechSegments, options: TranscribeOptions, hooks: WorkHooks): Promise<Transcript> {
  const chunks = planRecognitionChunks(speech.speech, speech.duration, options.maxChunkSeconds, options.padSeconds ?? 0.5);
  const batches = batchChunks(chunks, options.batchSeconds);
  const step: Memo = hooks.step ?? (<T,>(_key: string, fn: () => Promise<T>) => fn());
  await mkdir(options.tmpDir, { recursive: true });
  const results: ChunkResult[] = [];
  let done = 0;
  for (let b = 0; b < batches.length; b++) {
    const batch = batches[b]!;
    const key = `asr-batch-${b}-${batch[0]!.start}-${batch.at(-1)!.end}`;
    const value = await step(key, () => mapPool(batch, options.concurrency, (chunk) => recognizeChunk(input, chunk, options, hooks), hooks.signal));
    results.push(...value);
    done += batch.length;
    hooks.progress?.(done, chunks.length, `recognised ${done}/${chunks.length} chunks`);
  }
  const segments: Segment[] = [];
  for (const r of results) {
    for (const u of r.utterances) {
      const words: Word[] = u.words.filter((w) => (w.confidence ?? 1) >= options.minConfidence);
      if (words.length === 0) continue;
      segments.push({ start: words[0]!.start, end: words.at(-1)!.end, text: words.map((w) => w.text).join(' '), words, chunk: r.index });
    }
  }
  return {
    format: 'spx-transcript',
    version: 1,
    engine: 'local/pocketsphinx',
    model: 'cmusphinx-en-us',
    language: 'en',
    timestamps: 'word',
    duration: speech.duration,
    segments,
    chunks: chunks.map((c) => ({ index: c.index, start: c.start, end: c.end })),
  };
}

async function recognizeChunk(input: string, chunk: Chunk, options: TranscribeOptions, { signal, env }: WorkHooks): Promise<ChunkResult> {
  // Decoding starts up to contextSeconds early (inside the previous chunk) so the recogniser's
  // running noise and cepstral-mean estimates have settled when the chunk's own speech begins;
  // words recognised in that lead-in belong to the previous chunk and are dropped.
  const from = Math.max(0, chunk.start - (options.contextSeconds ?? 0));
  const samples = await readPcm({ input, start: from, duration: chunk.end - from, signal, env });
  if (options.levelDb !== null) normalizeLevel(samples, SAMPLE_RATE, options.levelDb);
  const file = join(options.tmpDir, `chunk-${chunk.index}-${process.pid}.wav`);
  try {
    await writeWav(file, samples, SAMPLE_RATE);
    const utterances = await recognizeFile(file, { signal, env, args: options.decoderArgs });
    const shift = (x: number): number => Math.round((x + from) * 1000) / 1000;
    const kept = utterances
      .map((u) => ({ words: u.words.map((w) => ({ ...w, start: shift(w.start), end: shift(Math.min(w.end, chunk.end - from)) })).filter((w) => (w.start + w.end) / 2 >= chunk.start) }))
      .filter((u) => u.words.length > 0);
    return { index: chunk.index, utterances: kept };
  } finally {
    await rm(file, { force: true });
  }
}
