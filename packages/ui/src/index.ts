// @spx/ui: the `spx ui` server — runs, checkpoints and transcript review in a local browser.
export { startUiServer, type UiServer, type UiServerOptions } from './server.js';
export type { SpxCommand } from './jobs.js';
