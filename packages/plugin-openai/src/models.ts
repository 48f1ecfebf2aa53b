// What each transcription model can return, so the stage asks for the richest response the
// model supports and records honestly which timestamps it got. Unknown (future) model names
// pass through with the plain `json` format and text-only results.

export type ResponseFormat = 'verbose_json' | 'json' | 'diarized_json';

export interface ModelInfo {
  id: string;
  /** What the stage requests. */
  responseFormat: ResponseFormat;
  /** Timestamps that format carries. */
  timestamps: 'word' | 'segment' | 'none';
  /** Whether the `prompt` field is accepted. */
  prompt: boolean;
  /** Whether segments carry speaker labels. */
  diarizes: boolean;
  /** Estimated USD per audio minute, where published. */
  usdPerMinute?: number;
  /** False for names this plugin does not know (sent as given). */
  known: boolean;
}

export const DEFAULT_MODEL = 'whisper-1';

/** OpenAI's notice (Aug 2026): these models answer 404 model_not_found from this day on. */
export const RETIREMENT_DATE = '2027-02-26';
export const RETIRING_MODELS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-transcribe-diarize'] as const;
/** What OpenAI offers instead: text JSON only, no verbose_json, no word timestamps. */
export const REPLACEMENT_MODEL = 'gpt-transcribe';
/** Shipped pipelines that give word timings with speakers without OpenAI. */
export const WORD_TIMING_PIPELINES = ['pyannote-stt', 'deepgram', 'local'] as const;

const KNOWN: Array<Omit<ModelInfo, 'id' | 'known'> & { match: (id: string) => boolean }> = [
  { match: (id) => id === 'whisper-1', responseFormat: 'verbose_json', timestamps: 'word', prompt: true, diarizes: false, usdPerMinute: 0.006 },
  { match: (id) => id.startsWith('gpt-4o-transcribe-diarize'), responseFormat: 'diarized_json', timestamps: 'segment', prompt: false, diarizes: true, usdPerMinute: 0.006 },
  { match: (id) => id.startsWith('gpt-4o-mini-transcribe'), responseFormat: 'json', timestamps: 'none', prompt: true, diarizes: false, usdPerMinute: 0.003 },
  { match: (id) => id.startsWith('gpt-4o-transcribe'), responseFormat: 'json', timestamps: 'none', prompt: true, diarizes: false, usdPerMinute: 0.006 },
  { match: (id) => id.startsWith('gpt-transcribe'), responseFormat: 'json', timestamps: 'none', prompt: true, diarizes: false },
];

/** Models listed in the spec, for docs and schema examples. */
export const KNOWN_MODELS = ['whisper-1', 'gpt-4o-transcribe', 'gpt-4o-mini-transcribe', 'gpt-4o-mini-transcribe-2025-12-15', 'gpt-4o-transcribe-diarize', 'gpt-transcribe'] as const;

/** Capabilities of `id`; `responseFormat` overrides the format for servers that mimic whisper-1 under other names. */
export function modelInfo(id: string, responseFormat?: ResponseFormat): ModelInfo {
  const found = KNOWN.find((entry) => entry.match(id));
  const { match: _match, ...base } = found ?? { match: () => true, responseFormat: 'json' as const, timestamps: 'none' as const, prompt: true, diarizes: false };
  const info: ModelInfo = { id, ...base, known: found !== undefined };
  if (responseFormat && responseFormat !== info.responseFormat) {
    info.responseFormat = responseFormat;
    info.timestamps = responseFormat === 'verbose_json' ? 'word' : responseFormat === 'diarized_json' ? 'segment' : 'none';
    info.diarizes = responseFormat === 'diarized_json';
    if (responseFormat === 'diarized_json') info.prompt = false;
  }
  return info;
}
