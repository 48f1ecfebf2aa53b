// A fault-injecting test plugin: writes an artifact of a given size, or fails the way the file
// system would (an errno error such as ENOSPC) when SPX_FAULT_ERRNO is set. Every real write
// appends a line to $SPX_TEST_LEDGER.
import { appendFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { definePlugin, type StageContext } from '@spx/core';

export default definePlugin({
  name: 'spx-plugin-fault',
  version: '1.0.0',
  apiVersion: 1,
  stages: {
    'fault/write': {
      description: 'Writes `bytes` bytes derived from a text file; fails with $SPX_FAULT_ERRNO when set.',
      params: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: { type: 'string' }, bytes: { type: 'integer', minimum: 1, default: 1024 } } },
      outputs: { data: { kind: 'file', description: 'Written bytes' } },
      async run(ctx: StageContext<{ from: string; bytes: number }>) {
        const seed = await readFile(ctx.params.from, 'utf8');
        const errno = process.env.SPX_FAULT_ERRNO;
        if (errno) {
          const path = join(ctx.run.outDir, 'data.bin');
          throw Object.assign(new Error(`${errno}: simulated failure, write '${path}'`), { code: errno, errno: -28, syscall: 'write', path });
        }
        const data = seed.repeat(Math.ceil(ctx.params.bytes / Math.max(1, seed.length))).slice(0, ctx.params.bytes);
        if (process.env.SPX_TEST_LEDGER) appendFileSync(process.env.SPX_TEST_LEDGER, `write:${ctx.stageId}\n`);
        return { outputs: { data: await ctx.artifacts.write('data.bin', data) } };
      },
    },
  },
});
