// The linter (Biome, biome.json: a small rule set — unused code, fall-through, ==, any in
// sources, const, node: imports) reports nothing, in sources, tests, benches and scripts.
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';
import { expect } from 'chai';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

describe('lint', function () {
  this.timeout(120_000);
  it('biome lint reports no problems', () => {
    const biome = createRequire(import.meta.url).resolve('@biomejs/biome/bin/biome');
    const result = spawnSync(process.execPath, [biome, 'lint', '--max-diagnostics=50', '--colors=off'], { cwd: ROOT, encoding: 'utf8' });
    expect(result.status, `${result.stdout}\n${result.stderr}`).to.equal(0);
  });
});
