// The stage contract's types: ctx.step takes any JSON-serialisable value — interface types
// included — without casts, and refuses functions and dates at compile time (the @ts-expect-error
// lines are checked by the typecheck test); a TypeBox params schema types ctx.params.
import { expect } from 'chai';
import { Type, defineStage, type StageContext } from '../../src/index.js';
import { runStageForTest } from '../../src/testing/index.js';

interface Plan {
  chunks: Array<{ start: number; end: number; path?: string }>;
  total: number;
  note: string | null;
}

const stage = defineStage({
  description: 'Plans chunks once.',
  params: Type.Object({ count: Type.Integer({ minimum: 1, default: 3 }), label: Type.Optional(Type.String()) }, { additionalProperties: false }),
  outputs: { plan: { kind: 'json', description: 'The plan' } },
  async run(ctx) {
    const count: number = ctx.params.count;
    const label: string | undefined = ctx.params.label;
    // @ts-expect-error params of a TypeBox stage are typed: count is a number
    const asText: string = ctx.params.count;
    void asText;
    const plan = await ctx.step('plan', async (): Promise<Plan> => ({ chunks: Array.from({ length: count }, (_, i) => ({ start: i, end: i + 1 })), total: count, note: label ?? null }));
    const again = await ctx.step('plan', async (): Promise<Plan> => ({ chunks: [], total: 0, note: 'never' }));
    return { outputs: { plan: { chunks: plan.chunks.length, total: again.total } } };
  },
});

async function compileTimeChecks(ctx: StageContext): Promise<void> {
  // @ts-expect-error a Date is not JSON
  await ctx.step('when', async () => ({ at: new Date() }));
  // @ts-expect-error a function is not JSON
  await ctx.step('fn', async () => ({ run: () => 1 }));
}

describe('plugin contract types', () => {
  it('memoises an interface-typed value and types params from the TypeBox schema', async () => {
    const { result } = await runStageForTest(stage, { params: {} });
    expect(result.outputs.plan).to.deep.equal({ chunks: 3, total: 3 });
    expect(stage.params).to.have.property('type', 'object');
    void compileTimeChecks;
  });
});
