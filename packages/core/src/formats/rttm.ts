// NIST RTTM (Rich Transcription Time Marked) speaker lines, written and read in one place: the
// export stage, diarization stages and the DER tools all speak the same dialect. Fields are
// separated by white space, so a label or file id with spaces in it is written with `_` instead
// (an empty one as `_`): a reader then sees every line with exactly ten fields.
import type { SpeakerTurn } from '../transcript/schema.js';

/** An RTTM field: white space (any, Unicode included) becomes `_`; never empty. */
export function rttmField(value: string): string {
  return value.replace(/\s+/g, '_') || '_';
}

/**
 * `SPEAKER <uri> 1 <onset> <duration> <NA> <NA> <speaker> <NA> <NA>`, one line per turn, each
 * ending in a newline; times in seconds with millisecond precision, never negative.
 */
export function writeRttm(turns: readonly Pick<SpeakerTurn, 'speaker' | 'start' | 'end'>[], uri: string): string {
  const file = rttmField(uri);
  return turns.map((t) => `SPEAKER ${file} 1 ${Math.max(0, t.start).toFixed(3)} ${Math.max(0, t.end - t.start).toFixed(3)} <NA> <NA> ${rttmField(t.speaker)} <NA> <NA>\n`).join('');
}

/** Parses the SPEAKER lines of an RTTM document (other line types and comments are skipped). */
export function parseRttm(text: string, options: { file?: string } = {}): SpeakerTurn[] {
  const turns: SpeakerTurn[] = [];
  text.split(/\r?\n/).forEach((line, index) => {
    const cols = line.trim().split(/\s+/);
    if (cols[0] !== 'SPEAKER') return;
    if (cols.length < 8) throw new Error(`RTTM line ${index + 1} has ${cols.length} columns, expected at least 8.`);
    if (options.file !== undefined && cols[1] !== options.file) return;
    const start = Number(cols[3]);
    const duration = Number(cols[4]);
    if (!Number.isFinite(start) || !Number.isFinite(duration) || duration < 0) throw new Error(`RTTM line ${index + 1} has a bad onset or duration: "${cols[3]} ${cols[4]}".`);
    turns.push({ speaker: cols[7]!, start, end: start + duration });
  });
  return turns;
}
