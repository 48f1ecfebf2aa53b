// The one fault model of the fake servers: scripted rules pick the requests to misbehave on
// (method, path, from the nth match on, so many times), and a fault says what happens to such a
// request: a canned answer (any status, headers and body, malformed ones included), a delay
// before the normal answer, or a dropped connection. The faults of the connection itself are
// named the same way by every fake (TransportFault).
import type { ServerResponse } from 'node:http';
import { pause } from './latency.js';
import { dropConnection, type Answer } from './respond.js';

export type Fault =
  /** Answer this instead of serving the request. */
  | { kind: 'answer'; answer: Answer }
  /** Wait, then serve the request normally (past a client's timeout it looks like a hang). */
  | { kind: 'delay'; ms: number }
  /** Cut the connection without an answer. */
  | { kind: 'drop' };

/** The faults of the connection rather than of the API, scripted alike by every fake server. */
export type TransportFault =
  /** Destroys the socket without an answer. */
  | { type: 'reset' }
  /** Answers normally after `delayMs` (beyond the client's timeout it looks like a hang). */
  | { type: 'slow'; delayMs: number }
  /** 200 with content-type application/json and a body that is not JSON. */
  | { type: 'malformed' };

/** The kit's fault for a transport fault; `truncatedJson` is the cut-off body of a malformed answer. */
export function transportFault(fault: TransportFault, truncatedJson: string): Fault {
  switch (fault.type) {
    case 'reset':
      return { kind: 'drop' };
    case 'slow':
      return { kind: 'delay', ms: fault.delayMs };
    case 'malformed':
      return { kind: 'answer', answer: { status: 200, headers: { 'content-type': 'application/json' }, raw: truncatedJson } };
  }
}

/** Which requests a rule picks. */
export interface FaultRule {
  /** HTTP method (any when omitted). */
  method?: string;
  /** A string matches as a prefix of the pathname, a RegExp is tested on it (any when omitted). */
  path?: string | RegExp;
  /** 1-based index, among the requests the rule counts, of the first one it picks (default 1). */
  nth?: number;
  /** How many consecutive counted requests it picks (default 1). */
  times?: number;
}

/**
 * How rules count requests.
 * - `first-match`: a request counts only for the first rule it matches, and a rule is removed
 *   once spent; the script reads top to bottom like a queue of answers.
 * - `every-match`: every rule counts every request it matches, so `nth` is an absolute index
 *   among the matching requests; when several rules pick one request the first one wins.
 */
export type FaultCounting = 'first-match' | 'every-match';

export class FaultScript<R extends FaultRule> {
  private readonly seen = new WeakMap<R, number>();

  /** `rules` is used as given (not copied): rules pushed onto it later take part. */
  constructor(
    public rules: R[] = [],
    private readonly counting: FaultCounting = 'first-match',
  ) {}

  add(...rules: R[]): void {
    this.rules.push(...rules);
  }

  /** Replaces every rule. */
  replace(rules: R[]): void {
    this.rules = rules;
  }

  /** The rule that picks this request, if any. */
  take(method: string, path: string): R | undefined {
    return this.counting === 'first-match' ? this.takeFirst(method, path) : this.takeEvery(method, path);
  }

  private count(rule: R): number {
    const seen = (this.seen.get(rule) ?? 0) + 1;
    this.seen.set(rule, seen);
    return seen;
  }

  private takeFirst(method: string, path: string): R | undefined {
    const index = this.rules.findIndex((rule) => matches(rule, method, path));
    if (index < 0) return undefined;
    const rule = this.rules[index]!;
    const seen = this.count(rule);
    const first = rule.nth ?? 1;
    if (seen < first) return undefined;
    if (seen >= first + Math.max(1, rule.times ?? 1) - 1) this.rules.splice(index, 1);
    return rule;
  }

  private takeEvery(method: string, path: string): R | undefined {
    let chosen: R | undefined;
    for (const rule of this.rules) {
      if (!matches(rule, method, path)) continue;
      const seen = this.count(rule);
      const first = rule.nth ?? 1;
      if (!chosen && seen >= first && seen < first + (rule.times ?? 1)) chosen = rule;
    }
    return chosen;
  }
}

function matches(rule: FaultRule, method: string, path: string): boolean {
  if (rule.method && rule.method.toUpperCase() !== method.toUpperCase()) return false;
  if (rule.path instanceof RegExp) return rule.path.test(path);
  if (typeof rule.path === 'string') return path.startsWith(rule.path);
  return true;
}

/**
 * Carries out a fault on a request. True when the request is dealt with (answered, dropped, or
 * its client went away during a delay); false when it should now be served normally.
 * `reply` writes answers, so that they carry what the server adds to every answer.
 */
export async function serveFault(fault: Fault, res: ServerResponse, reply: (answer: Answer) => void): Promise<boolean> {
  switch (fault.kind) {
    case 'answer':
      reply(fault.answer);
      return true;
    case 'drop':
      dropConnection(res);
      return true;
    case 'delay':
      await pause(fault.ms, res);
      return res.destroyed;
  }
}
