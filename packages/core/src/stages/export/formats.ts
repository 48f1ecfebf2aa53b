// Renderers from the merged transcript to each export format. Every format shows the
// speaker of every piece of text. Output is built as arrays of lines joined once.
import { writeRttm } from '../../formats/rttm.js';
import type { MergedTranscript } from '../merged.js';
import { buildCues, CUE_DEFAULTS, wrapLines, type Cue, type CueOptions } from './cues.js';
import { clockTime, secondsText, srtTime, vttTime } from './time.js';

export const EXPORT_FORMATS = ['srt', 'vtt', 'json', 'txt', 'md', 'rttm', 'tsv', 'docx'] as const;
export type ExportFormat = (typeof EXPORT_FORMATS)[number];

export const MEDIA_TYPES: Record<ExportFormat, string> = {
  srt: 'application/x-subrip',
  vtt: 'text/vtt',
  json: 'application/json',
  txt: 'text/plain',
  md: 'text/markdown',
  rttm: 'text/plain',
  tsv: 'text/tab-separated-values',
  docx: 'application/vnd.openxmlformats-officedocument.wordprocessingml.document',
};

export interface RenderOptions extends CueOptions {
  /** Name of the recording: RTTM file id, document titles. */
  title?: string;
  /** VTT: also print "Name: " in the cue text (players rarely display `<v>` voices). */
  vttSpeakerPrefix?: boolean;
}

export async function render(format: ExportFormat, merged: MergedTranscript, options: RenderOptions = {}): Promise<string | Uint8Array> {
  switch (format) {
    case 'srt':
      return toSrt(merged, options);
    case 'vtt':
      return toVtt(merged, options);
    case 'json':
      return toJson(merged);
    case 'txt':
      return toTxt(merged);
    case 'md':
      return toMarkdown(merged, options);
    case 'rttm':
      return toRttm(merged, options);
    case 'tsv':
      return toTsv(merged);
    case 'docx':
      return toDocx(merged, options);
  }
}

/** Cues are shared by srt and vtt renders of the same transcript and options. */
const cueCache = new WeakMap<MergedTranscript, { key: string; cues: Cue[] }>();
function cuesFor(merged: MergedTranscript, options: CueOptions): Cue[] {
  const key = JSON.stringify([options.maxLineChars, options.maxLines, options.maxCueSeconds, options.minCueSeconds]);
  const hit = cueCache.get(merged);
  if (hit && hit.key === key) return hit.cues;
  const cues = buildCues(merged, options);
  cueCache.set(merged, { key, cues });
  return cues;
}

/** One line per cue text line: "Name: text" wrapped to the line limits. */
function cueLines(prefix: string, text: string, options: CueOptions): string[] {
  return wrapLines(prefix + text, options.maxLineChars ?? CUE_DEFAULTS.maxLineChars, options.maxLines ?? CUE_DEFAULTS.maxLines);
}

export function toSrt(merged: MergedTranscript, options: CueOptions = {}): string {
  const out: string[] = [];
  cuesFor(merged, options).forEach((cue, i) => {
    out.push(String(i + 1), `${srtTime(cue.start)} --> ${srtTime(cue.end)}`, ...cueLines(`${cue.name}: `, oneLine(cue.text), options), '');
  });
  return out.join('\n');
}

const escapeVtt = (s: string) => (/[&<>]/.test(s) ? s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;') : s);

export function toVtt(merged: MergedTranscript, options: RenderOptions = {}): string {
  const prefix = options.vttSpeakerPrefix ?? true;
  const out: string[] = ['WEBVTT', ''];
  cuesFor(merged, options).forEach((cue, i) => {
    const lines = cueLines(prefix ? `${cue.name}: ` : '', oneLine(cue.text), options).map(escapeVtt);
    // The voice annotation may not contain "-->" or newlines; "&" "<" ">" are escaped.
    const voice = escapeVtt(oneLine(cue.name).replace(/-->/g, '->'));
    lines[0] = `<v ${voice}>${lines[0]}`;
    lines[lines.length - 1] = `${lines[lines.length - 1]}</v>`;
    out.push(String(i + 1), `${vttTime(cue.start)} --> ${vttTime(cue.end)}`, ...lines, '');
  });
  return out.join('\n');
}

/** The canonical JSON: header fields, then one utterance per line (diff-friendly, fast to write). */
export function toJson(merged: MergedTranscript): string {
  const { utterances, ...head } = merged;
  const headJson = JSON.stringify(head);
  if (utterances.length === 0) return `${headJson.slice(0, -1)},"utterances":[]}\n`;
  // One stringify call is about twice as fast as one per utterance. `},{"speaker":` cannot occur
  // inside a JSON string (its quotes would be escaped), so it marks utterance boundaries only.
  const body = JSON.stringify(utterances).slice(1, -1).replaceAll('},{"speaker":', '},\n{"speaker":');
  return `${headJson.slice(0, -1)},"utterances":[\n${body}\n]}\n`;
}

export function toTxt(merged: MergedTranscript): string {
  return lines(merged.utterances.map((u) => `[${clockTime(u.start)}] ${u.name}: ${oneLine(u.text)}`));
}

export function toMarkdown(merged: MergedTranscript, options: RenderOptions = {}): string {
  const out: string[] = [`# ${options.title ?? 'Transcript'}`, ''];
  if (merged.speakers.length > 0) out.push(`Speakers: ${merged.speakers.map((s) => s.name).join(', ')}`, '');
  for (const u of merged.utterances) {
    out.push(`### ${escapeMd(u.name)} · ${clockTime(u.start)}–${clockTime(u.end)}${u.overlapped ? ' (overlapping speech)' : ''}`, '', escapeMd(oneLine(u.text)), '');
  }
  return out.join('\n');
}

const escapeMd = (s: string) => (/^([#>*+-]|\d+\.)|</.test(s) ? s.replace(/^([#>*+-]|\d+\.)/, '\\$1').replace(/</g, '&lt;') : s);

/** NIST RTTM: one SPEAKER line per utterance; labels (not display names) as speaker ids. */
export function toRttm(merged: MergedTranscript, options: RenderOptions = {}): string {
  return writeRttm(merged.utterances, options.title ?? 'audio');
}

export function toTsv(merged: MergedTranscript): string {
  const cell = (s: string) => (/[\t\r\n]/.test(s) ? s.replace(/[\t\r\n]+/g, ' ') : s);
  const out = ['start\tend\tspeaker\tname\ttext'];
  for (const u of merged.utterances) out.push(`${secondsText(u.start)}\t${secondsText(u.end)}\t${cell(u.speaker)}\t${cell(u.name)}\t${cell(u.text)}`);
  return out.join('\n') + '\n';
}

/**
 * A readable meeting transcript: title, speaker list, then per utterance the name in
 * bold, the start time in grey and the text on the next line. The docx package builds
 * the package (styles, settings, parts, zip); the body XML is written here as one
 * string, because the package's object model costs about 1 s of CPU per 10 h of
 * meeting (measured in bench/merge-export.ts), and this is linear and ~20× cheaper.
 */
export async function toDocx(merged: MergedTranscript, options: RenderOptions = {}): Promise<Uint8Array> {
  // Loaded on first use: importing docx takes ~0.4 s, which every other command would pay.
  const { Document, HeadingLevel, Packer, Paragraph, TextRun } = await import('docx');
  const title = options.title ?? 'Transcript';
  const speakers = merged.speakers.map((s) => s.name).join(', ');
  const head = [new Paragraph({ text: title, heading: HeadingLevel.TITLE })];
  if (speakers) head.push(new Paragraph({ children: [new TextRun({ text: 'Speakers: ', bold: true }), new TextRun(speakers)] }));
  const doc = new Document({ title, sections: [{ children: head }] });

  const t = (text: string) => `<w:t xml:space="preserve">${escapeXml(text)}</w:t>`;
  const body: string[] = [DOCX_HEAD, `<w:p><w:pPr><w:pStyle w:val="Title"/></w:pPr><w:r>${t(title)}</w:r></w:p>`];
  if (speakers) body.push(`<w:p><w:r><w:rPr><w:b/><w:bCs/></w:rPr>${t('Speakers: ')}</w:r><w:r>${t(speakers)}</w:r></w:p>`);
  for (const u of merged.utterances) {
    body.push(
      `<w:p><w:pPr><w:spacing w:before="160"/></w:pPr><w:r><w:rPr><w:b/><w:bCs/></w:rPr>${t(u.name)}</w:r><w:r><w:rPr><w:color w:val="666666"/></w:rPr>${t(`  [${clockTime(u.start)}]`)}</w:r><w:r><w:br/>${t(oneLine(u.text))}</w:r></w:p>`,
    );
  }
  body.push(DOCX_TAIL);
  return Packer.toBuffer(doc, false, [{ path: 'word/document.xml', data: body.join('') }]);
}

const DOCX_HEAD =
  '<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships" xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main"><w:body>';
const DOCX_TAIL =
  '<w:sectPr><w:pgSz w:w="11906" w:h="16838" w:orient="portrait"/><w:pgMar w:top="1440" w:right="1440" w:bottom="1440" w:left="1440" w:header="708" w:footer="708" w:gutter="0"/><w:pgNumType/><w:docGrid w:linePitch="360"/></w:sectPr></w:body></w:document>';

/** Escapes XML text and drops characters XML 1.0 cannot hold. */
function escapeXml(s: string): string {
  // eslint-disable-next-line no-control-regex
  if (!/[&<>\u0000-\u001F\uD800-\uDFFF\uFFFE\uFFFF]/.test(s)) return s;
  // eslint-disable-next-line no-control-regex
  return s.replace(/[\u0000-\u0008\u000B\u000C\u000E-\u001F\uFFFE\uFFFF]|[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g, '').replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

/** Newline-terminated lines; nothing at all for none. */
const lines = (items: string[]) => (items.length > 0 ? items.join('\n') + '\n' : '');

const oneLine = (s: string) => (/[\r\n]/.test(s) ? s.replace(/\s*[\r\n]+\s*/g, ' ') : s);
