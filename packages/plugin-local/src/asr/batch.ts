// Runs `pocketsphinx_batch` over a list of 16 kHz mono WAV files, each decoded as one utterance,
// and reads its `-hypseg` segmentation. Unlike pocketsphinx_continuous, the batch decoder
// normalises each utterance by its own cepstral mean (so the input level and the audio before it
// do not matter) and, with `-remove_silence no`, counts every frame, so word times are exact.
// With `fsg` files it decodes against one finite-state grammar per utterance instead of the
// language model (forced choice between given word sequences).
import { readFile, writeFile } from 'node:fs/promises';
import { basename, dirname, join } from 'node:path';
import type { Env } from '@spx/plugin-ffmpeg';
import { findPocketsphinxBatch, runPocketsphinx } from './pocketsphinx.js';

/** Frames per second of the en-us front end (`-frate`). */
export const FRAME_RATE = 100;

export interface BatchWord {
  text: string;
  /** Seconds from the start of the utterance's file. */
  start: number;
  end: number;
}

export interface BatchOptions {
  /** Work directory for the control file, output and log (the WAV files must be in it). */
  dir: string;
  /** A label for the files written (several decodes may share `dir`). */
  name: string;
  /** One Sphinx FSG file per utterance: decode against these grammars instead of the language model. */
  fsg?: readonly string[];
  /** Extra decoder flags. */
  args?: readonly string[];
  signal?: AbortSignal;
  /** Where pocketsphinx_batch is looked up (a stage's ctx.env). */
  env: Env;
}

/** Tokens that are not words: sentence marks, silence, noise and filler models, FSG null transitions. */
const NOT_A_WORD = /^(<s>|<\/s>|<sil>|\(NULL\)|\[.*\]|\+\+.*\+\+|<.*>)$/i;

/** Decodes each WAV file (in `options.dir`) as one utterance; words per file, in order. */
export async function decodeBatch(files: readonly string[], options: BatchOptions): Promise<BatchWord[][]> {
  if (files.length === 0) return [];
  const binary = findPocketsphinxBatch(options.env);
  const { dir, name } = options;
  // A control line is the file name without extension, which is also the utterance id.
  const ids = files.map((f) => {
    if (dirname(f) !== dir || !f.endsWith('.wav') || /\s/.test(basename(f))) throw new RangeError(`decodeBatch: ${f} is not a .wav file without spaces in ${dir}`);
    return basename(f, '.wav');
  });
  const ctl = join(dir, `${name}.ctl`);
  const hypseg = join(dir, `${name}.seg`);
  const log = join(dir, `${name}.log`);
  await writeFile(ctl, `${ids.join('\n')}\n`);
  const args = ['-adcin', 'yes', '-adchdr', '44', '-cepdir', dir, '-cepext', '.wav', '-ctl', ctl, '-hypseg', hypseg, '-logfn', log, '-remove_silence', 'no'];
  if (options.fsg) {
    const fsgctl = join(dir, `${name}.fsgctl`);
    await writeFile(fsgctl, `${options.fsg.join('\n')}\n`);
    // A grammar given up front keeps the decoder from loading the language model it will not use.
    args.push('-fsg', options.fsg[0]!, '-fsgctl', fsgctl);
  }
  await runPocketsphinx(binary, [...args, ...(options.args ?? [])], files[0]!, options.signal, log);
  return parseHypseg(await readFile(hypseg, 'utf8'), ids);
}

/**
 * Parses `-hypseg` lines (utterance ids `ids`, in control-file order): `<uttid> S <s> T <total> A <acoustic> L <lm> (<sf> <ascr> <lscr> <word>)* <ef>`,
 * frames relative to the utterance start. A word ends where the next token starts.
 */
export function parseHypseg(text: string, ids: readonly string[]): BatchWord[][] {
  const out: BatchWord[][] = ids.map(() => []);
  const indexOf = new Map(ids.map((id, i) => [id, i]));
  for (const line of text.split(/\r?\n/)) {
    const t = line.trim().split(/\s+/);
    const index = indexOf.get(t[0] ?? '');
    const l = t.indexOf('L');
    if (index === undefined || l < 0) continue;
    const tokens: Array<{ frame: number; word: string }> = [];
    let i = l + 2;
    for (; i + 3 < t.length; i += 4) tokens.push({ frame: Number(t[i]), word: t[i + 3]! });
    const last = Number(t[i]);
    tokens.forEach((token, k) => {
      if (NOT_A_WORD.test(token.word) || !Number.isFinite(token.frame)) return;
      const next = k + 1 < tokens.length ? tokens[k + 1]!.frame : last;
      const end = Number.isFinite(next) ? Math.max(next, token.frame) : token.frame;
      out[index]!.push({ text: token.word.replace(/\(\d+\)$/, ''), start: token.frame / FRAME_RATE, end: end / FRAME_RATE });
    });
  }
  return out;
}
