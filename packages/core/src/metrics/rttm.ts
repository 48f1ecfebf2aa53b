// NIST RTTM speaker lines ↔ turns, for DER tools and reference files.
import type { SpeakerTurn } from '../transcript/types.js';

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
