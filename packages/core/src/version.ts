import { createRequire } from 'node:module';

/** Version of @spx/core, recorded in run state. */
export const SPX_VERSION: string = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
