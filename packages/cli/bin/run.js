#!/usr/bin/env node
// spx executable. Installed from npm, the package holds compiled JavaScript (dist/) and the oclif
// manifest built at pack time (scripts/pack.ts): plain Node, nothing to register. In the workspace
// (src/ beside this file) the TypeScript sources run through tsx, no build step; oclif imports
// every command to learn their flags unless it finds oclif.manifest.json, so we keep that manifest
// next to the sources and regenerate it whenever a command or shared flag file is newer: start-up
// only loads the command being run and the manifest can never go stale.
// Before anything can print, stdout and stderr are routed through core's redaction: no secret
// reaches the terminal, whoever writes it (spx, oclif, a plugin, a stack trace).
import { existsSync, mkdirSync, readdirSync, renameSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = dirname(dirname(fileURLToPath(import.meta.url)));
const fromSources = existsSync(join(root, 'src'));
if (fromSources) (await import('tsx/esm/api')).register();
const { redact, redactWrites } = await import('@spx/core/redact');
redactWrites(process.stdout);
redactWrites(process.stderr);
// Node prints an uncaught error itself, past process.stderr: print it redacted instead — unless a
// run's fault guard is listening too, which turns it into a failed stage and a saved state.
const exit = process.exit.bind(process);
process.on('uncaughtException', (error) => {
  if (process.listenerCount('uncaughtException') > 1) return;
  process.stderr.write(`${redact(error instanceof Error ? (error.stack ?? error.message) : String(error))}\n`);
  exit(1);
});
const { execute, Plugin } = await import('@oclif/core');
if (fromSources) await ensureManifest(root);
await execute({ dir: import.meta.url });

function newestMtime(dir) {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

async function ensureManifest(root) {
  const file = join(root, 'oclif.manifest.json');
  try {
    const sources = Math.max(newestMtime(join(root, 'src')), statSync(join(root, 'package.json')).mtimeMs);
    if (statSync(file).mtimeMs >= sources) return;
  } catch {
    // no manifest yet
  }
  try {
    const plugin = new Plugin({ root, type: 'core', ignoreManifest: true, errorOnManifestCreate: true });
    await plugin.load();
    mkdirSync(root, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    writeFileSync(tmp, JSON.stringify(plugin.manifest));
    renameSync(tmp, file);
  } catch {
    // A read-only install or a command that fails to load: oclif falls back to loading commands.
  }
}
