// Runs the spx CLI as a user would (a subprocess in a temp directory) and builds small pipelines
// on the core test plugin (text transforms, a stage with paid sub-steps, a publishing stage).
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../../', import.meta.url));
export const SPX_BIN = fileURLToPath(new URL('../bin/run.js', import.meta.url));
export const TEXT_PLUGIN = fileURLToPath(new URL('../../core/test/fixtures/plugins/text.ts', import.meta.url));

export interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** `spx <args>` in `cwd`; never rejects (the exit code is part of the result). */
export function spx(args: string[], cwd: string, env: NodeJS.ProcessEnv = {}): Promise<CliResult> {
  // The caller's environment, without the settings this process may have; then what the test gives.
  const childEnv: NodeJS.ProcessEnv = { ...process.env };
  for (const name of ['OCLIF_COLUMNS', 'SPX_STORE', 'SPX_WORK_DIR', 'SPX_OUT_DIR', 'SPX_CONCURRENCY', 'DEBUG']) delete childEnv[name];
  Object.assign(childEnv, env);
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [SPX_BIN, ...args], { cwd, env: childEnv, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Parses the JSON document a `--json` command printed, with the output in the message when it is not JSON. */
export function json<T = Record<string, unknown>>(result: CliResult): T {
  try {
    return JSON.parse(result.stdout) as T;
  } catch {
    throw new Error(`stdout is not one JSON document (exit ${result.code}):\n${result.stdout}\nstderr:\n${result.stderr}`);
  }
}

/** A pipeline on the text test plugin: read → (exclaim ∥ steps) → publish. */
export function textPipeline(options: { name?: string; suffix?: string; fail?: boolean } = {}): string {
  return `spx: 1
name: ${options.name ?? 'text'}
version: 1.2.0
description: Test pipeline.
plugins: ["${TEXT_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/read
    with: { input: "\${{ inputs.doc }}", transform: upper }
  exclaim:
    uses: text/append
    with: { from: "\${{ stages.read.outputs.text }}", suffix: "${options.suffix ?? '!'}", fail: ${options.fail ?? false} }
  steps:
    uses: text/steps
    with: { from: "\${{ stages.read.outputs.text }}", count: 3 }
  publish:
    uses: text/publish
    with: { from: "\${{ stages.exclaim.outputs.text }}" }
    needs: [steps]
`;
}

export interface TempDir {
  dir: string;
  write(name: string, content: string): Promise<string>;
  remove(): Promise<void>;
}

export async function tempDir(parent = tmpdir()): Promise<TempDir> {
  const dir = await mkdtemp(join(parent, 'spx-cli-'));
  return {
    dir,
    async write(name, content) {
      const path = join(dir, name);
      await writeFile(path, content);
      return path;
    },
    remove: () => rm(dir, { recursive: true, force: true }),
  };
}
