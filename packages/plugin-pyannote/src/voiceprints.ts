// Voiceprints, cached by the sample's content hash across runs and pipelines (ctx.cache), so
// the same sample never costs a second API call. The voiceprint job itself is crash-safe
// like any other job: its id is kept in the same cache scope.
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, extname, join } from 'node:path';
import { SpxError, runRemoteJob, sha256, type PollSchedule, type StageContext } from '@spx/core';
import { SERVICE, type PyannoteClient, type VoiceprintOutput } from './client.js';
import { jobKey, pyannoteJob, resultKey, submitted, uploadMedia } from './jobs.js';
import { localAudio, resolveUserPath, type LocalAudio } from './stages/common.js';

export const VOICEPRINT_FORMAT = 'spx-voiceprint';

/** The file pyannote/voiceprint writes; pyannote/identify accepts it in place of a sample. */
export interface VoiceprintFile {
  format: typeof VOICEPRINT_FORMAT;
  version: 1;
  label: string;
  model: string;
  voiceprint: string;
  sample?: { name: string; sha256: string; duration?: number };
}

export const AUDIO_EXTENSIONS = ['.wav', '.mp3', '.flac', '.m4a', '.ogg', '.opus', '.aac', '.webm', '.mp4'];

export interface VoiceprintResult {
  voiceprint: string;
  /** True when this call submitted a voiceprint job (a cache miss). */
  submitted: boolean;
  sample: LocalAudio;
}

/** Voiceprint of a sample recording: from the cache, else upload + voiceprint job. */
export async function voiceprintFor(ctx: StageContext<unknown>, client: PyannoteClient, samplePath: string, model: string, schedule: PollSchedule, onSubmitted?: (sample: LocalAudio) => void): Promise<VoiceprintResult> {
  const sample = await localAudio(samplePath, 'speaker sample', ctx.run.pipeline.file);
  // Voiceprints are only meaningful to the service that made them.
  const scope = `${model}/${sample.sha256}@${sha256(client.baseURL).slice(0, 8)}`;
  const memo = ctx.cache;
  let madeNow = false;
  const cached = await ctx.cache(
    `voiceprint/${scope}`,
    async () => {
      const media = await uploadMedia(client, memo, sample.path, sample.sha256, ctx.logger);
      const prefix = `voiceprint-job/${scope}`;
      const job = await runRemoteJob({
        ...pyannoteJob(client, (output: VoiceprintOutput) => readVoiceprint(output, sample.path, (message) => ctx.logger.warn(message))),
        ctx,
        memo,
        key: await jobKey(memo, prefix),
        resultKey: resultKey(prefix),
        what: `voiceprint of ${basename(sample.path)}`,
        paid: false, // the enclosing cache entry is the paid step
        schedule,
        submit: async () => submitted(await client.voiceprint({ url: media, model: 'precision-2' }), ctx.logger),
      });
      if (job.submittedHere) {
        madeNow = true;
        onSubmitted?.(sample);
      }
      return job.value;
    },
    { paid: true },
  );
  if (!madeNow) ctx.logger.info(`Voiceprint of ${basename(sample.path)} reused from the cache (sample sha256 ${sample.sha256.slice(0, 12)}).`);
  return { voiceprint: cached.voiceprint, submitted: madeNow, sample };
}

/** The kept value of a succeeded voiceprint job. */
function readVoiceprint(output: VoiceprintOutput, path: string, warn: (message: string) => void): { voiceprint: string } {
  if (typeof output?.voiceprint !== 'string' || !output.voiceprint) {
    throw new SpxError('API_BAD_RESPONSE', `${SERVICE} voiceprint job for "${basename(path)}" succeeded without a voiceprint.`, { hint: 'Run the same command again later.', retryable: true });
  }
  if (output.warning) warn(`${SERVICE}: ${output.warning}`);
  return { voiceprint: output.voiceprint };
}

/** One declared speaker: a sample recording or an existing voiceprint file. */
export interface SpeakerSource {
  label: string;
  path: string;
  kind: 'sample' | 'voiceprint';
}

export interface SpeakerDeclaration {
  /** name → sample audio (or voiceprint .json) path. */
  speakers?: Record<string, string>;
  /** Folder of `<name>.wav` (any audio extension) or `<name>.json` voiceprint files. */
  speakersDir?: string;
  /** Voiceprint files written by pyannote/voiceprint. */
  voiceprints?: string[];
}

/** Collects the declared speakers; validates labels (1..100 chars, not SPEAKER_*, unique, ≤50). */
export function declaredSpeakers(decl: SpeakerDeclaration, pipelineFile?: string): SpeakerSource[] {
  const out: SpeakerSource[] = [];
  const kindOf = (path: string): SpeakerSource['kind'] => (extname(path).toLowerCase() === '.json' ? 'voiceprint' : 'sample');
  for (const [label, path] of Object.entries(decl.speakers ?? {})) out.push({ label, path: resolveUserPath(path, pipelineFile), kind: kindOf(path) });
  if (decl.speakersDir) {
    const dir = resolveUserPath(decl.speakersDir, pipelineFile);
    let names: string[];
    try {
      if (!statSync(dir).isDirectory()) throw new Error('not a directory');
      names = readdirSync(dir).sort();
    } catch {
      throw new SpxError('INPUT_MISSING', `speakersDir "${decl.speakersDir}" is not a readable folder.`, { hint: 'Point speakersDir at a folder of <name>.wav speaker samples.' });
    }
    for (const name of names) {
      if (name.startsWith('.')) continue;
      const ext = extname(name).toLowerCase();
      if (!AUDIO_EXTENSIONS.includes(ext) && ext !== '.json') continue;
      out.push({ label: basename(name, extname(name)), path: join(dir, name), kind: kindOf(name) });
    }
  }
  for (const path of decl.voiceprints ?? []) out.push({ label: readVoiceprintFile(resolveUserPath(path, pipelineFile)).label, path: resolveUserPath(path, pipelineFile), kind: 'voiceprint' });
  const seen = new Set<string>();
  for (const s of out) {
    if (!s.label.trim() || s.label.length > 100) throw new SpxError('PARAMS_INVALID', `Speaker name "${s.label}" must have 1 to 100 characters.`, { hint: 'Rename the speaker (the sample file name is the name in speakersDir).' });
    if (/^speaker_/i.test(s.label)) throw new SpxError('PARAMS_INVALID', `Speaker name "${s.label}" starts with SPEAKER_, which pyannoteAI reserves for anonymous speakers.`, { hint: 'Rename the speaker.' });
    if (seen.has(s.label)) throw new SpxError('PARAMS_INVALID', `Speaker "${s.label}" is declared twice.`, { hint: 'Give every speaker one sample or voiceprint.' });
    seen.add(s.label);
  }
  if (out.length === 0) throw new SpxError('PARAMS_INVALID', 'No speakers are declared for identification.', { hint: 'Set `speakers` (name → sample file), `speakersDir` (folder of <name>.wav) or `voiceprints`.' });
  if (out.length > 50) throw new SpxError('PARAMS_INVALID', `${out.length} speakers are declared; pyannoteAI matches at most 50.`, { hint: 'Keep the 50 most likely speakers.' });
  return out;
}

export function readVoiceprintFile(path: string): VoiceprintFile {
  let parsed: Partial<VoiceprintFile>;
  try {
    parsed = JSON.parse(readFileSync(path, 'utf8')) as Partial<VoiceprintFile>;
  } catch {
    throw new SpxError('INPUT_INVALID', `Voiceprint file "${path}" is missing or not JSON.`, { hint: 'Use a voiceprint.json written by pyannote/voiceprint.' });
  }
  if (parsed.format !== VOICEPRINT_FORMAT || typeof parsed.voiceprint !== 'string' || typeof parsed.label !== 'string') {
    throw new SpxError('INPUT_INVALID', `"${path}" is not an spx voiceprint file.`, { hint: 'Use a voiceprint.json written by pyannote/voiceprint.' });
  }
  return parsed as VoiceprintFile;
}
