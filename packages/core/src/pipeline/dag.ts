// Topological order (declaration order among peers) and cycle detection that names the cycle.
export function topologicalOrder(ids: readonly string[], deps: ReadonlyMap<string, readonly string[]>): { order: string[]; cycle?: string[] } {
  const state = new Map<string, 'visiting' | 'done'>();
  const order: string[] = [];
  const stack: string[] = [];
  let cycle: string[] | undefined;
  const visit = (id: string): void => {
    if (cycle) return;
    const s = state.get(id);
    if (s === 'done') return;
    if (s === 'visiting') {
      cycle = [...stack.slice(stack.indexOf(id)), id];
      return;
    }
    state.set(id, 'visiting');
    stack.push(id);
    for (const dep of deps.get(id) ?? []) visit(dep);
    stack.pop();
    state.set(id, 'done');
    order.push(id);
  };
  for (const id of ids) visit(id);
  return cycle ? { order, cycle } : { order };
}

/** All stages downstream of `from` (inclusive). */
export function downstreamOf(from: string, deps: ReadonlyMap<string, readonly string[]>): Set<string> {
  const result = new Set([from]);
  let grew = true;
  while (grew) {
    grew = false;
    for (const [id, ds] of deps) if (!result.has(id) && ds.some((d) => result.has(d))) {
      result.add(id);
      grew = true;
    }
  }
  return result;
}
