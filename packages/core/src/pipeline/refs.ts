// `${{ inputs.NAME }}` and `${{ stages.ID.outputs.NAME }}` references inside `with:` values.
export type Ref = { kind: 'input'; name: string } | { kind: 'stage'; stage: string; output: string };

export interface RefSite {
  /** Path of the value inside `with`. */
  path: Array<string | number>;
  expression: string;
  ref: Ref | undefined;
  /** The whole value is one reference (keeps the referenced value's type). */
  whole: boolean;
}

const PATTERN = /\$\{\{\s*([^}]*?)\s*\}\}/g;
const WHOLE = /^\$\{\{\s*([^}]*?)\s*\}\}$/;

export function parseRef(expression: string): Ref | undefined {
  const input = /^inputs\.([A-Za-z][A-Za-z0-9_]*)$/.exec(expression);
  if (input) return { kind: 'input', name: input[1]! };
  const stage = /^stages\.([A-Za-z][A-Za-z0-9_-]*)\.outputs\.([A-Za-z][A-Za-z0-9_]*)$/.exec(expression);
  if (stage) return { kind: 'stage', stage: stage[1]!, output: stage[2]! };
  return undefined;
}

export function findRefs(value: unknown, path: Array<string | number> = []): RefSite[] {
  if (typeof value === 'string') {
    const sites: RefSite[] = [];
    const whole = WHOLE.test(value);
    for (const match of value.matchAll(PATTERN)) sites.push({ path, expression: match[1]!, ref: parseRef(match[1]!), whole });
    return sites;
  }
  if (Array.isArray(value)) return value.flatMap((item, i) => findRefs(item, [...path, i]));
  if (value && typeof value === 'object') return Object.entries(value).flatMap(([k, v]) => findRefs(v, [...path, k]));
  return [];
}

/** Replaces every reference using `resolve`; a whole-value reference keeps the resolved type. */
export function substituteRefs(value: unknown, resolve: (ref: Ref, expression: string) => unknown): unknown {
  if (typeof value === 'string') {
    const whole = WHOLE.exec(value);
    if (whole) return resolve(parseRef(whole[1]!)!, whole[1]!);
    return value.replace(PATTERN, (_m, expression: string) => {
      const resolved = resolve(parseRef(expression)!, expression);
      return typeof resolved === 'string' ? resolved : JSON.stringify(resolved);
    });
  }
  if (Array.isArray(value)) return value.map((item) => substituteRefs(item, resolve));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, substituteRefs(v, resolve)]));
  return value;
}
