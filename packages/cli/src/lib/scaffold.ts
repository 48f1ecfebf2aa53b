// `spx plugins new`: the files of a new plugin package with one working stage, its parameter
// schema, a README and a mocha test that passes as generated (it uses @spx/core/testing).
import { existsSync, readdirSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { SPX_VERSION, SpxError } from '@spx/core';
import { writeFileAtomic } from '@spx/core/engine';

export interface PluginNames {
  /** npm package name, e.g. "spx-plugin-wordstats" or "@acme/spx-plugin-wordstats". */
  packageName: string;
  /** Stage namespace used in `uses:`, e.g. "wordstats". */
  namespace: string;
  /** Directory name of the package (the package name without its scope). */
  dirName: string;
}

const NAMESPACE = /^[a-z][a-z0-9-]{0,38}[a-z0-9]$|^[a-z]$/;

/** Derives package name, namespace and directory from what the user typed. */
export function pluginNames(input: string): PluginNames {
  const raw = input.trim();
  const scoped = /^(@[a-z0-9][a-z0-9._-]*)\/(.+)$/.exec(raw);
  const scope = scoped?.[1];
  const bare = scoped ? scoped[2]! : raw;
  const namespace = bare.replace(/^spx-plugin-/, '').replace(/^plugin-/, '');
  if (!NAMESPACE.test(namespace) || !/^[a-z0-9][a-z0-9._-]*$/.test(bare)) {
    throw new SpxError('USAGE', `"${input}" is not a usable plugin name.`, {
      hint: 'Use lowercase letters, digits and dashes, e.g. `spx plugins new wordstats` or `spx plugins new @acme/spx-plugin-wordstats`.',
    });
  }
  const base = bare.startsWith('spx-plugin-') || bare.startsWith('plugin-') ? bare : `spx-plugin-${namespace}`;
  return { packageName: scope ? `${scope}/${base}` : base, namespace, dirName: base };
}

export interface ScaffoldResult extends PluginNames {
  dir: string;
  stage: string;
  files: string[];
}

/** Writes the package into `<parent>/<dirName>`; refuses a non-empty target unless `force`. */
export async function scaffoldPlugin(input: string, parent: string, options: { force?: boolean } = {}): Promise<ScaffoldResult> {
  const names = pluginNames(input);
  const dir = resolve(parent, names.dirName);
  if (existsSync(dir) && readdirSync(dir).length > 0 && !options.force) {
    throw new SpxError('USAGE', `Directory ${dir} already exists and is not empty.`, { hint: 'Pick another name or --dir, or pass --force to overwrite the generated files.' });
  }
  const files = pluginFiles(names);
  await mkdir(dir, { recursive: true });
  for (const [path, content] of Object.entries(files)) {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFileAtomic(join(dir, path), content);
  }
  return { ...names, dir, stage: `${names.namespace}/word-count`, files: Object.keys(files) };
}

export function pluginFiles(names: PluginNames): Record<string, string> {
  const { packageName, namespace } = names;
  const stageId = `${namespace}/word-count`;
  const coreRange = `^${SPX_VERSION}`;
  return {
    'package.json': `${JSON.stringify(
      {
        name: packageName,
        version: '0.1.0',
        description: `spx plugin: ${stageId} counts words in a text file or transcript.`,
        type: 'module',
        license: 'MIT',
        keywords: ['spx', 'spx-plugin'],
        exports: { '.': { types: './src/index.ts', default: './src/index.ts' }, './package.json': './package.json' },
        files: ['src', 'README.md'],
        scripts: { test: 'mocha', typecheck: 'tsc --noEmit' },
        peerDependencies: { '@spx/core': coreRange },
        devDependencies: { '@spx/core': coreRange, '@types/chai': '^5.2.2', '@types/mocha': '^10.0.10', '@types/node': '^20.19.0', chai: '^6.3.0', mocha: '^12.0.3', tsx: '^4.23.0', typescript: '~5.9.3' },
      },
      null,
      2,
    )}\n`,
    '.mocharc.json': `${JSON.stringify({ spec: ['test/**/*.test.ts'], 'node-option': ['import=tsx'], 'forbid-only': true, timeout: 20000 }, null, 2)}\n`,
    'tsconfig.json': `${JSON.stringify(
      {
        compilerOptions: { target: 'ES2022', module: 'NodeNext', moduleResolution: 'NodeNext', strict: true, noUncheckedIndexedAccess: true, skipLibCheck: true, noEmit: true, allowImportingTsExtensions: true, types: ['node', 'mocha'] },
        include: ['src/**/*.ts', 'test/**/*.ts'],
      },
      null,
      2,
    )}\n`,
    '.gitignore': 'node_modules/\n.spx/\n',
    'src/index.ts': `// ${packageName}: an spx plugin. The default export is what pipelines load (plugins: ["${packageName}"]).
import { createRequire } from 'node:module';
import { definePlugin } from '@spx/core';
import { wordCount } from './stages/word-count.js';

const { version } = createRequire(import.meta.url)('../package.json') as { version: string };

export default definePlugin({
  name: '${packageName}',
  version,
  apiVersion: 1,
  stages: {
    '${stageId}': wordCount,
  },
});

export { countWords, type WordCountReport } from './stages/word-count.js';
export type { WordCountParams } from './stages/word-count.schema.js';
`,
    'src/stages/word-count.schema.ts': `// Parameters of ${stageId} (the stage's \`with:\` in a pipeline). spx validates them against this
// JSON Schema before anything runs, fills in defaults, and reports mistakes with file:line:column.
import type { JSONSchema } from '@spx/core';

export interface WordCountParams {
  /** Text file, or a canonical transcript JSON (format: spx-transcript). */
  input: string;
  /** How many of the most frequent words to list. */
  top: number;
  /** Count "The" and "the" as one word. */
  lowercase: boolean;
}

export const wordCountParams: JSONSchema = {
  type: 'object',
  required: ['input'],
  additionalProperties: false,
  properties: {
    input: { type: 'string', minLength: 1, description: 'Text file, or a canonical transcript JSON (spx-transcript).' },
    top: { type: 'integer', minimum: 1, maximum: 1000, default: 10, description: 'How many of the most frequent words to list.' },
    lowercase: { type: 'boolean', default: true, description: 'Count words case-insensitively.' },
  },
};
`,
    'src/stages/word-count.ts': `// ${stageId}: counts words in a text file or a transcript (per speaker when the transcript has
// speakers) and writes a JSON report. Shows the parts of a stage: params schema, a checkpointed
// sub-step (ctx.step), an atomic artifact (ctx.artifacts.write), progress and errors (ctx.fail).
import { readFile } from 'node:fs/promises';
import { defineStage, type FileRef, type Transcript } from '@spx/core';
import { wordCountParams, type WordCountParams } from './word-count.schema.js';

export type WordCountReport = {
  words: number;
  bySpeaker: Record<string, number>;
  top: Array<{ word: string; count: number }>;
};

/** Counts words in plain text or in a canonical transcript's segments. A plain function: easy to test. */
export function countWords(content: string, options: { top: number; lowercase: boolean }): WordCountReport {
  const pieces: Array<{ speaker: string; text: string }> = [];
  const transcript = parseTranscript(content);
  if (transcript) for (const segment of transcript.segments) pieces.push({ speaker: segment.speaker ?? 'unknown', text: segment.text });
  else pieces.push({ speaker: 'unknown', text: content });
  const counts = new Map<string, number>();
  const bySpeaker: Record<string, number> = {};
  let words = 0;
  for (const { speaker, text } of pieces) {
    for (const match of text.matchAll(/[\\p{L}\\p{N}']+/gu)) {
      const word = options.lowercase ? match[0].toLowerCase() : match[0];
      counts.set(word, (counts.get(word) ?? 0) + 1);
      bySpeaker[speaker] = (bySpeaker[speaker] ?? 0) + 1;
      words++;
    }
  }
  const top = [...counts]
    .sort((a, b) => b[1] - a[1] || a[0].localeCompare(b[0]))
    .slice(0, options.top)
    .map(([word, count]) => ({ word, count }));
  return { words, bySpeaker, top };
}

function parseTranscript(content: string): Transcript | undefined {
  if (!content.trimStart().startsWith('{')) return undefined;
  try {
    const value = JSON.parse(content) as Partial<Transcript>;
    return value.format === 'spx-transcript' && Array.isArray(value.segments) ? (value as Transcript) : undefined;
  } catch {
    return undefined;
  }
}

export const wordCount = defineStage<WordCountParams, { report: FileRef; words: number }>({
  description: 'Counts words (per speaker for transcripts) and lists the most frequent ones.',
  params: wordCountParams,
  outputs: {
    report: { kind: 'file', description: 'JSON report: total words, words per speaker, most frequent words' },
    words: { kind: 'json', description: 'Total number of words' },
  },
  async run(ctx) {
    ctx.signal.throwIfAborted();
    let content: string;
    try {
      content = await readFile(ctx.params.input, 'utf8');
    } catch {
      return ctx.fail('INPUT_MISSING', \`Cannot read input "\${ctx.params.input}".\`, { hint: 'Check the path given as input.' });
    }
    // A memoized sub-step: its JSON result is stored as soon as it finishes and reused when the run
    // resumes after a crash or Ctrl-C. Wrap each paid API call like this, with { paid: true }.
    const report = await ctx.step('count', async () => countWords(content, ctx.params));
    ctx.progress({ done: 1, total: 1, message: \`\${report.words} words\` });
    const file = await ctx.artifacts.write('report.json', \`\${JSON.stringify(report, null, 2)}\\n\`, 'application/json');
    return { outputs: { report: file, words: report.words }, metadata: { words: report.words } };
  },
});
`,
    'test/word-count.test.ts': `import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { expect } from 'chai';
import { isSpxError } from '@spx/core';
import { openStore } from '@spx/core/engine';
import { pluginConformanceTests, runStageForTest } from '@spx/core/testing';
import plugin, { countWords } from '../src/index.js';

const stage = plugin.stages['${stageId}']!;

describe('${packageName}', () => {
  describe('conformance', () => {
    // The suite runs every stage for real: give it sample params with a real input file.
    const sample = { params: { input: '' } };
    before(async () => {
      sample.params.input = join(await mkdtemp(join(tmpdir(), 'word-count-conformance-')), 'input.txt');
      await writeFile(sample.params.input, 'one two two');
    });
    pluginConformanceTests(it, plugin, { stages: { '${stageId}': sample } });
  });

  describe('countWords', () => {
    it('counts words case-insensitively and ranks the most frequent', () => {
      const report = countWords('The cat saw the other cat. The end', { top: 2, lowercase: true });
      expect(report.words).to.equal(8);
      expect(report.top).to.deep.equal([
        { word: 'the', count: 3 },
        { word: 'cat', count: 2 },
      ]);
    });

    it('counts per speaker in a canonical transcript', () => {
      const transcript = {
        format: 'spx-transcript',
        version: 1,
        engine: 'test',
        timestamps: 'segment',
        segments: [
          { start: 0, end: 1, text: 'Hello there', speaker: 'A' },
          { start: 1, end: 2, text: 'Hi', speaker: 'B' },
        ],
      };
      expect(countWords(JSON.stringify(transcript), { top: 5, lowercase: true }).bySpeaker).to.deep.equal({ A: 2, B: 1 });
    });
  });

  describe('${stageId}', () => {
    let dir: string;
    let input: string;

    beforeEach(async () => {
      dir = await mkdtemp(join(tmpdir(), 'word-count-'));
      input = join(dir, 'input.txt');
      await writeFile(input, 'one two two three three three');
    });

    afterEach(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    it('writes a JSON report and returns the total', async () => {
      const { result } = await runStageForTest(stage, { params: { input }, dir: join(dir, 'run') });
      expect(result.outputs.words).to.equal(6);
      const report = JSON.parse(await readFile(result.outputs.report.path, 'utf8'));
      expect(report.top[0]).to.deep.equal({ word: 'three', count: 3 });
    });

    it('reuses its checkpointed sub-step when run again with the same store', async () => {
      const store = await openStore({ url: 'memory://' });
      await runStageForTest(stage, { params: { input }, store, dir: join(dir, 'a') });
      const second = await runStageForTest(stage, { params: { input }, store, dir: join(dir, 'b') });
      expect(second.events.some((e) => e.type === 'step-reused')).to.equal(true);
      await store.close();
    });

    it('rejects params that do not match its schema', async () => {
      const error = await runStageForTest(stage, { params: { input, top: 0 }, dir: join(dir, 'run') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSpxError(error) && error.code).to.equal('PARAMS_INVALID');
    });

    it('fails with INPUT_MISSING for a missing file', async () => {
      const error = await runStageForTest(stage, { params: { input: join(dir, 'nope.txt') }, dir: join(dir, 'run') }).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(isSpxError(error) && error.code).to.equal('INPUT_MISSING');
    });
  });
});
`,
    'README.md': `# ${packageName}

An spx plugin: \`${stageId}\` counts the words of a text file or a transcript.

## Install

\`\`\`sh
npm install ${packageName}        # in the project whose pipelines use it
npm install -g ${packageName}     # or beside a global spx (npm install -g @spx/cli)
\`\`\`

While developing, a pipeline can load it by path instead: \`plugins: ["./${names.dirName}/src/index.ts"]\`
(resolved from the pipeline file's directory).

## Quick start

\`\`\`yaml
spx: 1
name: word-stats
version: 1.0.0
plugins: ["${packageName}"]
inputs:
  doc: { type: file, description: Text file or spx transcript JSON }
stages:
  count:
    uses: ${stageId}
    with: { input: "\${{ inputs.doc }}", top: 5 }
\`\`\`

\`\`\`sh
spx run word-stats.yaml notes.txt
spx checkpoints show <run-id>       # the stage, its artifact and its sub-step
\`\`\`

After \`core/merge\`, pass \`"\${{ stages.merge.outputs.transcript }}"\` as \`input\` to count words per speaker.

## Stages

| id | params | outputs |
| --- | --- | --- |
| \`${stageId}\` | \`input\` (required): text file or transcript JSON; \`top\` = 10: most frequent words to list; \`lowercase\` = true | \`report\` (file): JSON with \`words\`, \`bySpeaker\`, \`top\`; \`words\` (json): total |

## Errors

| code | meaning | hint |
| --- | --- | --- |
| \`PARAMS_INVALID\` | \`with:\` does not match the schema in src/stages/word-count.schema.ts | Fix the parameter named in the message |
| \`INPUT_MISSING\` | the input file cannot be read | Check the path given as input |

## Environment variables

None.

## Development

\`\`\`sh
npm install      # @spx/core comes in as the peer dependency it is
npm test         # mocha + tsx: conformance suite from @spx/core/testing and the stage's own tests
npm run typecheck
\`\`\`

Bump \`version\` in package.json (or the stage's \`version\`) when the stage's output changes:
it is part of every checkpoint fingerprint, so existing runs recompute this stage.
`,
  };
}
