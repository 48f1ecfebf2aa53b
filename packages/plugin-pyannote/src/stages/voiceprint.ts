// pyannote/voiceprint: a voiceprint from a sample recording of one known speaker, cached by the
// sample's content hash across runs (a second run with the same sample costs nothing).
import { basename } from 'node:path';
import { Type, defineStage, type FileRef, type Static } from '@spx/core';
import { VOICEPRINT_FORMAT, voiceprintFor, type VoiceprintFile } from '../voiceprints.js';
import { POLL_PARAMS, PRICING, clientFor, enumOf, pollParams, pollSchedule, preflightCommon, stem } from './common.js';

const VoiceprintParamsSchema = Type.Object(
  {
    sample: Type.String({ minLength: 1, description: 'Recording of the speaker alone (a few seconds to ~30 s).' }),
    label: Type.Optional(Type.String({ minLength: 1, maxLength: 100, pattern: '^(?![Ss][Pp][Ee][Aa][Kk][Ee][Rr]_)', description: "Speaker name; default: the sample's file name without extension." })),
    model: enumOf(['precision-2'], { default: 'precision-2', description: 'pyannoteAI voiceprint model.' }),
    ...pollParams,
  },
  { additionalProperties: false },
);

export type VoiceprintParams = Static<typeof VoiceprintParamsSchema>;

export interface VoiceprintOutputs extends Record<string, unknown> {
  voiceprint: FileRef;
  label: string;
  cached: boolean;
}

export const voiceprintStage = defineStage<typeof VoiceprintParamsSchema, VoiceprintOutputs>({
  description: 'Voiceprint of one known speaker from a sample recording (pyannoteAI), cached by sample content.',
  version: '1',
  executionParams: POLL_PARAMS,
  params: VoiceprintParamsSchema,
  outputs: {
    voiceprint: { kind: 'file', description: 'spx voiceprint JSON {format, label, model, voiceprint}; pyannote/identify accepts it in `voiceprints`.' },
    label: { kind: 'json', description: 'Speaker name the voiceprint carries.' },
    cached: { kind: 'json', description: 'True when the voiceprint came from the cache (no API call).' },
  },
  pricing: PRICING,
  preflight(ctx) {
    preflightCommon(ctx.env, {});
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const p = ctx.params;
    const client = clientFor(ctx);
    const label = p.label ?? stem(p.sample);
    if (/^speaker_/i.test(label) || label.length > 100) {
      ctx.fail('PARAMS_INVALID', `Voiceprint label "${label.slice(0, 40)}" must have at most 100 characters and not start with SPEAKER_.`, { hint: 'Set `label` to the speaker\'s name.' });
    }
    const result = await voiceprintFor(ctx, client, p.sample, p.model, pollSchedule(p), (sample) => ctx.usage((sample.duration ?? 0) / 3600));
    const file: VoiceprintFile = {
      format: VOICEPRINT_FORMAT,
      version: 1,
      label,
      model: p.model,
      voiceprint: result.voiceprint,
      sample: { name: basename(result.sample.path), sha256: result.sample.sha256, ...(result.sample.duration === undefined ? {} : { duration: result.sample.duration }) },
    };
    const ref = await ctx.artifacts.write('voiceprint.json', `${JSON.stringify(file, null, 2)}\n`, 'application/json');
    return { outputs: { voiceprint: ref, label, cached: !result.submitted }, metadata: { label, cached: !result.submitted, sampleSha256: result.sample.sha256 } };
  },
});
