// What a stage that transcribes a whole file in one service call writes: the canonical transcript,
// the service's answer as it came (it holds what the transcript leaves out), and what a pipeline
// reads without opening either: the speakers in order of first appearance and the language.
import type { FileRef, StageContext } from '../plugins/types.js';
import type { Transcript } from './schema.js';

export interface TranscriptFiles {
  transcript: FileRef;
  raw: FileRef;
  /** Segment speakers in order of first appearance. */
  speakers: string[];
  language: string | null;
}

/** Writes transcript.json and the answer as `raw.name`, then reports the stage done with its turns and speakers. */
export async function writeTranscriptFiles(ctx: Pick<StageContext, 'artifacts' | 'progress'>, transcript: Transcript, raw: { name: string; answer: unknown }): Promise<TranscriptFiles> {
  const json = (data: unknown) => `${JSON.stringify(data, null, 2)}\n`;
  const speakers = [...new Set(transcript.segments.flatMap((s) => (s.speaker ? [s.speaker] : [])))];
  const files = {
    transcript: await ctx.artifacts.write('transcript.json', json(transcript), 'application/json'),
    raw: await ctx.artifacts.write(raw.name, json(raw.answer), 'application/json'),
  };
  ctx.progress({ done: 1, total: 1, message: `${transcript.segments.length} turns, ${speakers.length} speakers` });
  return { ...files, speakers, language: transcript.language ?? null };
}
