// core/export: the merged transcript → user-facing files named after the input.
import { resolve } from 'node:path';
import { Type, type Static } from '@sinclair/typebox';
import { defineStage } from '../plugins/define.js';
import type { FileRef, Json } from '../plugins/types.js';
import { CUE_DEFAULTS } from './export/cues.js';
import { EXPORT_FORMATS, MEDIA_TYPES, render, type ExportFormat } from './export/formats.js';
import { applyEdits, isEmptyEdits, TranscriptEditsSchema, type TranscriptEdits } from './edits.js';
import { MERGED } from './merged.js';
import { readDocumentText } from '../transcript/read.js';

const ExportParamsSchema = Type.Object(
  {
    transcript: Type.String({ minLength: 1, description: 'Path of the merged transcript (core/merge `transcript` output).' }),
    formats: Type.Array(Type.Union(EXPORT_FORMATS.map((f) => Type.Literal(f))), { minItems: 1, uniqueItems: true, default: ['srt', 'vtt', 'txt', 'json'], description: 'Formats to write.' }),
    maxLineChars: Type.Integer({ minimum: 10, maximum: 200, default: CUE_DEFAULTS.maxLineChars, description: 'Subtitle line length, characters.' }),
    maxLines: Type.Integer({ minimum: 1, maximum: 4, default: CUE_DEFAULTS.maxLines, description: 'Lines per subtitle cue.' }),
    maxCueSeconds: Type.Number({ minimum: 0.5, maximum: 60, default: CUE_DEFAULTS.maxCueSeconds, description: 'Longest subtitle cue, seconds.' }),
    minCueSeconds: Type.Number({ minimum: 0, maximum: 10, default: CUE_DEFAULTS.minCueSeconds, description: 'Shortest cue; shorter ones extend into following silence.' }),
    vttSpeakerPrefix: Type.Boolean({ default: true, description: 'VTT: print "Name: " in the text as well as the <v Name> voice tag.' }),
    // Unsafe: the edits schema with its own description, under a type declaration files can name.
    edits: Type.Optional(Type.Unsafe<TranscriptEdits>({ ...TranscriptEditsSchema, description: 'Transcript edits applied before writing: speaker names, reassigned or corrected utterances. spx adds the run\'s saved edits (spx edit, spx ui).' })),
  },
  { additionalProperties: false },
);

export type ExportParams = Omit<Static<typeof ExportParamsSchema>, 'formats'> & { formats: ExportFormat[] };

export interface ExportOutputs extends Record<string, unknown> {
  files: Partial<Record<ExportFormat, FileRef>>;
}

export const exportStage = defineStage<typeof ExportParamsSchema, ExportOutputs>({
  description: 'Writes the merged transcript as subtitles (srt, vtt), text (txt, md, tsv, docx), canonical JSON and RTTM, named after the input.',
  version: '1',
  publishes: true,
  acceptsEdits: true,
  params: ExportParamsSchema,
  outputs: {
    files: { kind: 'json', description: 'Format → FileRef of each written file.' },
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    const { params } = ctx;
    const { text, value: original } = await readDocumentText(MERGED, params.transcript);
    // Edits are an overlay: the merged file stays as core/merge wrote it.
    const edited = isEmptyEdits(params.edits) ? undefined : applyEdits(original, params.edits!);
    const merged = edited?.merged ?? original;
    for (const d of edited?.dropped ?? []) ctx.logger.warn(`Edit dropped: ${d.edit} (${d.reason}).`);
    const files: Partial<Record<ExportFormat, FileRef>> = {};
    const options = { title: ctx.run.inputStem, maxLineChars: params.maxLineChars, maxLines: params.maxLines, maxCueSeconds: params.maxCueSeconds, minCueSeconds: params.minCueSeconds, vttSpeakerPrefix: params.vttSpeakerPrefix };
    let done = 0;
    for (const format of params.formats) {
      ctx.signal.throwIfAborted();
      const destination = resolve(ctx.run.outDir, `${ctx.run.inputStem}.${format}`);
      if (destination === resolve(params.transcript)) {
        ctx.fail('INPUT_INVALID', `Export "${destination}" would replace the merged transcript it is made from.`, { hint: 'Export to another directory (spx run --out DIR).' });
      }
      // The merged file is the canonical JSON (core/merge writes it with toJson): unedited, publish its bytes.
      const data = format === 'json' && !edited ? text : await render(format, merged, options);
      files[format] = await ctx.artifacts.publish(destination, data, MEDIA_TYPES[format]);
      ctx.progress({ done: ++done, total: params.formats.length, message: format });
    }
    const metadata: Record<string, Json> = { formats: params.formats, utterances: merged.utterances.length };
    if (edited) metadata.edits = { speakers: edited.applied.speakers, utterances: edited.applied.utterances, dropped: edited.dropped.length };
    return { outputs: { files }, metadata };
  },
});
