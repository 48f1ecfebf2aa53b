// A throwaway redis-server for tests: a free loopback port, no persistence, stopped after,
// optionally with a password (`requirepass`). Never relies on a system service (CI installs the
// binary through scripts/setup.sh).
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';

export interface RedisServer {
  /** `redis://127.0.0.1:PORT`, without the password. */
  url: string;
  port: number;
  /** Deletes every key (between independent trials sharing the server). */
  flush(): void;
  /** Every key with its value (strings, sets, hashes, lists, sorted sets), as redis-cli prints them. */
  dump(): string;
  stop(): Promise<void>;
}

export function redisAvailable(): boolean {
  return spawnSync('redis-server', ['--version'], { stdio: 'ignore' }).status === 0;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Waits until a server child prints `pattern` (true), exits or `timeoutMs` passes (false); with all it printed. */
export function serverReady(child: ChildProcess, pattern: RegExp, timeoutMs: number): Promise<{ ready: boolean; output: string }> {
  let output = '';
  return new Promise((resolve) => {
    const done = (ready: boolean) => {
      clearTimeout(timer);
      resolve({ ready, output });
    };
    const timer = setTimeout(() => done(false), timeoutMs);
    const onData = (d: Buffer) => {
      output += d.toString();
      if (pattern.test(output)) done(true);
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', () => done(false));
  });
}

export async function startRedis(options: { password?: string } = {}): Promise<RedisServer> {
  for (let attempt = 0; ; attempt++) {
    const port = await freePort();
    const auth = options.password === undefined ? [] : ['--requirepass', options.password];
    const child: ChildProcess = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no', ...auth], { stdio: ['ignore', 'pipe', 'pipe'] });
    const { ready, output } = await serverReady(child, /Ready to accept connections/i, 10_000);
    if (!ready) {
      child.kill('SIGKILL');
      if (attempt < 2) continue;
      throw new Error(`redis-server did not start: ${output.slice(-400)}`);
    }
    const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
    // The password goes in the environment, never on a command line other processes can read.
    const cli = (input: string[], script?: string) =>
      spawnSync('redis-cli', ['-p', String(port), '--raw', ...input], { input: script, env: { ...process.env, ...(options.password === undefined ? {} : { REDISCLI_AUTH: options.password }) } }).stdout?.toString() ?? '';
    return {
      url: `redis://127.0.0.1:${port}`,
      port,
      flush() {
        cli(['flushall']);
      },
      dump() {
        const keys = cli(['--scan']).split('\n').filter(Boolean);
        const quote = (key: string) => `"${key.replace(/["\\]/g, '\\$&')}"`;
        const types = cli([], keys.map((k) => `TYPE ${quote(k)}\n`).join('')).split('\n');
        const read: Record<string, string> = { string: 'GET', set: 'SMEMBERS', hash: 'HGETALL', list: 'LRANGE', zset: 'ZRANGE' };
        const script = keys.map((k, i) => {
          const command = read[types[i] ?? ''];
          return command ? `${command} ${quote(k)}${command === 'LRANGE' || command === 'ZRANGE' ? ' 0 -1' : ''}\n` : '';
        });
        return `${keys.join('\n')}\n${cli([], script.join(''))}`;
      },
      async stop() {
        if (child.exitCode === null && child.signalCode === null) {
          child.kill('SIGTERM');
          const timer = setTimeout(() => child.kill('SIGKILL'), 3000);
          await exited;
          clearTimeout(timer);
        }
      },
    };
  }
}
