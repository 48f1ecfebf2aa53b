import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'chai';
import { parseYaml } from '@spx/core/engine';
import { json, REPO, spx, tempDir, textPipeline, TEXT_PLUGIN, type TempDir } from '../helpers.js';

// Three problems the loader reports together, each at its own line.
const BAD = `spx: 1
name: bad
version: 1.0.0
plugins: ["${TEXT_PLUGIN}"]
inputs:
  doc: { type: file }
stages:
  read:
    uses: text/reed
    with: { input: "\${{ inputs.doc }}" }
  exclaim:
    uses: text/append
    with: { from: "\${{ stages.missing.outputs.text }}" }
  steps:
    uses: text/steps
    with: { from: "\${{ inputs.doc }}", count: 0 }
`;

interface Graph {
  nodes: Array<{ id: string; kind: string; name: string; detail: string; level: number }>;
  edges: Array<{ from: string; to: string; kind: string; outputs: string[] }>;
  rendered: string;
}

describe('spx pipelines', function () {
  this.timeout(90_000);
  let t: TempDir;
  const run = (args: string[]) => spx(args, t.dir);

  before(async () => {
    t = await tempDir();
    await t.write('pipeline.yaml', textPipeline());
    await t.write('bad.yaml', BAD);
  });

  after(async () => {
    await t.remove();
  });

  it('validate reports every problem of every file with file:line:column and exits 2', async () => {
    const [mixed, good, badJson] = await Promise.all([
      run(['pipelines', 'validate', 'pipeline.yaml', 'bad.yaml', 'missing.yaml']),
      run(['pipelines', 'validate', 'pipeline.yaml', '--json']),
      run(['pipelines', 'validate', 'bad.yaml', '--json']),
    ]);
    expect(mixed.code).to.equal(2);
    expect(mixed.stdout).to.match(/✔ pipeline\.yaml\s+text@1\.2\.0: 4 stages \(read → exclaim → steps → publish\)/);
    const bad = join(t.dir, 'bad.yaml');
    expect(mixed.stderr).to.include(`${bad}:9:11 error STAGE_NOT_FOUND: Stage "read" uses unknown stage "text/reed"`);
    expect(mixed.stderr).to.include('hint: Did you mean "text/read"?');
    expect(mixed.stderr).to.match(new RegExp(`${bad}:13:\\d+ error PIPELINE_REFERENCE: Stage "exclaim" references unknown stage "missing"`));
    expect(mixed.stderr).to.match(new RegExp(`${bad}:16:\\d+ error PARAMS_INVALID: .*"count"`));
    expect(mixed.stderr).to.include('✖ bad.yaml: 3 problems');
    expect(mixed.stderr).to.match(/error PIPELINE_NOT_FOUND: Pipeline file ".*missing\.yaml" does not exist/);
    expect(mixed.stderr).to.include('2 of 3 pipelines invalid.');
    expect(mixed.stderr).not.to.match(/^\s+at .+:\d+:\d+\)?$/m);

    expect(good.code).to.equal(0);
    const ok = json<{ ok: boolean; files: Array<{ name: string; version: string; stages: string[]; plugins: Array<{ name: string }> }> }>(good);
    expect(ok.ok).to.equal(true);
    expect(ok.files[0]).to.deep.include({ name: 'text', version: '1.2.0', stages: ['read', 'exclaim', 'steps', 'publish'] });
    expect(ok.files[0]!.plugins.map((p) => p.name)).to.include('spx-plugin-text');

    expect(badJson.code).to.equal(2);
    const report = json<{ ok: boolean; files: Array<{ ok: boolean; errors: Array<{ code: string; loc: { line: number } }> }> }>(badJson);
    expect(report.ok).to.equal(false);
    expect(report.files[0]!.errors.map((e) => [e.code, e.loc.line])).to.deep.equal([
      ['STAGE_NOT_FOUND', 9],
      ['PIPELINE_REFERENCE', 13],
      ['PARAMS_INVALID', 16],
    ]);
  });

  it('graph prints the DAG as Mermaid, DOT or text, and --json gives nodes and edges', async () => {
    const [mermaid, dot, text, badFormat] = await Promise.all([
      run(['pipelines', 'graph', 'pipeline.yaml', '--json']),
      run(['pipelines', 'graph', 'pipeline.yaml', '--format', 'dot']),
      run(['pipelines', 'graph', 'pipeline.yaml', '-f', 'text']),
      run(['pipelines', 'graph', 'pipeline.yaml', '--format', 'png']),
    ]);
    expect(mermaid.code, mermaid.stderr).to.equal(0);
    const graph = json<Graph>(mermaid);
    expect(graph.nodes.map((n) => `${n.id}:${n.level}`)).to.deep.equal(['input:doc:0', 'read:0', 'exclaim:1', 'steps:1', 'publish:2']);
    expect(graph.edges).to.deep.equal([
      { from: 'input:doc', to: 'read', kind: 'input', outputs: [] },
      { from: 'read', to: 'exclaim', kind: 'data', outputs: ['text'] },
      { from: 'read', to: 'steps', kind: 'data', outputs: ['text'] },
      { from: 'exclaim', to: 'publish', kind: 'data', outputs: ['text'] },
      { from: 'steps', to: 'publish', kind: 'needs', outputs: [] },
    ]);
    expect(graph.rendered.split('\n')).to.include.members(['flowchart TD', '  n0(["doc (file)"])', '  n1["read<br/><small>text/read</small>"]', '  n1 -->|text| n2', '  n3 -.->|needs| n4']);

    expect(dot.code).to.equal(0);
    expect(dot.stdout).to.match(/^digraph "text@1\.2\.0" \{/);
    expect(dot.stdout).to.include('"read" [label="read\\ntext/read"];');
    expect(dot.stdout).to.include('"steps" -> "publish" [style=dashed, label="needs"];');
    expect(dot.stdout.trimEnd().endsWith('}')).to.equal(true);

    expect(text.code).to.equal(0);
    expect(text.stdout).to.include('text@1.2.0: 4 stages in 3 levels');
    expect(text.stdout).to.match(/\n\s+2\s+publish\s+text\/publish\s+exclaim\.text; needs steps\n/);

    expect(badFormat.code).to.equal(2);
    expect(badFormat.stderr).to.include('error USAGE: Expected --format=png to be one of: mermaid, dot, text');
  });

  it('show prints a shipped pipeline; init writes an editable copy pointing at the installed schema and ignores .spx/', async () => {
    const project = await tempDir();
    try {
      await project.write('.gitignore', 'node_modules/');
      const [shown, unknown] = await Promise.all([run(['pipelines', 'show', 'local']), run(['pipelines', 'show', '../pipelines/local'])]);
      expect(shown.code, shown.stderr).to.equal(0);
      expect(shown.stdout).to.equal(readFileSync(join(REPO, 'pipelines', 'local.yaml'), 'utf8'));
      expect(unknown.code).to.equal(2);
      expect(unknown.stderr).to.match(/^error PIPELINE_NOT_FOUND: No shipped pipeline is named "\.\.\/pipelines\/local"\.\n\s+hint: Shipped pipelines: .*\blocal\b/);

      const init = await spx(['init'], project.dir);
      expect(init.code, init.stderr).to.equal(0);
      const copy = readFileSync(join(project.dir, 'local.yaml'), 'utf8');
      const schema = /^# yaml-language-server: \$schema=(.+)$/m.exec(copy)?.[1];
      expect(schema).to.equal(join(REPO, 'packages/core/schema/pipeline.schema.json'));
      expect(readFileSync(join(project.dir, '.gitignore'), 'utf8')).to.equal('node_modules/\n.spx/\n');
      const validated = await spx(['pipelines', 'validate', 'local.yaml'], project.dir);
      expect(validated.code, validated.stderr).to.equal(0);

      const again = await spx(['init'], project.dir);
      expect(again.code).to.equal(2);
      expect(again.stderr).to.match(/^error OUTPUT_COLLISION: local\.yaml already exists\./);
      const other = await spx(['init', 'standard', '--file', 'meetings.yaml'], project.dir);
      expect(other.code, other.stderr).to.equal(0);
      expect(readFileSync(join(project.dir, 'meetings.yaml'), 'utf8')).to.match(/^name: standard$/m);
      expect(readFileSync(join(project.dir, '.gitignore'), 'utf8')).to.equal('node_modules/\n.spx/\n');
    } finally {
      await project.remove();
    }
  });

  it('list shows every shipped pipeline with name, version and description', async () => {
    const [listed, plain] = await Promise.all([run(['pipelines', 'list', '--json']), run(['pipelines', 'list'])]);
    expect(listed.code, listed.stderr).to.equal(0);
    const { pipelines } = json<{ pipelines: Array<{ id: string; name: string; version: string; description: string; stages: number; needs: string[] }> }>(listed);
    const files = readdirSync(join(REPO, 'pipelines')).filter((f) => f.endsWith('.yaml')).sort();
    expect(files.length).to.be.greaterThan(0);
    expect(pipelines.map((p) => `${p.id}.yaml`)).to.deep.equal(files);
    for (const p of pipelines) {
      const file = join(REPO, 'pipelines', `${p.id}.yaml`);
      const doc = parseYaml(file, readFileSync(file, 'utf8')).value as { name: string; version: string; description: string; stages: object };
      expect(p).to.deep.include({ name: doc.name, version: doc.version, description: doc.description, stages: Object.keys(doc.stages).length });
    }
    expect(plain.code).to.equal(0);
    expect(plain.stdout).to.match(/^NAME\s+VERSION\s+STAGES\s+NEEDS\s+DESCRIPTION/);
    const needs = Object.fromEntries(pipelines.map((p) => [p.id, p.needs]));
    expect(needs.local).to.deep.equal(['ffmpeg', 'ffprobe', 'pocketsphinx_continuous', 'pocketsphinx_batch']);
    expect(needs.standard).to.include.members(['ffmpeg', 'PYANNOTEAI_API_KEY', 'OPENAI_API_KEY']);
    for (const p of pipelines) expect(plain.stdout).to.match(new RegExp(`\\n${p.id}\\b.*\\s${p.version.replace(/\./g, '\\.')}\\s`));

    // standard's whisper-1 is retired on 2027-02-26: the list marks it and prints the whole note.
    const standard = pipelines.find((p) => p.id === 'standard') as { deprecated?: string } | undefined;
    expect(standard?.deprecated).to.contain('2027-02-26').and.contain('pyannote-stt');
    expect(plain.stdout).to.match(/\nstandard\s.*DEPRECATED/);
    expect(plain.stdout).to.contain(`standard is deprecated: ${standard!.deprecated}`);
    expect(pipelines.filter((p) => (p as { deprecated?: string }).deprecated).map((p) => p.id)).to.deep.equal(['standard']);
  });
});
