// A fault-injecting test plugin: writes an artifact of a given size, or fails the way the file
// system would (an errno error such as ENOSPC) when SPX_FAULT_ERRNO is set, or after writing
// (`failAfterWrite`); `fault/misbehave` breaks the rules a stage must keep (rejections nobody
// awaits, throws in timers, promises that never settle, process.exit). Every real write appends a
// line to $SPX_TEST_LEDGER.
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
      params: { type: 'object', required: ['from'], additionalProperties: false, properties: { from: { type: 'string' }, bytes: { type: 'integer', minimum: 1, default: 1024 }, failAfterWrite: { type: 'boolean', default: false } } },
      outputs: { data: { kind: 'file', description: 'Written bytes' } },
      async run(ctx: StageContext<{ from: string; bytes: number; failAfterWrite: boolean }>) {
        const seed = await readFile(ctx.params.from, 'utf8');
        const errno = process.env.SPX_FAULT_ERRNO;
        if (errno) {
          const path = join(ctx.run.outDir, 'data.bin');
          throw Object.assign(new Error(`${errno}: simulated failure, write '${path}'`), { code: errno, errno: -28, syscall: 'write', path });
        }
        const data = seed.repeat(Math.ceil(ctx.params.bytes / Math.max(1, seed.length))).slice(0, ctx.params.bytes);
        if (process.env.SPX_TEST_LEDGER) appendFileSync(process.env.SPX_TEST_LEDGER, `write:${ctx.stageId}\n`);
        const written = await ctx.artifacts.write('data.bin', data);
        if (ctx.params.failAfterWrite) ctx.fail('FAULT_AFTER_WRITE', `Stage ${ctx.stageId} failed after writing data.bin.`, { hint: 'Set failAfterWrite: false.' });
        return { outputs: { data: written } };
      },
    },
    'fault/misbehave': {
      description: 'Breaks the stage contract in the way `mode` names (after `delayMs`).',
      params: {
        type: 'object',
        required: ['from', 'mode'],
        additionalProperties: false,
        properties: {
          from: { type: 'string' },
          mode: { enum: ['unhandled-rejection', 'timer-throw', 'never-settles', 'exit-0', 'exit-3', 'exit-in-timer', 'throw-string', 'throw-null', 'deep-recursion', 'multiline-error', 'none'] },
          delayMs: { type: 'integer', minimum: 0, default: 0 },
        },
      },
      outputs: { data: { kind: 'file', description: 'Written bytes (mode none)' } },
      async run(ctx: StageContext<{ from: string; mode: string; delayMs: number }>) {
        await new Promise((resolve) => setTimeout(resolve, ctx.params.delayMs));
        if (process.env.SPX_TEST_LEDGER) appendFileSync(process.env.SPX_TEST_LEDGER, `misbehave:${ctx.stageId}:${ctx.params.mode}\n`);
        switch (ctx.params.mode) {
          case 'unhandled-rejection':
            void Promise.reject(new Error('a background upload failed'));
            return new Promise(() => undefined);
          case 'timer-throw':
            setTimeout(() => {
              throw new TypeError("Cannot read properties of undefined (reading 'segments')");
            }, 5);
            return new Promise(() => undefined);
          case 'never-settles':
            return new Promise(() => undefined);
          case 'exit-0':
            return process.exit(0);
          case 'exit-3':
            return process.exit(3);
          case 'exit-in-timer':
            setTimeout(() => process.exit(0), 5);
            return new Promise(() => undefined);
          case 'throw-string':
            throw 'the vendor SDK threw a string';
          case 'throw-null':
            throw null;
          case 'deep-recursion': {
            const recurse = (n: number): number => recurse(n + 1) + 1;
            return { outputs: { data: recurse(0) as never } };
          }
          case 'multiline-error':
            throw new Error('first line of a long vendor error\n    at Vendor.call (vendor.js:1:1)\n    at more (vendor.js:2:2)');
          default:
            return { outputs: { data: await ctx.artifacts.write('data.bin', await readFile(ctx.params.from)) } };
        }
      },
    },
  },
});
