// A throwaway PostgreSQL server for tests: a fresh cluster (initdb) in a temp directory, on a free
// loopback port, no fsync, removed after. Uses the server binaries of the `postgresql` apt package
// (/usr/lib/postgresql/<version>/bin; scripts/setup.sh installs it). The server refuses to run as
// root, so as root it runs as the package's `postgres` user.
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort, serverReady } from './redis.js';

export interface PostgresServer {
  /** `postgres://spx@127.0.0.1:PORT/postgres` (trust authentication on loopback). */
  url: string;
  port: number;
  /** Empties spx's table (between independent trials sharing the server). */
  flush(): void;
  stop(): Promise<void>;
}

/** The newest installed server's bin directory, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const versions = readdirSync(root).filter((v) => existsSync(join(root, v, 'bin', 'initdb'))).sort((a, b) => Number(b) - Number(a));
  return versions[0] ? join(root, versions[0], 'bin') : undefined;
}

function serverUser(): { uid: number; gid: number } | undefined {
  if (process.getuid?.() !== 0) return undefined;
  const uid = Number(spawnSync('id', ['-u', 'postgres']).stdout?.toString().trim());
  const gid = Number(spawnSync('id', ['-g', 'postgres']).stdout?.toString().trim());
  if (!Number.isInteger(uid) || !Number.isInteger(gid) || uid <= 0) throw new Error('running as root, but there is no "postgres" user to run the server as: apt-get install postgresql');
  return { uid, gid };
}

export async function startPostgres(): Promise<PostgresServer> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('PostgreSQL server binaries not found in /usr/lib/postgresql/*/bin: run scripts/setup.sh');
  const user = serverUser();
  const dir = mkdtempSync(join(tmpdir(), 'spx-pg-'));
  if (user) chownSync(dir, user.uid, user.gid);
  const asServer = user ? { uid: user.uid, gid: user.gid } : {};
  const init = spawnSync(join(bin, 'initdb'), ['-D', join(dir, 'data'), '-A', 'trust', '-U', 'spx', '--no-sync'], { ...asServer, encoding: 'utf8' });
  if (init.status !== 0) throw new Error(`initdb failed: ${init.stderr || init.stdout}`);
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const args = ['-D', join(dir, 'data'), '-p', String(port), '-k', dir, '-c', 'listen_addresses=127.0.0.1', '-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off', '-c', 'max_connections=200'];
    const child: ChildProcess = spawn(join(bin, 'postgres'), args, { ...asServer, stdio: ['ignore', 'pipe', 'pipe'] });
    const { ready, output } = await serverReady(child, /ready to accept connections/i, 20_000);
    if (!ready) {
      child.kill('SIGKILL');
      if (attempt < 2) continue;
      rmSync(dir, { recursive: true, force: true });
      throw new Error(`postgres did not start: ${output.slice(-400)}`);
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    const url = `postgres://spx@127.0.0.1:${port}/postgres`;
    return {
      url,
      port,
      flush() {
        const sql = "DO $$ BEGIN IF to_regclass('public.keyv') IS NOT NULL THEN TRUNCATE public.keyv; END IF; END $$;";
        const result = spawnSync(join(bin, 'psql'), ['-h', '127.0.0.1', '-p', String(port), '-U', 'spx', '-d', 'postgres', '-q', '-c', sql], { encoding: 'utf8' });
        if (result.status !== 0) throw new Error(`psql failed: ${result.stderr}`);
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          // SIGINT: "fast" shutdown (disconnects clients, no checkpoint wait).
          child.kill('SIGINT');
          const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
          await exited;
          clearTimeout(timer);
        }
        rmSync(dir, { recursive: true, force: true });
      },
    };
  }
}
