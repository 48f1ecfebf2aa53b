// Builds a long two-speaker recording with known turns, in the sample's two espeak-ng voices.
// Each turn is a different sentence at a slightly different speed: espeak-ng renders the same
// words as bit-identical audio, and repeated identical frames form clusters tighter than any
// real speaker, a case no real recording has. Sentences come from word lists in a fixed
// pseudo-random order, so the file is the same on every run.
import { mkdir, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import type { SpeakerTurn } from '@spx/core';

export const SAMPLES = new URL('../../../../samples/', import.meta.url).pathname;

export interface LongAudio {
  path: string;
  turns: SpeakerTurn[];
  duration: number;
}

const SUBJECTS = ['The new manager', 'Our best customer', 'The design team', 'My neighbour', 'The young teacher', 'Every student', 'The local bakery', 'Her brother', 'The city council', 'A small company', 'The old farmer'];
const VERBS = ['wants to buy', 'has already painted', 'will probably sell', 'forgot to check', 'decided to repair', 'is looking for', 'asked about', 'could not find', 'likes to visit', 'promised to clean'];
const OBJECTS = ['a bigger house near the river.', 'the red bicycle in the garden.', 'three tickets for the evening train.', 'the broken window in the kitchen.', 'a quiet place to read on Sunday.', 'the report about the summer sales.', 'some fresh bread and cheese.', 'the long road through the mountains.', 'a warm coat for the winter.'];
const VOICES = ['en-us+m3', 'en-us+f2'];

async function duration(path: string): Promise<number> {
  const { stdout } = await execa('soxi', ['-D', path]);
  return Number(stdout.trim());
}

/** Writes `count` alternating turns (two sentences each) to `dir/long.wav`; returns the true turns. */
export async function buildLongAudio(dir: string, count: number): Promise<LongAudio> {
  const work = join(dir, 'long-parts');
  await mkdir(work, { recursive: true });
  const gaps = [0.5, 0.8, 0.4, 1.0, 0.6];
  const pieces: string[] = [];
  const turns: SpeakerTurn[] = [];
  let t = 0.5;
  let seed = 7;
  const silence = (name: string, seconds: number) => execa('sox', ['-D', '-n', '-r', '16000', '-c', '1', '-b', '16', join(work, name), 'trim', '0', String(seconds)]);
  await silence('lead.wav', 0.5);
  pieces.push(join(work, 'lead.wav'));
  for (let i = 0; i < count; i++) {
    const pick = <T,>(list: readonly T[]): T => list[(seed = (seed * 16807) % 2147483647) % list.length]!;
    const sentence = () => `${pick(SUBJECTS)} ${pick(VERBS)} ${pick(OBJECTS)}`;
    const text = `${sentence()} ${sentence()}`;
    const raw = join(work, `raw${i}.wav`);
    const piece = join(work, `piece${i}.wav`);
    await execa('espeak-ng', ['-v', VOICES[i % 2]!, '-s', String(135 + ((i * 7) % 30)), '-w', raw, text]);
    await execa('sox', ['-D', raw, '-r', '16000', '-c', '1', '-b', '16', piece, 'silence', '1', '0.02', '0.5%', 'reverse', 'silence', '1', '0.02', '0.5%', 'reverse']);
    const len = await duration(piece);
    turns.push({ speaker: i % 2 === 0 ? 'A' : 'B', start: Math.round(t * 1000) / 1000, end: Math.round((t + len) * 1000) / 1000 });
    const gap = gaps[i % gaps.length]!;
    await silence(`gap${i}.wav`, gap);
    pieces.push(piece, join(work, `gap${i}.wav`));
    t += len + gap;
  }
  const path = join(dir, 'long.wav');
  await execa('sox', ['-D', ...pieces, path]);
  await rm(work, { recursive: true, force: true });
  return { path, turns, duration: t };
}
