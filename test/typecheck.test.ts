// The whole workspace typechecks under strict settings (tsx runs the sources without checking types).
import { execFile } from 'node:child_process';
import { createRequire } from 'node:module';
import { promisify } from 'node:util';
import { expect } from 'chai';
import { REPO } from './support/cli.js';

describe('typecheck', function () {
  this.timeout(240_000);
  it('tsc --noEmit reports no errors in sources, tests and benches', async () => {
    const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
    const result = await promisify(execFile)(process.execPath, [tsc, '-p', 'tsconfig.json', '--noEmit'], { cwd: REPO, maxBuffer: 16 << 20 }).then(
      () => '',
      (error: { stdout?: string }) => error.stdout ?? String(error),
    );
    expect(result.split('\n').filter(Boolean).slice(0, 20).join('\n')).to.equal('');
  });
});
