// A CPU-bound test stage: `busy/spin` keeps its process's event loop blocked for `ms`
// milliseconds (no await in between), as a long in-process computation would, then passes its
// input on. Every real execution appends a line to $SPX_TEST_LEDGER.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { definePlugin, type StageContext } from '@spx/core';

export default definePlugin({
  name: 'spx-plugin-busy',
  version: '1.0.0',
  apiVersion: 1,
  stages: {
    'busy/spin': {
      description: 'Blocks the event loop for `ms` milliseconds, then copies its input.',
      params: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: { type: 'string' }, ms: { type: 'integer', minimum: 0, default: 1000 } } },
      outputs: { text: { kind: 'file', description: 'The input, unchanged' } },
      async run(ctx: StageContext<{ from: string; ms: number }>) {
        const text = await readFile(ctx.params.from, 'utf8');
        const until = Date.now() + ctx.params.ms;
        while (Date.now() < until) {
          // spinning: nothing else in this process runs meanwhile
        }
        if (process.env.SPX_TEST_LEDGER) appendFileSync(process.env.SPX_TEST_LEDGER, `spin:${ctx.stageId}\n`);
        return { outputs: { text: await ctx.artifacts.write('text.txt', text) } };
      },
    },
  },
});
