// Turns ffmpeg's stderr and file-system state into one-line SpxErrors that name the file.
import { stat } from 'node:fs/promises';
import { SpxError, redact } from '@spx/core';

/** Lines that add nothing to a summary (ffmpeg's generic closing remarks). */
const NOISE = [
  /^Conversion failed!?$/i,
  /^Error opening input files?:/i,
  /^Exiting normally/i,
  /^To ignore this, add a trailing '\?' to the map\.?$/i,
  /^Error while filtering/i,
  /^Press \[q\]/i,
  // Informational lines printed at -loglevel info (silencedetect runs).
  /^(Input|Output) #\d/,
  /^Stream mapping:/,
  /^\s/,
  /^silence_(start|end)/,
  /^\s*$/,
];

/** Removes "[wav @ 0x55…] " prefixes and a leading "path: " so the line reads as a reason. */
function cleanLine(line: string, path?: string): string {
  let text = line.replace(/\[[^\]]*@ 0x[0-9a-f]+\]\s*/gi, '').trim();
  if (path) {
    for (const prefix of [path, `file:${path}`]) {
      if (text.startsWith(`${prefix}: `)) text = text.slice(prefix.length + 2);
    }
  }
  return text;
}

/** One line summarising what ffmpeg complained about (the most specific, deduplicated). */
export function summarizeStderr(lines: readonly string[], path?: string): string {
  const cleaned: string[] = [];
  for (const line of lines) {
    const text = cleanLine(line, path);
    if (!text || NOISE.some((re) => re.test(text) || re.test(line))) continue;
    if (!cleaned.includes(text)) cleaned.push(text);
  }
  if (cleaned.length === 0) return 'ffmpeg gave no reason';
  // The first real complaint is usually the cause; later lines are consequences.
  // Redacted before it is cut, so a cut cannot leave part of a secret (a credential in a URL input).
  const summary = redact(cleaned.slice(0, 2).join('; '));
  return summary.length > 200 ? `${summary.slice(0, 197)}...` : summary;
}

export function inputMissing(path: string): SpxError {
  return new SpxError('INPUT_MISSING', `Input file "${path}" does not exist.`, { hint: 'Check the path (quote it if it contains spaces) and run again.' });
}

/** Checks that `path` is a non-empty regular file; throws INPUT_MISSING / INPUT_INVALID / AUDIO_INVALID. */
export async function assertReadableFile(path: string): Promise<number> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw inputMissing(path);
  }
  if (info.isDirectory()) throw new SpxError('INPUT_INVALID', `Input "${path}" is a directory, not an audio file.`, { hint: 'Pass the path of an audio or video file.' });
  if (!info.isFile()) throw new SpxError('INPUT_INVALID', `Input "${path}" is not a regular file.`, { hint: 'Pass the path of an audio or video file.' });
  if (info.size === 0) throw new SpxError('AUDIO_INVALID', `Input file "${path}" is empty (0 bytes).`, { hint: 'Re-export or re-download the recording; the file holds no data.' });
  return info.size;
}

export function audioInvalid(path: string, reason: string, cause?: unknown): SpxError {
  return new SpxError('AUDIO_INVALID', `Cannot read audio from "${path}": ${reason}.`.replace(/\.\.$/, '.'), {
    hint: 'Check that the file is a complete audio or video file ffmpeg can play (`ffprobe <file>`); re-export it if it is damaged.',
    cause,
  });
}

/** Classifies a failed ffmpeg/ffprobe run on `input` into the right SpxError. */
export async function classifyFailure(input: string | undefined, stderr: readonly string[], cause?: unknown, output?: { path: string; shownAs: string }): Promise<SpxError> {
  const text = stderr.join('\n');
  if (/No space left on device/i.test(text)) {
    return new SpxError('DISK_FULL', `No space left on the device while ffmpeg was writing${output ? ` "${output.shownAs}"` : ''}.`, { hint: 'Free disk space and run the same command again; completed work is kept.', cause });
  }
  if (output && stderr.some((line) => line.includes(output.path))) {
    const reason = summarizeStderr(stderr.filter((line) => line.includes(output.path)), output.path);
    return new SpxError('STAGE_FAILED', `ffmpeg could not write "${output.shownAs}": ${reason}.`, { hint: 'Check that the output directory is writable, then run again.', cause });
  }
  if (input !== undefined) {
    try {
      await assertReadableFile(input);
    } catch (error) {
      return error as SpxError;
    }
  }
  const reason = summarizeStderr(stderr, input);
  if (input === undefined) return new SpxError('STAGE_FAILED', `ffmpeg failed: ${reason}.`, { cause });
  return audioInvalid(input, reason, cause);
}
