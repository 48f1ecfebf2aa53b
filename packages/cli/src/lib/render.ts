// Renders run events: a live stage table on a TTY, one plain line per event otherwise,
// or one JSON object per line with --json.
import type { RunEvent, StageState } from '@spx/core/engine';

export interface Renderer {
  event(event: RunEvent, input?: string): void;
  stop(): void;
}

const ICON: Record<StageState, string> = { waiting: '·', running: '▶', reused: '↺', done: '✔', failed: '✖', skipped: '-' };

export function createRenderer(mode: 'tty' | 'plain' | 'json', write: (text: string) => void, options: { debug?: boolean; dryRun?: boolean } = {}): Renderer {
  if (options.dryRun && mode !== 'json') return { event: () => undefined, stop: () => undefined };
  if (mode === 'json') return { event: (e, input) => write(`${JSON.stringify(input ? { ...e, input } : e)}\n`), stop: () => undefined };
  if (mode === 'plain') return plainRenderer(write, options.debug ?? false);
  return ttyRenderer(write, options.debug ?? false);
}

function clock(): string {
  return new Date().toISOString().slice(11, 19);
}

function seconds(ms: number): string {
  return ms < 1000 ? `${ms} ms` : `${(ms / 1000).toFixed(1)} s`;
}

function plainRenderer(write: (text: string) => void, debug: boolean): Renderer {
  const lastProgress = new Map<string, number>();
  return {
    event(e, input) {
      const prefix = `[${clock()}]${input ? ` ${input}:` : ''}`;
      switch (e.type) {
        case 'run-start':
          write(`${prefix} run ${e.runId} ${e.pipeline}@${e.version}${e.resumed ? ' (resuming)' : ''}\n`);
          break;
        case 'run-log':
          write(`${prefix} ${e.level}: ${e.message}\n`);
          break;
        case 'stage-plan':
          write(`${prefix} plan ${e.stage}: ${e.action === 'reuse' ? 'reuse' : 'run'} — ${e.reason}\n`);
          break;
        case 'stage-start':
          write(`${prefix} ${e.stage}: running (${e.uses})\n`);
          break;
        case 'stage-progress': {
          const now = Date.now();
          if (now - (lastProgress.get(e.stage) ?? 0) < 1000 && e.progress.done !== e.progress.total) break;
          lastProgress.set(e.stage, now);
          const of = e.progress.total ? `${e.progress.done}/${e.progress.total}` : `${e.progress.done}`;
          write(`${prefix} ${e.stage}: ${e.progress.message ?? of}\n`);
          break;
        }
        case 'stage-log':
          if (e.level !== 'debug' || debug) write(`${prefix} ${e.stage}: ${e.level}: ${e.message}\n`);
          break;
        case 'step-reused':
          if (debug) write(`${prefix} ${e.stage}: reused step ${e.key}\n`);
          break;
        case 'stage-reused':
          write(`${prefix} ${e.stage}: reused (${e.reason})\n`);
          break;
        case 'stage-done':
          write(`${prefix} ${e.stage}: done in ${seconds(e.durationMs)}\n`);
          break;
        case 'stage-failed':
          write(`${prefix} ${e.stage}: failed — ${e.code}: ${e.message}\n`);
          break;
        case 'run-end':
          break;
      }
    },
    stop: () => undefined,
  };
}

interface Row {
  state: StageState;
  note: string;
  started?: number;
  ended?: number;
}

function ttyRenderer(write: (text: string) => void, debug: boolean): Renderer {
  const rows = new Map<string, Row>();
  const logs: string[] = [];
  let drawn = 0;
  let header = '';
  const draw = () => {
    const lines = [header];
    const width = Math.max(8, ...[...rows.keys()].map((k) => k.length));
    for (const [id, row] of rows) {
      const elapsed = row.started ? seconds((row.ended ?? Date.now()) - row.started) : '';
      lines.push(`  ${ICON[row.state]} ${id.padEnd(width)}  ${row.state.padEnd(8)} ${elapsed.padStart(8)}  ${row.note}`.slice(0, (process.stdout.columns ?? 120) - 1));
    }
    let out = drawn ? `\x1b[${drawn}F` : '';
    for (const line of logs.splice(0)) out += `\x1b[2K${line}\n`;
    for (const line of lines) out += `\x1b[2K${line}\n`;
    write(out);
    drawn = lines.length;
  };
  const timer = setInterval(() => rows.size && [...rows.values()].some((r) => r.state === 'running') && draw(), 200);
  timer.unref();
  return {
    event(e, input) {
      switch (e.type) {
        case 'run-start':
          header = `spx ${e.pipeline}@${e.version} · run ${e.runId}${input ? ` · ${input}` : ''}${e.resumed ? ' · resuming' : ''}`;
          for (const id of e.stages) if (!rows.has(id)) rows.set(id, { state: 'waiting', note: '' });
          break;
        case 'stage-plan':
          rows.set(e.stage, { state: 'waiting', note: e.action === 'run' ? e.reason : '' });
          return;
        case 'stage-start':
          rows.set(e.stage, { state: 'running', note: e.uses, started: Date.now() });
          break;
        case 'stage-progress': {
          const row = rows.get(e.stage);
          if (row) row.note = e.progress.message ?? (e.progress.total ? `${e.progress.done}/${e.progress.total}` : String(e.progress.done));
          return;
        }
        case 'stage-log':
          if (e.level === 'warn' || e.level === 'error' || debug) logs.push(`  ${e.stage}: ${e.level}: ${e.message}`);
          break;
        case 'run-log':
          logs.push(`  ${e.level}: ${e.message}`);
          break;
        case 'stage-reused':
          rows.set(e.stage, { state: 'reused', note: 'from checkpoint' });
          break;
        case 'stage-done': {
          const row = rows.get(e.stage);
          if (row) Object.assign(row, { state: 'done', note: '', ended: Date.now() });
          break;
        }
        case 'stage-failed': {
          const row = rows.get(e.stage);
          if (row) Object.assign(row, { state: 'failed', note: e.code, ended: Date.now() });
          break;
        }
        case 'run-end':
          break;
        default:
          return;
      }
      draw();
    },
    stop() {
      clearInterval(timer);
      if (rows.size) draw();
      drawn = 0;
      rows.clear();
      header = '';
    },
  };
}
