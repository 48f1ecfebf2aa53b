// Shared helpers for engine tests: temp workspaces with a pipeline file and a real SQLite store.
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { openStore, type Store } from '../src/checkpoints/store.js';

export const TEXT_PLUGIN = fileURLToPath(new URL('./fixtures/plugins/text.ts', import.meta.url));

export interface Workspace {
  dir: string;
  store: Store;
  ledgerPath: string;
  write(name: string, content: string): Promise<string>;
  ledger(): Promise<string[]>;
  cleanup(): Promise<void>;
}

export async function workspace(): Promise<Workspace> {
  const dir = await mkdtemp(join(tmpdir(), 'spx-test-'));
  const store = await openStore({ url: `sqlite://${join(dir, '.spx', 'state.sqlite')}` });
  const ledgerPath = join(dir, 'ledger.txt');
  process.env.SPX_TEST_LEDGER = ledgerPath;
  await writeFile(ledgerPath, '');
  return {
    dir,
    store,
    ledgerPath,
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    async ledger() {
      return (await readFile(ledgerPath, 'utf8')).split('\n').filter(Boolean);
    },
    async cleanup() {
      await store.close();
      delete process.env.SPX_TEST_LEDGER;
      await rm(dir, { recursive: true, force: true });
    },
  };
}

/** A pipeline using the text test plugin: read → (upper ∥ shout) → join-ish publish. */
export function textPipeline(extra: { version?: string; suffix?: string; fail?: boolean; delayMs?: number; steps?: number } = {}): string {
  return `spx: 1
name: text
version: ${extra.version ?? '1.0.0'}
plugins: ["${TEXT_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/read
    with: { input: "\${{ inputs.doc }}", transform: upper, delayMs: ${extra.delayMs ?? 0} }
  exclaim:
    uses: text/append
    with: { from: "\${{ stages.read.outputs.text }}", suffix: "${extra.suffix ?? '!'}", fail: ${extra.fail ?? false}, delayMs: ${extra.delayMs ?? 0} }
  steps:
    uses: text/steps
    with: { from: "\${{ stages.read.outputs.text }}", count: ${extra.steps ?? 3}, delayMs: ${extra.delayMs ?? 0} }
  publish:
    uses: text/publish
    with: { from: "\${{ stages.exclaim.outputs.text }}" }
    needs: [steps]
`;
}
