import { writeFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { expect } from 'chai';
import { isSpxError, sha256File, type Logger } from '@spx/core';
import { checkAudioLimits, checkedUpload } from '../src/index.js';
import { env, makeTone, removeDir, tempDir } from './helpers.js';

describe('checkAudioLimits, checkedUpload', () => {
  let dir: string;
  before(async () => {
    dir = await tempDir();
  });
  after(() => removeDir(dir));
  const limits = { maxBytes: 200_000, maxSeconds: 3, minSeconds: 0.5 };
  const refusal = (path: string, warn?: (m: string) => void) => checkAudioLimits(path, limits, { service: 'Vendor', env, ...(warn ? { warn } : {}) }).then(() => undefined, (e: unknown) => e);

  it('gives size and duration of a file within the limits', async () => {
    const ok = makeTone(join(dir, 'ok.wav'), { seconds: 1 });
    expect(await checkAudioLimits(ok, limits, { service: 'Vendor', env })).to.deep.include({ duration: 1 });
  });

  it('refuses a missing file, one too large, too long or too short, naming the limit', async () => {
    expect(await refusal(join(dir, 'none.wav'))).to.satisfy((e: unknown) => isSpxError(e) && e.code === 'INPUT_MISSING');
    const cases: Array<[string, RegExp]> = [
      [makeTone(join(dir, 'large.wav'), { seconds: 2.9, rate: 48_000 }), /over Vendor's limit of 200000 bytes/],
      [makeTone(join(dir, 'long.mp3'), { seconds: 4 }), /lasts 4(\.\d+)? s, over Vendor's limit of 3 s/],
      [makeTone(join(dir, 'short.wav'), { seconds: 0.2 }), /Vendor needs at least 0.5 s/],
    ];
    for (const [path, message] of cases) {
      const error = await refusal(path);
      expect(isSpxError(error) && error.code, String(error)).to.equal('INPUT_INVALID');
      expect((error as Error).message).to.match(message);
    }
  });

  it('leaves a file ffprobe cannot read to the service, with a warning', async () => {
    const odd = join(dir, 'odd.bin');
    await writeFile(odd, 'not audio at all');
    const warnings: string[] = [];
    expect(await checkAudioLimits(odd, limits, { service: 'Vendor', env, warn: (m) => warnings.push(m) })).to.deep.equal({ bytes: 16 });
    expect(warnings[0]).to.contain('Vendor will judge the file');
  });

  const warnings: string[] = [];
  const logger: Logger = { warn: (m) => void warnings.push(m), info: () => undefined, debug: () => undefined, error: () => undefined };

  it('checkedUpload gives the absolute path, the hash, size and duration of a file within the limits', async () => {
    const ok = makeTone(join(dir, 'ok.wav'), { seconds: 1 });
    const checked = await checkedUpload(relative(process.cwd(), ok), limits, 'Vendor', { env, signal: new AbortController().signal, logger });
    expect(checked).to.deep.include({ path: ok, sha256: await sha256File(ok), duration: 1 });
    expect(checked.bytes).to.be.greaterThan(0);
  });

  it('checkedUpload refuses a file over the limits, and warns through the stage log when the duration is unknown', async () => {
    const long = makeTone(join(dir, 'long.mp3'), { seconds: 4 });
    const error = await checkedUpload(long, limits, 'Vendor', { env, signal: new AbortController().signal, logger }).then(() => undefined, (e: unknown) => e);
    expect(isSpxError(error) && error.code).to.equal('INPUT_INVALID');
    const odd = join(dir, 'odd.bin');
    await writeFile(odd, 'not audio at all');
    expect(await checkedUpload(odd, limits, 'Vendor', { env, signal: new AbortController().signal, logger })).to.not.have.property('duration');
    expect(warnings.at(-1)).to.contain('Vendor will judge the file');
  });
});
