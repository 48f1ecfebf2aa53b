// Test audio made on the spot with espeak-ng and sox.
import { execFileSync } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function tempDir(): Promise<{ dir: string; cleanup: () => Promise<void> }> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-openai-'));
  return { dir, cleanup: () => rm(dir, { recursive: true, force: true }) };
}

const SENTENCES = [
  'The first speaker opens the meeting and reads the agenda.',
  'Then the budget for the next quarter is discussed at length.',
  'Someone asks whether the deadline can move by two weeks.',
  'The answer is no, because the customer needs the release in May.',
  'Finally everybody agrees to meet again on Thursday morning.',
];

/** One sentence, about 3 s, 22.05 kHz mono WAV. */
export function shortSpeech(dir: string): string {
  const out = join(dir, 'short.wav');
  execFileSync('espeak-ng', ['-v', 'en-us', '-w', out, 'Hello there, this is a short test of the transcription stage.']);
  return out;
}

/** Five sentences separated by 0.8 s of silence: about 20 s, alternating two voices. */
export function longSpeech(dir: string): string {
  const parts: string[] = [];
  const silence = join(dir, 'silence.wav');
  execFileSync('sox', ['-n', '-r', '22050', '-c', '1', '-b', '16', silence, 'trim', '0', '0.8']);
  SENTENCES.forEach((text, i) => {
    const part = join(dir, `s${i}.wav`);
    execFileSync('espeak-ng', ['-v', i % 2 === 0 ? 'en-us+m3' : 'en-us+f2', '-w', part, text]);
    if (i > 0) parts.push(silence);
    parts.push(part);
  });
  const out = join(dir, 'long.wav');
  execFileSync('sox', [...parts, out]);
  return out;
}

export function durationOf(path: string): number {
  return Number(execFileSync('ffprobe', ['-v', 'error', '-show_entries', 'format=duration', '-of', 'csv=p=0', path], { encoding: 'utf8' }).trim());
}
