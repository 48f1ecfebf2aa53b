// Writes the chunks handed to the recogniser as 16-bit PCM WAV (encoded by core).
import { writeFile } from 'node:fs/promises';
import { encodeWav } from '@spx/core/formats';

export async function writeWav(path: string, samples: Float32Array, sampleRate: number): Promise<void> {
  await writeFile(path, encodeWav(samples, sampleRate));
}
