// Two plugins providing one stage id: refused with an error naming both, never a silent winner
// decided by which module happened to load first.
import { expect } from 'chai';
import { loadPipeline } from '../../src/pipeline/load.js';
import { corePlugin } from '../../src/stages/index.js';
import { isSpxError, SpxAggregateError } from '../../src/errors/errors.js';
import { TEXT_PLUGIN, workspace, type Workspace } from '../helpers.js';

const plugin = (name: string, id: string) => `export default { name: '${name}', version: '1.0.0', apiVersion: 1, stages: { '${id}': { description: 'x', params: { type: 'object' }, outputs: {}, async run() { return { outputs: {} }; } } } };
`;

describe('pipeline/stage ids', () => {
  let ws: Workspace;
  beforeEach(async () => {
    ws = await workspace();
  });
  afterEach(() => ws.cleanup());

  const load = async (plugins: string[]) => {
    const file = await ws.write('p.yaml', `spx: 1\nname: ids\nversion: 1.0.0\nplugins: [${plugins.map((p) => JSON.stringify(p)).join(', ')}]\ninputs:\n  doc: { type: file }\nstages:\n  read:\n    uses: text/read\n    with: { input: "\${{ inputs.doc }}" }\n`);
    return loadPipeline(file, { builtins: [corePlugin] }).then(
      () => undefined,
      (error: unknown) => error,
    );
  };
  const messages = (error: unknown) => (error instanceof SpxAggregateError ? error.errors : [error]).map((e) => (isSpxError(e) ? `${e.code} ${e.loc?.line ?? ''}: ${e.message}` : String(e)));

  it('refuses a local plugin that redefines a built-in stage, naming both plugins and the line', async () => {
    await ws.write('shadow.ts', plugin('my-shadow', 'core/merge'));
    const found = messages(await load([TEXT_PLUGIN, './shadow.ts']));
    expect(found.some((m) => /^PLUGIN_INVALID 4: Stage id "core\/merge" is provided by both @spx\/core \(built in\) and my-shadow/.test(m)), found.join('\n')).to.equal(true);
  });

  it('refuses two listed plugins with one stage id, whichever loads first', async () => {
    await ws.write('a.ts', plugin('plugin-a', 'x/same'));
    await ws.write('b.ts', plugin('plugin-b', 'x/same'));
    for (let i = 0; i < 3; i++) {
      const found = messages(await load([TEXT_PLUGIN, './a.ts', './b.ts']));
      expect(found.filter((m) => m.includes('"x/same" is provided by both plugin-a and plugin-b')), found.join('\n')).to.have.length(1);
    }
  });
});
