#!/usr/bin/env node
// spx executable: TypeScript sources run through tsx (no build step), then oclif dispatches.
import { register } from 'tsx/esm/api';

register();
const { execute } = await import('@oclif/core');
await execute({ dir: import.meta.url });
