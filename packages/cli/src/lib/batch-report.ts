// What a batch prints when it ends and how it exits — the same for a local batch and one run by
// queue workers: a line per input (exports, what resuming saved), a table for several inputs,
// and the exit code (0 all ok; one input: its own code; several: 1 when any failed).
import { EXIT, type SpxError } from '@spx/core';
import type { RunSummary } from '@spx/core/engine';
import type { BatchResult } from './queue/jobs.js';
import { formatBytes } from './table.js';

export function fromSummary(input: string, summary: RunSummary | undefined, error?: SpxError): BatchResult {
  if (!summary) return { input, status: 'error', ran: [], reused: [], durationMs: 0, outputs: [], ...(error ? { error } : {}) };
  const failure = error ?? summary.error;
  return { input, runId: summary.runId, status: summary.status, ran: summary.ran, reused: summary.reused, durationMs: summary.durationMs, outputs: summary.outputs.map((o) => o.path), saved: summary.saved, remade: summary.remade, pruned: summary.pruned ?? { files: 0, bytes: 0 }, ...(failure ? { error: failure } : {}) };
}

export function batchExitCode(results: BatchResult[], signalName: NodeJS.Signals | undefined): number {
  if (signalName) return signalName === 'SIGINT' ? EXIT.INTERRUPTED : EXIT.TERMINATED;
  const failed = results.filter((r) => r.error);
  if (failed.length === 0) return EXIT.OK;
  if (results.length === 1) return failed[0]!.error!.exitCode;
  return EXIT.RUN_FAILED;
}

export function reportBatch(results: BatchResult[], log: (line: string) => void): void {
  for (const r of results) {
    if (r.status === 'error' || r.status === 'planned') continue;
    const mark = r.status === 'completed' ? '✔' : r.status === 'interrupted' ? '■' : '✖';
    const remade = r.remade?.length ? ` (${r.remade.join(', ')} made again)` : '';
    log(`${mark} ${r.status} ${r.input} — run ${r.runId} in ${(r.durationMs / 1000).toFixed(1)} s: ${r.ran.length} ran, ${r.reused.length} reused${remade}${r.worker ? ` (worker ${r.worker})` : ''}`);
    for (const file of r.outputs) log(`  → ${file}`);
    if (r.pruned?.files) log(`  pruned ${formatBytes(r.pruned.bytes)} of intermediate files (records kept, made again when needed; --keep-intermediates keeps them)`);
    const saved = r.saved;
    if (saved && (saved.stages > 0 || saved.paidCalls > 0)) {
      const usd = saved.usd > 0 ? ` (≈ $${saved.usd.toFixed(saved.usd < 1 ? 3 : 2)})` : '';
      const calls = saved.paidCalls > 0 ? `, ${saved.paidCalls} paid API call${saved.paidCalls === 1 ? '' : 's'}${usd}` : '';
      log(`  resume saved ${saved.stages} stage${saved.stages === 1 ? '' : 's'}${calls}, ${(saved.durationMs / 1000).toFixed(1)} s of work`);
    }
  }
  if (results.length > 1) {
    log('');
    log(`${'input'.padEnd(40)} ${'status'.padEnd(12)} ${'ran'.padStart(4)} ${'reused'.padStart(6)} ${'time'.padStart(8)}`);
    for (const r of results) {
      log(`${r.input.slice(-40).padEnd(40)} ${r.status.padEnd(12)} ${String(r.ran.length).padStart(4)} ${String(r.reused.length).padStart(6)} ${`${(r.durationMs / 1000).toFixed(1)} s`.padStart(8)}${r.error ? `  ${r.error.code}: ${r.error.message}` : ''}`);
    }
    const failed = results.filter((r) => r.error).length;
    log(`${results.length - failed} of ${results.length} inputs succeeded.`);
  }
}
