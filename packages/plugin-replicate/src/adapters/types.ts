// The adapter contract: how one hosted model's input is built and its output read.
import type { Diarization, Json, Transcript } from '@spx/core';

/** Options every adapter understands; each maps them to its model's own input fields. */
export interface AdapterOptions {
  /** ISO 639-1 code such as "en"; undefined lets the model detect it. */
  language?: string;
  /** Exact number of speakers, where the model takes one. */
  speakers?: number;
  minSpeakers?: number;
  maxSpeakers?: number;
  /** Ask for speaker labels where the model makes them optional. */
  diarize?: boolean;
  /** Vocabulary or names that help recognition. */
  prompt?: string;
}

/** What an adapter's output mapper knows besides the raw output. */
export interface OutputInfo {
  /** `replicate/<adapter>`. */
  engine: string;
  /** `owner/name` or `owner/name:version`. */
  model: string;
  /** Duration of the uploaded audio in seconds, when known. */
  duration?: number;
  /** Whether the request asked for speaker labels (adapter.diarizes). */
  diarized: boolean;
}

/** Canonical shapes produced from one prediction's output. */
export interface AdapterResult {
  transcript: Transcript;
  /** Present when the model was asked to diarize (possibly with no turns). */
  diarization?: Diarization;
}

export interface ReplicateAdapter {
  /** Name used in `with: { adapter: … }`. */
  name: string;
  /** Default model, `owner/name`. */
  model: string;
  /** Environment variables the request needs besides REPLICATE_API_TOKEN, given the options. */
  requiredEnv?(options: AdapterOptions): string[];
  /** True when, with these options, the model returns speaker labels. */
  diarizes(options: AdapterOptions): boolean;
  /** Builds the model input from the audio reference (an https URL or a data URI). */
  input(audio: string, options: AdapterOptions, env: Readonly<Record<string, string | undefined>>): Record<string, Json>;
  /** Pure mapping of the prediction's `output` to canonical shapes; throws SpxError API_BAD_RESPONSE on a shape it cannot read. */
  output(output: unknown, info: OutputInfo): AdapterResult;
}

/** Identity helper for type inference when writing an adapter. */
export function defineAdapter(adapter: ReplicateAdapter): ReplicateAdapter {
  return adapter;
}
