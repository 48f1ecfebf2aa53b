// Renderers from the merged transcript to each export format. Every format shows the
// speaker of every piece of text. Output is built as arrays of lines joined once.
import { Document, HeadingLevel, Packer, Paragraph, TextRun } from 'docx';
import type { MergedTranscript } from '../merged.js';
import { buildCues, CUE_DEFAULTS, wrapLines, type CueOptions } from './cues.js';
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

/** One line per cue text line: "Name: text" wrapped to the line limits. */
function cueLines(prefix: string, text: string, options: CueOptions): string[] {
  return wrapLines(prefix + text, options.maxLineChars ?? CUE_DEFAULTS.maxLineChars, options.maxLines ?? CUE_DEFAULTS.maxLines);
}

export function toSrt(merged: MergedTranscript, options: CueOptions = {}): string {
  const out: string[] = [];
  buildCues(merged, options).forEach((cue, i) => {
    out.push(String(i + 1), `${srtTime(cue.start)} --> ${srtTime(cue.end)}`, ...cueLines(`${cue.name}: `, oneLine(cue.text), options), '');
  });
  return out.join('\n');
}

const escapeVtt = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

export function toVtt(merged: MergedTranscript, options: RenderOptions = {}): string {
  const prefix = options.vttSpeakerPrefix ?? true;
  const out: string[] = ['WEBVTT', ''];
  buildCues(merged, options).forEach((cue, i) => {
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
  const lines = utterances.map((u) => JSON.stringify(u));
  return `${headJson.slice(0, -1)},"utterances":[\n${lines.join(',\n')}\n]}\n`;
}

export function toTxt(merged: MergedTranscript): string {
  return merged.utterances.map((u) => `[${clockTime(u.start)}] ${u.name}: ${oneLine(u.text)}`).join('\n') + '\n';
}

export function toMarkdown(merged: MergedTranscript, options: RenderOptions = {}): string {
  const out: string[] = [`# ${options.title ?? 'Transcript'}`, ''];
  if (merged.speakers.length > 0) out.push(`Speakers: ${merged.speakers.map((s) => s.name).join(', ')}`, '');
  for (const u of merged.utterances) {
    out.push(`### ${escapeMd(u.name)} · ${clockTime(u.start)}–${clockTime(u.end)}${u.overlapped ? ' (overlapping speech)' : ''}`, '', escapeMd(oneLine(u.text)), '');
  }
  return out.join('\n');
}

const escapeMd = (s: string) => s.replace(/^([#>*+-]|\d+\.)/, '\\$1').replace(/</g, '&lt;');

/** NIST RTTM: one SPEAKER line per utterance; labels (not display names) as speaker ids. */
export function toRttm(merged: MergedTranscript, options: RenderOptions = {}): string {
  const file = rttmToken(options.title ?? 'audio');
  return merged.utterances.map((u) => `SPEAKER ${file} 1 ${(Math.max(0, u.start)).toFixed(3)} ${Math.max(0, u.end - u.start).toFixed(3)} <NA> <NA> ${rttmToken(u.speaker)} <NA> <NA>`).join('\n') + '\n';
}

const rttmToken = (s: string) => s.replace(/\s+/g, '_') || '_';

export function toTsv(merged: MergedTranscript): string {
  const cell = (s: string) => s.replace(/[\t\r\n]+/g, ' ');
  const out = ['start\tend\tspeaker\tname\ttext'];
  for (const u of merged.utterances) out.push(`${secondsText(u.start)}\t${secondsText(u.end)}\t${cell(u.speaker)}\t${cell(u.name)}\t${cell(u.text)}`);
  return out.join('\n') + '\n';
}

/** A readable meeting transcript: title, speaker list, then "Name [hh:mm:ss]" in bold before each utterance. */
export async function toDocx(merged: MergedTranscript, options: RenderOptions = {}): Promise<Uint8Array> {
  const children: Paragraph[] = [new Paragraph({ text: options.title ?? 'Transcript', heading: HeadingLevel.TITLE })];
  if (merged.speakers.length > 0) children.push(new Paragraph({ children: [new TextRun({ text: 'Speakers: ', bold: true }), new TextRun(merged.speakers.map((s) => s.name).join(', '))] }));
  for (const u of merged.utterances) {
    children.push(
      new Paragraph({
        spacing: { before: 160 },
        children: [new TextRun({ text: u.name, bold: true }), new TextRun({ text: `  [${clockTime(u.start)}]`, color: '666666' }), new TextRun({ text: oneLine(u.text), break: 1 })],
      }),
    );
  }
  const doc = new Document({ title: options.title ?? 'Transcript', sections: [{ children }] });
  return Packer.toBuffer(doc);
}

const oneLine = (s: string) => s.replace(/\s*[\r\n]+\s*/g, ' ');
