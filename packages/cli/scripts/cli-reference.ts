// Regenerates the CLI reference sections of packages/cli/README.md and the root README.md
// from the commands' help. `--check` only reports (exit 1 when stale).
import { syncReadmes } from '../src/lib/reference.js';

const check = process.argv.includes('--check');
const results = await syncReadmes({ write: !check });
for (const r of results) process.stdout.write(`${r.ok ? 'up to date' : check ? 'STALE' : 'updated'}  ${r.file}\n`);
if (check && results.some((r) => !r.ok)) process.exit(1);
