// Whether a process is alive on this host. `kill(pid, 0)` also succeeds on a zombie (killed, not yet
// reaped by its parent or PID 1) and on an unrelated process that reused the pid, so on Linux the
// state and start time are read from /proc/<pid>/stat: a zombie is dead, and a process whose start
// time differs from the one recorded is another process.
import { readFileSync } from 'node:fs';

export interface ProcessIdentity {
  pid: number;
  /** Start time in clock ticks since boot (/proc/<pid>/stat field 22); undefined off Linux. */
  startTicks?: number;
}

interface ProcStat {
  state: string;
  startTicks: number;
}

function procStat(pid: number): ProcStat | null | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch (error) {
    // No /proc at all (not Linux): undefined, and callers fall back to kill(pid, 0).
    return (error as NodeJS.ErrnoException).code === 'ENOENT' && procAvailable() ? null : undefined;
  }
  // The command name (field 2) is in parentheses and may itself contain spaces or parentheses.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return { state: fields[0] ?? '', startTicks: Number(fields[19]) };
}

let hasProc: boolean | undefined;
function procAvailable(): boolean {
  if (hasProc === undefined) {
    try {
      readFileSync('/proc/self/stat');
      hasProc = true;
    } catch {
      hasProc = false;
    }
  }
  return hasProc;
}

/** This process, as a lease records it. */
export function selfIdentity(): ProcessIdentity {
  const stat = procStat(process.pid);
  return { pid: process.pid, ...(stat ? { startTicks: stat.startTicks } : {}) };
}

/** True when the process runs (EPERM: alive but not ours); a zombie or a reused pid is not alive. */
export function processAlive(pid: number, startTicks?: number): boolean {
  if (!Number.isInteger(pid) || pid <= 0) return false;
  const stat = procStat(pid);
  if (stat === null) return false;
  if (stat) {
    if (stat.state === 'Z' || stat.state === 'X' || stat.state === 'x') return false;
    return startTicks === undefined || !Number.isFinite(stat.startTicks) || stat.startTicks === startTicks;
  }
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
