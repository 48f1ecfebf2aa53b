// spx ui: starts the local web app (runs, checkpoints, transcript review) over the state store
// and prints its URL with a random access token, as Jupyter does. Reruns from the UI start this
// same CLI as a child `spx run`, so they behave exactly as typed commands.
import { spawn } from 'node:child_process';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Flags } from '@oclif/core';
import { SpxError } from '@spx/core';
import { startUiServer } from '@spx/ui';
import { SpxCommand } from '../lib/base-command.js';
import { pipelineOpener, workDirFlag } from '../lib/checkpoints.js';

const BIN = fileURLToPath(new URL('../../bin/run.js', import.meta.url));
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);

export default class Ui extends SpxCommand<typeof Ui> {
  static override summary = 'Start the local web app: runs, checkpoints and transcript review.';
  static override description = `Serves the runs of the state store to a browser: the runs list (live while runs are active in any process sharing the store), one run's stages, artifacts and actions (validate, rerun from a stage, export the state, delete), and transcript review (play the audio, click a word to hear it, rename speakers, fix lines, re-export — only the export stage reruns).

The URL it prints carries a random access token; the browser keeps it in a cookie after the first visit. It listens on 127.0.0.1 only, unless --host says otherwise, which needs an explicit --token. Stop it with Ctrl-C.`;
  static override examples = [
    { description: 'Start on the default port and open a browser', command: '<%= config.bin %> ui --open' },
    { description: 'Another store and port', command: '<%= config.bin %> ui --store sqlite://data/state.sqlite --port 9000' },
  ];
  static override flags = {
    port: Flags.integer({ char: 'p', summary: 'Port to listen on (0: any free port).', default: 8421, min: 0, max: 65535 }),
    host: Flags.string({ summary: 'Address to listen on; anything but loopback needs --token.', default: '127.0.0.1' }),
    token: Flags.string({ summary: 'Access token (default: a random one).', env: 'SPX_UI_TOKEN' }),
    open: Flags.boolean({ summary: 'Open the URL in the default browser.' }),
    'work-dir': workDirFlag,
  };

  public async run(): Promise<{ url: string }> {
    const { flags } = this;
    if (!LOOPBACK.has(flags.host) && !flags.token) {
      throw new SpxError('USAGE', `--host ${flags.host} makes the UI reachable from other machines; it needs an explicit --token.`, { hint: 'Pass --token with a long random value (e.g. from `openssl rand -hex 24`), or keep the default --host 127.0.0.1.' });
    }
    if (flags.token !== undefined && flags.token.length < 16) throw new SpxError('USAGE', '--token must be at least 16 characters.', { hint: 'Use a long random value, e.g. from `openssl rand -hex 24`.' });
    const store = await this.store();
    const server = await startUiServer({
      store,
      storeUrl: store.url,
      workDir: resolve(this.workDir(flags['work-dir'])),
      host: flags.host,
      port: flags.port,
      ...(flags.token ? { token: flags.token } : {}),
      opener: pipelineOpener,
      spx: { command: process.execPath, args: [BIN] },
    }).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'EADDRINUSE') throw new SpxError('USAGE', `Port ${flags.port} on ${flags.host} is in use.`, { hint: 'Pass --port with another port, or --port 0 for any free one.' });
      throw error;
    });
    if (this.jsonEnabled()) process.stdout.write(`${JSON.stringify({ url: server.url })}\n`);
    else this.log(`spx ui: ${server.url}\n  (Ctrl-C to stop)`);
    if (flags.open) openBrowser(server.url);
    await new Promise<void>((done) => {
      process.once('SIGINT', done);
      process.once('SIGTERM', done);
    });
    await server.close();
    return { url: server.url };
  }
}

function openBrowser(url: string): void {
  const command = process.platform === 'darwin' ? 'open' : process.platform === 'win32' ? 'explorer' : 'xdg-open';
  try {
    spawn(command, [url], { stdio: 'ignore', detached: true }).on('error', () => undefined).unref();
  } catch {
    // No browser to open: the URL is printed.
  }
}
