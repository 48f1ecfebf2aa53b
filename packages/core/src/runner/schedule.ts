// The scheduler: starts every stage whose dependencies are done, at most `limit` at a time, in
// pipeline order among the ready ones; once `stopped()` says so, starts nothing new and waits for
// what runs. Each stage's own errors are the executor's business; the scheduler only sequences.
export interface ScheduleOptions {
  order: readonly string[];
  depsOf(id: string): readonly string[];
  isDone(id: string): boolean;
  limit: number;
  /** True after a failure or an abort: no new stage starts. */
  stopped(): boolean;
  execute(id: string): Promise<void>;
}

export function scheduleStages(options: ScheduleOptions): Promise<void> {
  const pending = new Set(options.order);
  const running = new Set<string>();
  return new Promise<void>((resolveAll) => {
    const pump = () => {
      if (!options.stopped()) {
        for (const id of options.order) {
          if (running.size >= options.limit) break;
          if (!pending.has(id) || !options.depsOf(id).every((d) => options.isDone(d))) continue;
          pending.delete(id);
          running.add(id);
          options
            .execute(id)
            .catch(() => undefined)
            .finally(() => {
              running.delete(id);
              pump();
            });
        }
      }
      if (running.size === 0) resolveAll();
    };
    pump();
  });
}
