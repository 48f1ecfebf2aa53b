// Path safety: ids and names become paths only inside their root, never through a planted link.
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { confine, confinePath, isInside, isRunArtifactPath, isRunId, isStageId, stageArtifactsDir } from '../../src/artifacts/paths.js';
import { sha256 } from '../../src/artifacts/hash.js';
import { createArtifactStore } from '../../src/artifacts/store.js';
import { isSpxError } from '../../src/errors/errors.js';

function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
    return undefined;
  } catch (error) {
    return isSpxError(error) ? error.code : `not an SpxError: ${String(error)}`;
  }
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  return promise.then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('artifacts/paths', () => {
  let dir: string;
  let root: string;
  let outside: string;
  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'spx-paths-'));
    root = join(dir, 'work');
    outside = join(dir, 'outside');
    await mkdir(join(root, 'runs', 'abcdef123456', 'read'), { recursive: true });
    await mkdir(outside);
    await writeFile(join(outside, 'secret.txt'), 'not yours');
  });
  afterEach(() => rm(dir, { recursive: true, force: true }));

  it('accepts run ids and stage ids that are plain names, and nothing else', () => {
    for (const id of ['abcdef123456', '0b3df7cd8e12', 'seed-run_01']) expect(isRunId(id), id).to.equal(true);
    for (const id of ['', 'abc', '..', '../../x', 'a/b', 'a\\b', 'a\0bcd', 'a.b.c.d', 'x'.repeat(65), 'ünïcode', 42]) expect(isRunId(id), String(id)).to.equal(false);
    for (const id of ['read', 'convert', 'stage_2', 'a-b']) expect(isStageId(id), id).to.equal(true);
    for (const id of ['', '.', '..', '../read', '_x', '1st', 'a/b', 'a b', 'x'.repeat(256), null]) expect(isStageId(id), String(id)).to.equal(false);
  });

  it('confine joins plain segments and refuses empty, ".", "..", separators, NUL and over-long names', () => {
    expect(confine(root, 'runs', 'abcdef123456', 'read', 'text.txt')).to.equal(join(root, 'runs', 'abcdef123456', 'read', 'text.txt'));
    for (const bad of ['', '.', '..', 'a/b', '/etc', 'a\\b', 'a\0b', 'é'.repeat(200)]) {
      expect(codeOf(() => confine(root, 'runs', bad)), JSON.stringify(bad)).to.equal('PATH_UNSAFE');
    }
  });

  it('confine refuses a symlink anywhere below the root, even one pointing inside; the root itself may be one', async () => {
    await symlink(outside, join(root, 'runs', 'abcdef123456', 'out'));
    await symlink(join(root, 'runs'), join(root, 'loop'));
    expect(codeOf(() => confine(root, 'runs', 'abcdef123456', 'out', 'secret.txt'))).to.equal('PATH_UNSAFE');
    expect(codeOf(() => confine(root, 'runs', 'abcdef123456', 'out'))).to.equal('PATH_UNSAFE');
    expect(codeOf(() => confine(root, 'loop', 'abcdef123456'))).to.equal('PATH_UNSAFE');
    const linkedRoot = join(dir, 'linked-work');
    await symlink(root, linkedRoot);
    expect(confine(linkedRoot, 'runs', 'abcdef123456', 'read')).to.equal(join(linkedRoot, 'runs', 'abcdef123456', 'read'));
  });

  it('confinePath accepts recorded paths strictly inside the root (lexically or through its real path) and refuses the rest', async () => {
    const inside = join(root, 'runs', 'abcdef123456', 'read', 'text.txt');
    expect(confinePath(root, inside)).to.equal(inside);
    const linkedRoot = join(dir, 'linked-work');
    await symlink(root, linkedRoot);
    expect(confinePath(linkedRoot, inside)).to.equal(join(linkedRoot, 'runs', 'abcdef123456', 'read', 'text.txt'));
    expect(confinePath(root, join(await realpath(root), 'runs'))).to.equal(join(root, 'runs'));
    for (const bad of [root, `${root}/../outside/secret.txt`, `${root}/runs/x/../abcdef123456`, `${root}/runs/`, join(outside, 'secret.txt'), 'runs/abcdef123456', `${root}/runs\0/x`]) {
      expect(codeOf(() => confinePath(root, bad)), bad).to.equal('PATH_UNSAFE');
      expect(isInside(root, bad)).to.equal(false);
    }
    await symlink(outside, join(root, 'runs', 'abcdef123456', 'read', 'up'));
    expect(isInside(root, join(root, 'runs', 'abcdef123456', 'read', 'up', 'secret.txt'))).to.equal(false);
  });

  it('stageArtifactsDir validates both ids before building the path', () => {
    expect(stageArtifactsDir(root, 'abcdef123456', 'read')).to.equal(join(root, 'runs', 'abcdef123456', 'read'));
    expect(codeOf(() => stageArtifactsDir(root, '../../x', 'read'))).to.equal('PATH_UNSAFE');
    expect(codeOf(() => stageArtifactsDir(root, 'abcdef123456', '../read'))).to.equal('PATH_UNSAFE');
  });

  it('isRunArtifactPath takes only <work dir>/runs/<this run>/<stage>/<file> shapes without links', async () => {
    expect(isRunArtifactPath(join(root, 'runs', 'abcdef123456', 'read', 'text.txt'), 'abcdef123456')).to.equal(true);
    expect(isRunArtifactPath(join(dir, 'elsewhere', 'runs', 'abcdef123456', 'read', 'chunks', 'c1.wav'), 'abcdef123456')).to.equal(true);
    expect(isRunArtifactPath(join(root, 'runs', 'abcdef123456', 'read', 'text.txt'), 'ffffff000000')).to.equal(false);
    expect(isRunArtifactPath(join(root, 'runs', 'abcdef123456', 'read'), 'abcdef123456')).to.equal(false);
    expect(isRunArtifactPath(join(outside, 'secret.txt'), 'abcdef123456')).to.equal(false);
    expect(isRunArtifactPath(`${root}/runs/abcdef123456/read/../../../../outside/secret.txt`, 'abcdef123456')).to.equal(false);
    await symlink(outside, join(root, 'runs', 'abcdef123456', 'read', 'up'));
    expect(isRunArtifactPath(join(root, 'runs', 'abcdef123456', 'read', 'up', 'secret.txt'), 'abcdef123456')).to.equal(false);
  });

  it('an artifact store writes only inside its stage directory and publishes only inside the out dir', async () => {
    const stageDir = join(root, 'runs', 'abcdef123456', 'read');
    const outDir = join(dir, 'out');
    const store = createArtifactStore(stageDir, { outDir });
    expect((await store.write('sub/text.txt', 'ok')).path).to.equal(join(stageDir, 'sub', 'text.txt'));
    expect((await store.publish(join(outDir, 'talk.srt'), 'subtitles')).path).to.equal(join(outDir, 'talk.srt'));
    for (const name of ['../escape.txt', '/etc/passwd', 'a/../../b', '']) {
      const error = await rejection(store.write(name, 'x'));
      expect(isSpxError(error) && error.code, name).to.equal('PATH_UNSAFE');
    }
    for (const destination of [join(outside, 'secret.txt'), `${outDir}/talk./../../outside/secret.txt`]) {
      const error = await rejection(store.publish(destination, 'overwritten'));
      expect(isSpxError(error) && error.code, destination).to.equal('PATH_UNSAFE');
      expect(isSpxError(error) && error.exitCode).to.equal(1);
    }
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).to.equal('not yours');
  });

  it('an artifact store verifies only its own files: a stored ref naming another file is not reused', async () => {
    const stageDir = join(root, 'runs', 'abcdef123456', 'read');
    const store = createArtifactStore(stageDir);
    const own = await store.write('chunk.wav', 'audio');
    expect(await store.verify(own)).to.equal(true);
    const secret = { kind: 'file' as const, path: join(outside, 'secret.txt'), bytes: 9, sha256: sha256('not yours') };
    expect(await store.verify(secret)).to.equal(false);
    expect(await store.verify({ ...own, path: `${stageDir}/../../../../outside/secret.txt` })).to.equal(false);
  });

  it('an artifact store refuses to write through a stage directory replaced by a link', async () => {
    const stageDir = join(root, 'runs', 'abcdef123456', 'exclaim');
    await symlink(outside, stageDir);
    const error = await rejection(createArtifactStore(stageDir).write('text.txt', 'x'));
    expect(isSpxError(error) && error.code).to.equal('PATH_UNSAFE');
    expect(await readFile(join(outside, 'secret.txt'), 'utf8')).to.equal('not yours');
  });
});
