// Packs every workspace package as it is published: TypeScript compiled to JavaScript + .d.ts.
// In the workspace each package points at its sources (exports → ./src/*.ts, run through tsx, no
// build step); a published package must run on plain Node. So this compiles all src/ trees in one
// TypeScript program (tsconfig.pack.json), stages each package with dist/ in place of src/, and
// rewrites its package.json generically — any ./src/X.ts becomes ./dist/X.js (./dist/X.d.ts under
// "types"), `workspace:` ranges become the real versions, dev-only fields go — then `npm pack`s the
// staged copies. A new package under packages/* needs no edit here.
//   node --import tsx scripts/pack.ts [--out DIR]     # prints the tarball paths, one per line
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
/** Never staged: the sources are replaced by dist/, the rest is workspace-only. */
const SKIP = new Set(['node_modules', 'src', 'dist', 'test', 'oclif.manifest.json', '.spx']);

type Json = Record<string, unknown>;
/** The part of @oclif/core used here (it is the CLI package's dependency, not the workspace root's). */
interface OclifModule {
  Plugin: new (options: { root: string; type: string; ignoreManifest: boolean; errorOnManifestCreate: boolean }) => { load(): Promise<void>; manifest: unknown };
}

export interface WorkspacePackage {
  dir: string;
  name: string;
  version: string;
  json: Json;
}

/** The workspace's packages, from the globs in pnpm-workspace.yaml (`dir/*` or a plain `dir`). */
export function workspacePackages(root = ROOT): WorkspacePackage[] {
  const globs = [...readFileSync(join(root, 'pnpm-workspace.yaml'), 'utf8').matchAll(/^\s+-\s+['"]?([^'"\s#]+)/gm)].map((m) => m[1]!);
  const dirs = globs.flatMap((glob) => (glob.endsWith('/*') ? readdirSync(join(root, glob.slice(0, -2))).map((d) => join(root, glob.slice(0, -2), d)) : [join(root, glob)]));
  return dirs
    .filter((dir) => existsSync(join(dir, 'package.json')))
    .map((dir) => {
      const json = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as Json;
      return { dir, name: String(json.name), version: String(json.version), json };
    })
    .filter((p) => p.json.private !== true);
}

/** ./src/a/b.ts → ./dist/a/b.js (or .d.ts for a "types" entry); anything else unchanged. */
function toDist(value: string, types: boolean): string {
  const match = /^\.\/src\/(.*)\.([mc]?)tsx?$/.exec(value);
  if (match) return `./dist/${match[1]}${types ? `.d.${match[2]}ts` : `.${match[2]}js`}`;
  return value.replace(/^(\.\/)?src(\/|$)/, '$1dist$2');
}

function mapPaths(value: unknown, key = ''): unknown {
  if (typeof value === 'string') return toDist(value, key === 'types');
  if (Array.isArray(value)) return value.map((v) => mapPaths(v, key));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, mapPaths(v, k)]));
  return value;
}

function resolveWorkspaceRanges(deps: unknown, versions: Map<string, string>): unknown {
  if (!deps || typeof deps !== 'object') return deps;
  return Object.fromEntries(
    Object.entries(deps as Record<string, string>).map(([name, range]) => {
      if (!range.startsWith('workspace:')) return [name, range];
      const version = versions.get(name);
      if (!version) throw new Error(`${name} is a workspace: dependency but no workspace package has that name`);
      const spec = range.slice('workspace:'.length);
      return [name, spec === '*' ? version : spec === '^' || spec === '~' ? `${spec}${version}` : spec];
    }),
  );
}

/** The package.json a package is published with. */
export function publishedManifest(json: Json, versions: Map<string, string>): Json {
  const { devDependencies: _dev, scripts: _scripts, ...rest } = json;
  const out: Json = { ...rest };
  for (const key of ['main', 'types', 'typings', 'module', 'bin', 'exports', 'files']) if (key in out) out[key] = mapPaths(out[key], key);
  const oclif = out.oclif as Json | undefined;
  if (oclif?.commands) out.oclif = { ...oclif, commands: mapPaths(oclif.commands) };
  for (const key of ['dependencies', 'peerDependencies', 'optionalDependencies']) if (key in out) out[key] = resolveWorkspaceRanges(out[key], versions);
  return out;
}

/**
 * oclif's command manifest (so start-up loads only the command run), built from the sources and
 * pointed at the compiled commands: relativePath src/…/x.ts → dist/…/x.js.
 */
async function oclifManifest(dir: string): Promise<string> {
  const oclif = (await import(pathToFileURL(createRequire(join(dir, 'package.json')).resolve('@oclif/core')).href)) as OclifModule;
  const plugin = new oclif.Plugin({ root: dir, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
  await plugin.load();
  const manifest = plugin.manifest as { commands: Record<string, { relativePath?: string[] }> };
  for (const command of Object.values(manifest.commands)) {
    if (!command.relativePath) continue;
    const path = toDist(`./${command.relativePath.join('/')}`, false).slice(2);
    command.relativePath = path.split('/');
  }
  return JSON.stringify(manifest);
}

/** Compiles, stages and packs every package into `outDir`; returns the tarball paths. */
export async function packWorkspace(outDir: string, root = ROOT): Promise<string[]> {
  const work = mkdtempSync(join(tmpdir(), 'spx-pack-'));
  try {
    const build = join(work, 'build');
    // --noCheck: emit only; type errors are the typecheck's to find (pnpm typecheck, in pnpm test).
    execFileSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', join(root, 'tsconfig.pack.json'), '--outDir', build, '--noCheck'], { cwd: root, stdio: 'inherit' });
    const packages = workspacePackages(root);
    const versions = new Map(packages.map((p) => [p.name, p.version]));
    const staged: string[] = [];
    for (const pkg of packages) {
      const stage = join(work, 'stage', basename(pkg.dir));
      mkdirSync(stage, { recursive: true });
      for (const entry of readdirSync(pkg.dir)) if (!SKIP.has(entry)) cpSync(join(pkg.dir, entry), join(stage, entry), { recursive: true });
      const compiled = join(build, basename(pkg.dir), 'src');
      if (existsSync(compiled)) cpSync(compiled, join(stage, 'dist'), { recursive: true });
      const published = publishedManifest(pkg.json, versions);
      if (pkg.json.oclif) {
        writeFileSync(join(stage, 'oclif.manifest.json'), await oclifManifest(pkg.dir));
        if (Array.isArray(published.files)) published.files = [...published.files, 'oclif.manifest.json'];
      }
      writeFileSync(join(stage, 'package.json'), `${JSON.stringify(published, null, 2)}\n`);
      staged.push(stage);
    }
    mkdirSync(outDir, { recursive: true });
    const packed = JSON.parse(execFileSync('npm', ['pack', '--json', '--pack-destination', outDir, ...staged], { cwd: work, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] })) as Array<{ filename: string }>;
    return packed.map((p) => join(outDir, p.filename));
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const outArg = process.argv.indexOf('--out');
  const outDir = resolve(outArg > 0 ? process.argv[outArg + 1]! : join(ROOT, 'dist-packages'));
  for (const file of await packWorkspace(outDir)) process.stdout.write(`${file}\n`);
}
