// Regenerates the CLI reference sections of packages/cli/README.md and the root README.md
// from the commands' help. `--check` only reports (exit 1 when stale).
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { syncReadmes } from '../src/lib/reference.js';

// oclif reads the commands' flags from the workspace manifest, which `spx` refreshes when it starts:
// start it once, so a flag changed since the last start is in the reference.
execFileSync(process.execPath, [fileURLToPath(new URL('../bin/run.js', import.meta.url)), '--version'], { stdio: 'ignore' });

const check = process.argv.includes('--check');
const results = await syncReadmes({ write: !check });
for (const r of results) process.stdout.write(`${r.ok ? 'up to date' : check ? 'STALE' : 'updated'}  ${r.file}\n`);
if (check && results.some((r) => !r.ok)) process.exit(1);
