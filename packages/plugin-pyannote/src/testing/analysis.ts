// Outputs of the fake pyannoteAI server, derived from the uploaded audio: 16-bit PCM WAV is
// analysed (speech regions by energy, speakers by pitch), other media get a fixed rhythm of
// turns; voiceprints carry the clip's pitch and identification matches by pitch similarity;
// with `transcription` the turns get deterministic words (word- and turn-level transcription).
import { createHash } from 'node:crypto';
import { parseWav } from '@spx/core/formats';
import { clusterByPitch, decodePcm16, medianPitch, pitchSimilarity, speechRegions, type Region } from '@spx/core/testing';

export type FakeJobType = 'diarize' | 'voiceprint' | 'identify';

export const VOICEPRINT_PREFIX = 'spx-fake-voiceprint:';

interface FakeTurn {
  speaker: string;
  start: number;
  end: number;
}

export type AudioRead = { ok: true; duration: number; sha256: string; regions?: Region[]; f0?: number } | { ok: false; error: string };

/** Longest WAV the fake analyses (longer ones get rhythm-based turns). */
const ANALYSE_MAX_SECONDS = 900;

const analysed = new Map<string, AudioRead>();

/** Recognises common audio containers; anything else is rejected as the real API would fail it. */
export function readAudio(data: Buffer): AudioRead {
  const sha256 = createHash('sha256').update(data).digest('hex');
  // The analysis is deterministic: keep the last few results (benches resubmit the same audio).
  const known = analysed.get(sha256);
  if (known) return known;
  const result = analyseAudio(data, sha256);
  if (analysed.size >= 16) analysed.delete(analysed.keys().next().value!);
  analysed.set(sha256, result);
  return result;
}

function analyseAudio(data: Buffer, sha256: string): AudioRead {
  if (data.length < 16) return { ok: false, error: 'Could not decode audio: file is empty or truncated' };
  const wav = parseWav(data);
  if (wav) {
    if (wav.duration <= 0) return { ok: false, error: 'Could not decode audio: no samples' };
    if (wav.formatTag !== 1 || wav.bitsPerSample !== 16 || wav.duration > ANALYSE_MAX_SECONDS) return { ok: true, duration: round2(wav.duration), sha256 };
    const pcm = decodePcm16(data, wav.dataOffset, wav.dataBytes, wav.sampleRate, wav.channels);
    const regions = speechRegions(pcm).map((r) => ({ ...r, f0: medianPitch(pcm, r.start, r.end) }));
    const f0s = regions.map((r) => r.f0).filter((f): f is number => f !== undefined).sort((a, b) => a - b);
    return { ok: true, duration: round2(wav.duration), sha256, regions, ...(f0s.length ? { f0: f0s[Math.floor(f0s.length / 2)]! } : {}) };
  }
  const head = data.subarray(0, 12);
  const ascii = head.toString('latin1');
  const known = ascii.startsWith('ID3') || (head[0] === 0xff && (head[1]! & 0xe0) === 0xe0) || ascii.startsWith('fLaC') || ascii.startsWith('OggS') || ascii.slice(4, 8) === 'ftyp' || ascii.startsWith('\x1aE\xdf\xa3');
  if (!known) return { ok: false, error: 'Could not decode audio: unsupported or corrupt media file' };
  // Compressed formats: estimate ~128 kbit/s.
  return { ok: true, duration: round2(Math.max(1, data.length / 16_000)), sha256 };
}

function speakerCount(request: Record<string, unknown>): number {
  const num = request.numSpeakers;
  if (typeof num === 'number') return num;
  const min = typeof request.minSpeakers === 'number' ? request.minSpeakers : 1;
  const max = typeof request.maxSpeakers === 'number' ? request.maxSpeakers : Number.POSITIVE_INFINITY;
  return Math.max(min, Math.min(2, max));
}

/**
 * Turns. For an analysed WAV: speech regions grouped into speakers by pitch, neighbouring
 * regions of one speaker (under 1 s apart) joined into one turn. For other media: a fixed
 * rhythm of 1.5–3.75 s turns, alternating speakers. Regular turns overlap the next speaker a
 * little at every third change of speaker; exclusive turns never overlap.
 */
function turnsFor(audio: Extract<AudioRead, { ok: true }>, count: number): { regular: FakeTurn[]; exclusive: FakeTurn[]; pitch: Map<string, number> } {
  const label = (i: number) => `SPEAKER_${String(i % count).padStart(2, '0')}`;
  const pitch = new Map<string, number>();
  const exclusive: FakeTurn[] = [];
  if (audio.regions) {
    const clusters = clusterByPitch(audio.regions, count);
    const f0s = new Map<string, number[]>();
    audio.regions.forEach((region, i) => {
      const speaker = label(clusters[i]!);
      if (region.f0) f0s.set(speaker, [...(f0s.get(speaker) ?? []), region.f0]);
      const last = exclusive[exclusive.length - 1];
      if (last && last.speaker === speaker && region.start - last.end < 1) last.end = region.end;
      else exclusive.push({ speaker, start: region.start, end: region.end });
    });
    for (const [speaker, values] of f0s) pitch.set(speaker, values.sort((a, b) => a - b)[Math.floor(values.length / 2)]!);
  } else {
    let t = Math.min(0.2, audio.duration / 10);
    for (let i = 0; t < audio.duration - 0.3; i++) {
      const end = Math.min(t + 1.5 + ((i * 7919) % 10) / 4, audio.duration - 0.1);
      if (end - t < 0.2) break;
      exclusive.push({ speaker: label(i), start: round2(t), end: round2(end) });
      t = end + 0.3;
    }
  }
  const regular = exclusive.map((turn, i) => {
    const next = exclusive[i + 1];
    if (next && i % 3 === 2 && next.speaker !== turn.speaker) return { ...turn, end: round2(Math.min(next.end, Math.max(turn.end, next.start) + 0.3)) };
    return { ...turn };
  });
  return { regular, exclusive, pitch };
}

export function makeOutput(type: FakeJobType, request: Record<string, unknown>, audio: Extract<AudioRead, { ok: true }>): Record<string, unknown> {
  if (type === 'voiceprint') {
    return { voiceprint: Buffer.from(`${VOICEPRINT_PREFIX}${audio.sha256}:${audio.duration.toFixed(2)}:${audio.f0 ?? 0}`).toString('base64') };
  }
  const count = speakerCount(request);
  const { regular, exclusive, pitch } = turnsFor(audio, count);
  const withConfidence = request.turnLevelConfidence === true;
  const speakers = [...new Set(regular.map((t) => t.speaker))];
  const decorate = (list: FakeTurn[]) =>
    list.map((t, i) => (withConfidence ? { ...t, confidence: Object.fromEntries(speakers.map((s) => [s, s === t.speaker ? 80 + ((i * 7) % 16) : 4 + ((i * 5) % 13)])) } : { ...t }));
  const output: Record<string, unknown> = { diarization: decorate(regular) };
  if (request.exclusive === true) output.exclusiveDiarization = decorate(exclusive);
  if (request.confidence === true) {
    const resolution = 0.02;
    const frames = Math.min(50_000, Math.ceil(audio.duration / resolution));
    output.confidence = { score: Array.from({ length: frames }, (_, i) => 70 + ((i * 13) % 30)), resolution };
  }
  if (type === 'identify') Object.assign(output, identify(request, speakers, regular, pitch));
  if (type === 'diarize' && request.transcription === true) Object.assign(output, transcription(exclusive, audio.sha256));
  return output;
}

const VOCABULARY = 'alpha bravo charlie delta echo foxtrot golf hotel india juliet kilo lima mike november oscar papa quebec romeo sierra tango uniform victor whiskey xray yankee zulu'.split(' ');

/** STT orchestration: deterministic words spread over each exclusive turn (2.5 a second), and the turns' text. */
function transcription(turns: FakeTurn[], sha256: string): Record<string, unknown> {
  const seed = Buffer.from(sha256, 'hex');
  const words: Array<FakeTurn & { text: string }> = [];
  const turnLevel = turns.map((turn) => {
    const count = Math.max(1, Math.round((turn.end - turn.start) * 2.5));
    const slot = (turn.end - turn.start) / count;
    const own: string[] = [];
    for (let k = 0; k < count; k++) {
      const n = words.length;
      const word = VOCABULARY[(seed[n % seed.length]! + n * 7) % VOCABULARY.length]!;
      const text = `${k === 0 ? word[0]!.toUpperCase() + word.slice(1) : word}${k === count - 1 ? '.' : ''}`;
      own.push(text);
      words.push({ speaker: turn.speaker, start: round2(turn.start + k * slot), end: round2(turn.start + k * slot + slot * 0.8), text });
    }
    return { speaker: turn.speaker, start: turn.start, end: turn.end, text: own.join(' ') };
  });
  return { wordLevelTranscription: words.map(({ start, end, text, speaker }) => ({ start, end, text, speaker })), turnLevelTranscription: turnLevel };
}

function identify(request: Record<string, unknown>, speakers: string[], regular: FakeTurn[], pitch: Map<string, number>): Record<string, unknown> {
  const voiceprints = request.voiceprints as Array<{ label: string; voiceprint: string }>;
  const matching = (request.matching ?? {}) as { exclusive?: boolean; threshold?: number };
  const threshold = typeof matching.threshold === 'number' ? matching.threshold : 0;
  const vpPitch = voiceprints.map((vp) => Number(Buffer.from(vp.voiceprint, 'base64').toString().split(':')[3]) || undefined);
  // Confidence by pitch similarity where both pitches are known; otherwise the n-th speaker
  // to appear resembles the n-th voiceprint.
  const table = speakers.map((speaker, i) => {
    const f0 = pitch.get(speaker);
    const confidence = Object.fromEntries(voiceprints.map((vp, j) => [vp.label, f0 && vpPitch[j] ? pitchSimilarity(f0, vpPitch[j]!) : i === j ? 86 : 8 + ((i * 11 + j * 7) % 17)]));
    return { speaker, match: null as string | null, confidence };
  });
  // Greedy assignment, best pairs first. Threshold 0 means "always match" in the API; the fake
  // still leaves a speaker anonymous when no voiceprint is at least 30 similar.
  const pairs = table.flatMap((row) => Object.entries(row.confidence).map(([label, value]) => ({ row, label, value }))).sort((a, b) => b.value - a.value);
  const used = new Set<string>();
  for (const { row, label, value } of pairs) {
    if (row.match || value < Math.max(threshold, 30) || (matching.exclusive !== false && used.has(label))) continue;
    row.match = label;
    used.add(label);
  }
  const matchOf = new Map(table.map((r) => [r.speaker, r.match]));
  return {
    voiceprints: table,
    identification: regular.map((t) => ({ speaker: matchOf.get(t.speaker) ?? t.speaker, start: t.start, end: t.end, diarizationSpeaker: t.speaker, match: matchOf.get(t.speaker) ?? null })),
  };
}

function round2(n: number): number {
  return Math.round(n * 100) / 100;
}
