// Property: whatever ids, stage names and stems a store, import, plugin or pipeline supplies
// ("..", separators, NUL, unicode, long names, names of planted symlinks), a path spx accepts lies
// inside its root (checked with realpath) and crosses no link; everything else is a coded
// PATH_UNSAFE error. Seeded, so a failure reproduces; a few thousand cases in well under a second.
import { lstatSync, realpathSync } from 'node:fs';
import { mkdir, mkdtemp, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join, relative, sep } from 'node:path';
import { expect } from 'chai';
import { confine, confineExport, confinePath, stageArtifactsDir } from '../../src/artifacts/paths.js';
import { isSpxError } from '../../src/errors/errors.js';

/** mulberry32: small, fast, good enough to spread cases; the seed makes every run the same. */
function random(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const PIECES = [
  '..', '.', '/', '\\', '\0', '', 'a', 'B', '-', '_', ' ', '.hidden', 'runs', 'read', 'exclaim', 'abcdef123456',
  'link-out', 'link-in', 'dangling', 'file.txt', 'out', 'é', '日本語', '🎙️', '\u202e', '\u2024\u2024', '．．', '%2e%2e', 'CON', 'x'.repeat(130),
];

describe('artifacts/paths (property)', () => {
  let dir: string;
  let root: string;
  let linkedRoot: string;
  let outside: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-paths-prop-'));
    root = join(dir, 'work');
    linkedRoot = join(dir, 'work-link');
    outside = join(dir, 'outside');
    await mkdir(join(root, 'runs', 'abcdef123456', 'read'), { recursive: true });
    await mkdir(join(root, 'out'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(root, 'file.txt'), 'a file');
    // Links planted everywhere a name could land: pointing out, pointing back in, pointing nowhere.
    await symlink(outside, join(root, 'link-out'));
    await symlink(outside, join(root, 'runs', 'link-out'));
    await symlink(outside, join(root, 'runs', 'abcdef123456', 'exclaim'));
    await symlink(join(root, 'runs'), join(root, 'runs', 'abcdef123456', 'link-in'));
    await symlink(join(dir, 'nowhere'), join(root, 'runs', 'abcdef123456', 'read', 'dangling'));
    await symlink(outside, join(root, 'out', 'link-out'));
    await symlink(root, linkedRoot);
  });
  after(() => rm(dir, { recursive: true, force: true }));

  /** An accepted path: under the root by name, no link below the root, real path inside the real root. */
  function assertConfined(base: string, path: string, what: string): void {
    expect(path.startsWith(base + sep), `${what} → ${JSON.stringify(path)} is not under ${base}`).to.equal(true);
    expect(path.includes('\0'), what).to.equal(false);
    let deepest = base;
    let at = base;
    for (const part of relative(base, path).split(sep)) {
      expect(part === '' || part === '.' || part === '..', `${what}: component ${JSON.stringify(part)}`).to.equal(false);
      at = join(at, part);
      let info;
      try {
        info = lstatSync(at);
      } catch {
        break;
      }
      expect(info.isSymbolicLink(), `${what} → ${path} crosses the link ${at}`).to.equal(false);
      deepest = at;
    }
    const realBase = realpathSync(base);
    const real = realpathSync(deepest);
    expect(real === realBase || real.startsWith(realBase + sep), `${what} → ${path} resolves to ${real}, outside ${realBase}`).to.equal(true);
  }

  it('never accepts a path outside its root; every rejection is PATH_UNSAFE', () => {
    const next = random(20261201);
    const pick = <T>(items: readonly T[]): T => items[Math.floor(next() * items.length)]!;
    const name = (): string => Array.from({ length: 1 + Math.floor(next() * 3) }, () => pick(PIECES)).join('');
    const counts = { accepted: 0, rejected: 0 };
    for (let i = 0; i < 4000; i++) {
      const base = next() < 0.25 ? linkedRoot : root;
      const kind = i % 4;
      let what = '';
      try {
        let path: string;
        if (kind === 0) {
          const segments = Array.from({ length: 1 + Math.floor(next() * 4) }, name);
          what = `confine(${JSON.stringify(segments)})`;
          path = confine(base, ...segments);
        } else if (kind === 1) {
          const runId = next() < 0.3 ? 'abcdef123456' : name();
          const stageId = next() < 0.3 ? pick(['read', 'exclaim', 'steps']) : name();
          what = `stageArtifactsDir(${JSON.stringify(runId)}, ${JSON.stringify(stageId)})`;
          path = stageArtifactsDir(base, runId, stageId);
        } else if (kind === 2) {
          const tail = Array.from({ length: 1 + Math.floor(next() * 5) }, name).join(pick(['/', '/', '/./', '/../']));
          const candidate = pick([`${base}/${tail}`, `${base}/runs/abcdef123456/${tail}`, `/${tail}`, tail, `${outside}/${tail}`]);
          what = `confinePath(${JSON.stringify(candidate)})`;
          path = confinePath(base, candidate);
        } else {
          const stem = name();
          const ext = pick(['srt', 'txt', name(), `/../${name()}`, `/../../outside/${name()}`]);
          const outDir = join(base, 'out');
          what = `confineExport(${JSON.stringify(`${stem}.${ext}`)})`;
          path = confineExport(outDir, `${outDir}/${stem}.${ext}`);
          assertConfined(outDir, path, what);
        }
        assertConfined(base, path, what);
        counts.accepted++;
      } catch (error) {
        if (!isSpxError(error)) throw new Error(`${what} threw ${String(error)}`);
        expect(error.code, what).to.equal('PATH_UNSAFE');
        expect(error.hint, what).to.be.a('string');
        counts.rejected++;
      }
    }
    // Both sides are exercised, so the property is not vacuous.
    expect(counts.accepted).to.be.greaterThan(400);
    expect(counts.rejected).to.be.greaterThan(400);
  });

  it('refuses every planted link by name, wherever it sits', () => {
    for (const [base, segments] of [
      [root, ['link-out', 'x']],
      [root, ['runs', 'link-out']],
      [root, ['runs', 'abcdef123456', 'exclaim', 'text.txt']],
      [root, ['runs', 'abcdef123456', 'link-in', 'abcdef123456']],
      [root, ['runs', 'abcdef123456', 'read', 'dangling']],
      [linkedRoot, ['out', 'link-out', 'talk.srt']],
    ] as const) {
      let code: string | undefined;
      try {
        confine(base, ...segments);
      } catch (error) {
        code = isSpxError(error) ? error.code : String(error);
      }
      expect(code, segments.join('/')).to.equal('PATH_UNSAFE');
    }
    expect(dirname(confine(linkedRoot, 'runs', 'abcdef123456', 'read', 'new.txt'))).to.equal(join(linkedRoot, 'runs', 'abcdef123456', 'read'));
  });
});
