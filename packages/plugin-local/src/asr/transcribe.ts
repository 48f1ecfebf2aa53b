// Offline transcription that is never knowingly worse than the engine it wraps. Per batch of
// VAD-planned chunks (a checkpoint each), two recognitions run side by side:
//   chunks — pocketsphinx_batch, every chunk one utterance, normalised by its own cepstral mean
//            (level-independent, no warm-up, exact word times);
//   whole  — pocketsphinx_continuous exactly as a user would run it on the whole file (its own
//            VAD, its running cepstral mean), over the batch's audio with pauses kept up to 5 s.
// The two word sequences are aligned per chunk; where they differ, a grammar holding both
// versions is decoded against the chunk's audio, so the acoustic model picks the version that
// fits the sound better, stretch by stretch. The reference transcript is never consulted.
import { mkdir, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { mapPool, transcriptDocument, type Memo, type Segment, type Transcript, type Word } from '@spx/core';
import { wordErrorRate } from '@spx/core/metrics';
import { readPcm, SAMPLE_RATE } from '../audio/pcm.js';
import { writeWav } from '../audio/wav.js';
import type { SpeechSegments, WorkHooks } from '../vad/detect.js';
import type { Region } from '../vad/regions.js';
import { decodeBatch, type BatchWord } from './batch.js';
import { batchChunks, planRecognitionChunks, type Chunk } from './plan.js';
import { recognizeFile } from './pocketsphinx.js';
import { alignVersions, choiceGrammar, readPath, type Block, type PathWord } from './union.js';

export interface TranscribeOptions {
  /** Longest chunk handed to the recogniser as one utterance, seconds. */
  maxChunkSeconds: number;
  /** Seconds of surrounding pause kept before and after each chunk. */
  padSeconds?: number;
  /** Words below this confidence are dropped (0 keeps all). */
  minConfidence: number;
  /** Recogniser processes run at once. */
  concurrency: number;
  /** Audio seconds per checkpointed batch. */
  batchSeconds: number;
  /** Extra pocketsphinx flags, given to every decoder run. */
  decoderArgs: string[];
  /** Directory for temporary chunk files. */
  tmpDir: string;
}

/** Pause before a chunk that the whole-file recognition keeps (longer pauses are shortened to this). */
export const LEAD_SECONDS = 5;

interface TimedWord {
  text: string;
  start: number;
  end: number;
  confidence?: number;
}

interface ChunkResult {
  index: number;
  utterances: Array<{ words: TimedWord[] }>;
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
    const previousEnd = b === 0 ? 0 : batches[b - 1]!.at(-1)!.end;
    const key = `asr-batch-${b}-${batch[0]!.start}-${batch.at(-1)!.end}`;
    const value = await step(key, () => recognizeBatch(input, batch, previousEnd, speech.speech, options, hooks));
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
  const provenance = chunks.map((c) => ({ index: c.index, start: c.start, end: c.end }));
  return transcriptDocument({ engine: 'local/pocketsphinx', model: 'cmusphinx-en-us', language: 'en', timestamps: 'word', duration: speech.duration, segments, chunks: provenance });
}

/** Both recognitions of one batch, the choice between them, words split by speech region. */
async function recognizeBatch(input: string, batch: readonly Chunk[], previousEnd: number, speech: readonly Region[], options: TranscribeOptions, { signal, env }: WorkHooks): Promise<ChunkResult[]> {
  const dir = join(options.tmpDir, `batch-${batch[0]!.index}-${process.pid}`);
  await mkdir(dir, { recursive: true });
  try {
    // One read per chunk, from the end of the previous chunk (at most LEAD_SECONDS before it).
    const files: string[] = [];
    const pieces: Float32Array[] = [];
    let at = previousEnd;
    for (const chunk of batch) {
      // Neighbouring chunks may share a pause, so a chunk can start before the previous one ends.
      const lead = Math.max(at, chunk.start - LEAD_SECONDS);
      const from = Math.min(lead, chunk.start);
      const samples = await readPcm({ input, start: from, duration: chunk.end - from, signal, env });
      const file = join(dir, `c${chunk.index}.wav`);
      await writeWav(file, samples.subarray(offset(chunk.start - from, samples.length)), SAMPLE_RATE);
      files.push(file);
      pieces.push(samples.subarray(offset(lead - from, samples.length)));
      at = Math.max(at, chunk.end);
    }
    const wholeFile = join(dir, 'whole.wav');
    await writeWav(wholeFile, concat(pieces), SAMPLE_RATE);

    // The whole-file recognition and the chunk recognitions (split over the other processes) at once.
    const groups = splitEvenly(files.map((f, i) => [f, i] as const), Math.max(1, options.concurrency - 1));
    const jobs: Array<() => Promise<void>> = [];
    let whole: TimedWord[] = [];
    const byChunk: BatchWord[][] = files.map(() => []);
    jobs.push(async () => {
      whole = (await recognizeFile(wholeFile, { signal, env, args: options.decoderArgs })).flatMap((u) => u.words);
    });
    groups.forEach((group, g) =>
      jobs.push(async () => {
        const decoded = await decodeBatch(group.map(([f]) => f), { dir, name: `chunks-${g}`, args: options.decoderArgs, signal, env });
        group.forEach(([, i], k) => (byChunk[i] = decoded[k]!));
      }),
    );
    await mapPool(jobs, options.concurrency, (job) => job(), signal);

    // Where the versions differ, the acoustic model chooses.
    const wholeByChunk = assignToChunks(byChunk, whole);
    const blocks = byChunk.map((words, i) => alignVersions(words.map((w) => w.text), wholeByChunk[i]!.map((w) => w.text)));
    const judged = blocks.map((_, i) => i).filter((i) => blocks[i]!.some((b) => b.kind === 'choice'));
    const grammars = await Promise.all(
      judged.map(async (i) => {
        const file = join(dir, `c${batch[i]!.index}.fsg`);
        await writeFile(file, choiceGrammar(`c${batch[i]!.index}`, blocks[i]!));
        return file;
      }),
    );
    const chosen = await decodeBatch(judged.map((i) => files[i]!), { dir, name: 'choice', fsg: grammars, args: options.decoderArgs, signal, env });

    return batch.map((chunk, i) => {
      const k = judged.indexOf(i);
      const picked = k >= 0 ? chosen[k]! : [];
      const path = k >= 0 ? readPath(blocks[i]!, picked.map((w) => w.text)) : undefined;
      // Both agree, or the decoder did not reach the grammar's end: the chunk recognition as it is.
      const words = path ? withConfidence(picked, path, blocks[i]!, wholeByChunk[i]!) : withConfidence(byChunk[i]!, chunkPath(blocks[i]!), blocks[i]!, wholeByChunk[i]!);
      const absolute = words.map((w) => ({ ...w, start: round3(Math.max(chunk.start, chunk.start + w.start)), end: round3(Math.min(chunk.end, chunk.start + Math.max(w.start, w.end))) }));
      return { index: chunk.index, utterances: byRegion(absolute, speech, chunk) };
    });
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
}

/**
 * Gives each word of the whole-file recognition to a chunk, by aligning it with the chunk
 * recognitions in order (pocketsphinx_continuous's own word times drift inside long utterances,
 * so they are not used); a word only the whole-file recognition has goes with the word before it.
 */
function assignToChunks(byChunk: readonly BatchWord[][], whole: readonly TimedWord[]): TimedWord[][] {
  const out: TimedWord[][] = byChunk.map(() => []);
  const owner = byChunk.flatMap((words, i) => words.map(() => i));
  const ops = wordErrorRate(byChunk.flat().map((w) => w.text), whole.map((w) => w.text), { alignment: true }).alignment!;
  let c = 0;
  let w = 0;
  let current = owner[0] ?? 0;
  for (const op of ops) {
    if (op.op === 'del') current = owner[c++]!;
    else if (op.op === 'ins') out[current]!.push(whole[w++]!);
    else {
      current = owner[c++]!;
      out[current]!.push(whole[w++]!);
    }
  }
  return out;
}

/** The path that takes every choice the chunk recognition's way. */
function chunkPath(blocks: readonly Block[]): PathWord[] {
  return blocks.flatMap((block, b): PathWord[] => (block.kind === 'same' ? [{ block: b, source: 'both', offset: 0 }] : block.chunks.map((_, offset) => ({ block: b, source: 'chunks', offset }))));
}

/**
 * Word confidences: the whole-file recognition's posterior for words it produced (agreed or
 * chosen); for a word only the chunk recognition produced, one minus the mean posterior of the
 * whole-file words it replaced (0.5 when it replaced none).
 */
function withConfidence(words: readonly BatchWord[], path: readonly PathWord[], blocks: readonly Block[], whole: readonly TimedWord[]): TimedWord[] {
  return words.map((word, i) => {
    const p = path[i]!;
    const block = blocks[p.block]!;
    let confidence: number | undefined;
    if (block.kind === 'same') confidence = whole[block.whole]?.confidence;
    else if (p.source === 'whole') confidence = whole[block.wholeIndex[p.offset]!]?.confidence;
    else {
      const replaced = block.wholeIndex.map((j) => whole[j]?.confidence ?? 0.5);
      confidence = replaced.length === 0 ? 0.5 : 1 - replaced.reduce((a, x) => a + x, 0) / replaced.length;
    }
    return { text: word.text, start: word.start, end: word.end, ...(confidence === undefined ? {} : { confidence: Math.round(confidence * 1000) / 1000 }) };
  });
}

/** The chunk's words grouped by the speech region each falls in (the nearest one for words in a pad). */
function byRegion(words: readonly TimedWord[], speech: readonly Region[], chunk: Chunk): Array<{ words: TimedWord[] }> {
  const regions = speech.filter((r) => r.end > chunk.start && r.start < chunk.end);
  if (regions.length === 0) return words.length > 0 ? [{ words: [...words] }] : [];
  const groups = regions.map(() => [] as TimedWord[]);
  for (const w of words) {
    const mid = (w.start + w.end) / 2;
    let best = 0;
    let distance = Number.POSITIVE_INFINITY;
    regions.forEach((r, i) => {
      const d = mid < r.start ? r.start - mid : mid > r.end ? mid - r.end : 0;
      if (d < distance) {
        distance = d;
        best = i;
      }
    });
    groups[best]!.push(w);
  }
  return groups.filter((g) => g.length > 0).map((g) => ({ words: g }));
}

/** Sample index of `seconds` into a read of `length` samples. */
function offset(seconds: number, length: number): number {
  return Math.min(length, Math.max(0, Math.round(seconds * SAMPLE_RATE)));
}

function concat(parts: readonly Float32Array[]): Float32Array {
  const out = new Float32Array(parts.reduce((a, p) => a + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/** Up to `n` contiguous groups of about equal size. */
function splitEvenly<T>(items: readonly T[], n: number): T[][] {
  const count = Math.min(n, items.length);
  return Array.from({ length: count }, (_, g) => items.slice(Math.round((g * items.length) / count), Math.round(((g + 1) * items.length) / count)));
}

const round3 = (x: number): number => Math.round(x * 1000) / 1000;
