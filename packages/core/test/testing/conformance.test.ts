// The conformance suite itself must be able to fail: a stage that ignores an aborted signal, one
// that fails with some other error, one that writes before looking, and a plugin whose stages
// the options do not list are all caught. (A sub-step never runs once aborted: ctx.step checks.)
import { expect } from 'chai';
import { Type, defineStage, definePlugin, type StageDefinition } from '../../src/index.js';
import { pluginConformanceTests, type ConformanceOptions } from '../../src/testing/index.js';

function collect(plugin: ReturnType<typeof definePlugin>, options: ConformanceOptions): Map<string, () => Promise<void> | void> {
  const tests = new Map<string, () => Promise<void> | void>();
  pluginConformanceTests((name, fn) => tests.set(name, fn), plugin, options);
  return tests;
}

const withStage = (run: StageDefinition['run']) =>
  definePlugin({
    name: 'probe',
    version: '1.0.0',
    apiVersion: 1,
    stages: { 'probe/stage': defineStage({ description: 'probe', params: Type.Object({ n: Type.Integer({ default: 1 }) }), outputs: { x: { kind: 'json', description: 'x' } }, run }) },
  });

async function abortCheck(plugin: ReturnType<typeof definePlugin>): Promise<unknown> {
  const check = [...collect(plugin, { stages: { 'probe/stage': { params: {} } } })].find(([name]) => name.startsWith('runs no work'))![1];
  return Promise.resolve(check()).then(
    () => undefined,
    (error: unknown) => error,
  );
}

describe('testing/conformance suite', () => {
  it('passes a stage that honours the signal', async () => {
    expect(await abortCheck(withStage(async (ctx) => (ctx.signal.throwIfAborted(), { outputs: { x: 1 } })))).to.equal(undefined);
  });

  it('fails a stage that ignores an aborted signal', async () => {
    expect(String(await abortCheck(withStage(async () => ({ outputs: { x: 1 } }))))).to.match(/completed despite an aborted signal/);
  });

  it('fails a stage that rejects with another error', async () => {
    expect(String(await abortCheck(withStage(async () => { throw new Error('no such file'); })))).to.match(/instead of an abort/);
  });

  it('fails a stage that writes before it checks the signal', async () => {
    const writes = withStage(async (ctx) => {
      await ctx.artifacts.write('early.txt', 'x');
      ctx.signal.throwIfAborted();
      return { outputs: { x: 1 } };
    });
    expect(String(await abortCheck(writes))).to.match(/wrote early\.txt/);
  });

  it('fails when a stage has no sample params', async () => {
    const tests = collect(withStage(async () => ({ outputs: { x: 1 } })), { stages: {} });
    const schemas = [...tests].find(([name]) => name.startsWith('has stage ids'))![1];
    expect(() => schemas()).to.throw(/no conformance params for stage probe\/stage/);
  });
});
