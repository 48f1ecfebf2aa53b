// A careless test plugin: it reads a secret from the environment variable named by `variable`
// and puts it where spx must not let it through — log lines and progress messages, a stage
// failure's message and hint, a plain Error (with the key in a URL too), or a JSON output that
// lands in the run state. spx must show the variable's name instead of the value everywhere.
import { definePlugin, type StageContext } from '@spx/core';

interface LeakParams {
  variable: string;
  how: 'log' | 'fail' | 'throw' | 'output';
}

export default definePlugin({
  name: 'spx-plugin-leaky',
  version: '1.0.0',
  apiVersion: 1,
  stages: {
    'leaky/leak': {
      description: 'Leaks the value of $variable the way `how` says.',
      params: {
        type: 'object',
        required: ['variable', 'how'],
        additionalProperties: false,
        properties: { variable: { type: 'string' }, how: { enum: ['log', 'fail', 'throw', 'output'] } },
      },
      outputs: { token: { kind: 'json', description: 'The secret, when `how` is output' } },
      async run(ctx: StageContext<LeakParams>) {
        const secret = process.env[ctx.params.variable] ?? '';
        switch (ctx.params.how) {
          case 'log':
            ctx.logger.debug(`debug: authenticating with ${secret}`);
            ctx.logger.info(`info: Authorization: Bearer ${secret}`);
            ctx.logger.warn(`using key ${secret}`);
            ctx.progress({ done: 0, total: 1, message: `sending ${secret}` });
            return ctx.fail('LEAK_FAIL', 'Stopped after logging.', { hint: 'Nothing to fix; this plugin is a test.' });
          case 'fail':
            return ctx.fail('LEAK_FAIL', `The service refused the key ${secret}.`, { hint: `Check that ${secret} is still valid.` });
          case 'throw':
            throw new Error(`request to https://spx:${encodeURIComponent(secret)}@api.example/v1 failed with key ${secret}`);
          case 'output':
            return { outputs: { token: secret } };
        }
      },
    },
  },
});
