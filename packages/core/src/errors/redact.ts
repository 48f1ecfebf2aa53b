// Credentials never leave spx. Every error message and hint (SpxError's constructor), stage log
// line and progress message, value written to the state store and byte the CLI prints passes
// through redact(), which replaces
//   - credentials in URLs: `scheme://user:pass@host` becomes `scheme://***@host`, the userinfo
//     read to the last @ so that raw @ / : ? # in a password are covered;
//   - known secret values — credential-named environment variables (*_KEY, *_TOKEN, *SECRET*,
//     *PASSWORD*, *_PASS), keys plugins register, the user and password of every URL spx is
//     given (store URL, any variable holding scheme://user:pass@…) — raw, percent-encoded,
//     percent-decoded and JSON-escaped, with the variable's name: `[OPENAI_API_KEY]`;
//   - credentials it was never told about, by their shape — Authorization / api-key headers and
//     `Bearer …` followed by something credential-like, key-shaped tokens (sk-…, pk-…, r8_…,
//     hf_…, gh*_…) and JWTs — with ***.
// Three linear passes; text without a secret comes back unchanged (prose and transcripts stored
// in the state included). Values shorter than 8 characters are not registered (they would
// match ordinary words); in a URL they are still caught.

export const MIN_SECRET_LENGTH = 8;
/** Environment variable names whose values are credentials. */
export const CREDENTIAL_NAME = /(^|_)(API_?)?KEY$|TOKEN$|SECRET|PASSWORD|PASSWD|(^|_)PASS$/i;
const MASK = '***';

/** Secret form → placeholder. */
const known = new Map<string, string>();
let matcher: RegExp | undefined;
let envScanned = false;

/** Registers a secret value (and its encoded forms) under a name shown in its place. */
export function registerSecret(value: string | undefined, name: string): void {
  if (!value) return;
  scanEnvironmentOnce();
  for (const form of forms(value)) {
    if (form.length < MIN_SECRET_LENGTH || known.has(form)) continue;
    known.set(form, `[${name}]`);
    matcher = undefined;
  }
}

/** Registers the user and password of a URL (`NAME username`, `NAME password`). */
export function registerUrlCredentials(url: string | undefined, name: string): void {
  const found = url ? urlCredentials(url.trim()) : undefined;
  if (!found) return;
  registerSecret(found.rawUsername, `${name} username`);
  registerSecret(found.username, `${name} username`);
  registerSecret(found.rawPassword, `${name} password`);
  registerSecret(found.password, `${name} password`);
}

/** Registers every credential-named variable and every URL credential found in `env`. */
export function registerSecretsFromEnv(env: Readonly<Record<string, string | undefined>> = process.env): void {
  for (const [name, value] of Object.entries(env)) {
    if (!value) continue;
    if (CREDENTIAL_NAME.test(name)) {
      registerSecret(value, name);
      registerSecret(value.trim(), name);
    }
    if (value.includes('://')) registerUrlCredentials(value, name);
  }
}

/** The text with every credential replaced. */
export function redact(text: string): string {
  if (text.length < 7) return text;
  const knownValues = knownPattern();
  const masked = maskUrlCredentials(text);
  return (knownValues ? masked.replace(knownValues, replaceKnown) : masked).replace(SHAPES, replaceShape);
}

/**
 * Untrusted text (an API error body) as one line of at most `max` characters. Redacted before
 * it is cut: a cut through a secret would leave a part no pattern recognises.
 */
export function excerpt(text: string, max: number): string {
  return redact(text.slice(0, 65_536)).replace(/\s+/g, ' ').trim().slice(0, max);
}

/** A JSON-like value with every string (keys included) redacted; unchanged parts keep their identity. */
export function redactValue<T>(value: T): T {
  if (typeof value === 'string') return redact(value) as T;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const item: unknown = value[i];
      const clean = redactValue(item);
      if (clean !== item) (copy ??= value.slice())[i] = clean;
    }
    return (copy ?? value) as T;
  }
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) as unknown;
  if (proto !== Object.prototype && proto !== null) return value;
  let copy: Record<string, unknown> | undefined;
  const entries = Object.entries(value as Record<string, unknown>);
  for (const [key, item] of entries) {
    const cleanKey = redact(key);
    const clean = redactValue(item);
    if (clean !== item || cleanKey !== key) {
      if (!copy) copy = Object.fromEntries(entries) as Record<string, unknown>;
      if (cleanKey !== key) delete copy[key];
      copy[cleanKey] = clean;
    }
  }
  return (copy ?? value) as T;
}

const redacting = Symbol.for('spx.redacting');

/**
 * Makes every write to `stream` pass through redact(): the CLI's stdout and stderr, so that
 * oclif's own messages and --debug stack traces are covered as well. Idempotent.
 */
export function redactWrites(stream: NodeJS.WritableStream): void {
  const target = stream as NodeJS.WritableStream & { [redacting]?: true };
  if (target[redacting]) return;
  target[redacting] = true;
  const write = stream.write.bind(stream) as (chunk: unknown, ...rest: unknown[]) => boolean;
  stream.write = ((chunk: unknown, ...rest: unknown[]) => {
    if (typeof chunk === 'string') return write(redact(chunk), ...rest);
    if (chunk instanceof Uint8Array) {
      const text = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString('utf8');
      const clean = redact(text);
      return write(clean === text ? chunk : Buffer.from(clean), ...rest);
    }
    return write(chunk, ...rest);
  }) as typeof stream.write;
}

export interface UrlCredentials {
  /** Everything between `scheme://` and the `@` before the host, as written. */
  userinfo: string;
  rawUsername: string;
  rawPassword: string;
  /** Percent-decoded. */
  username: string;
  password: string;
  /** Offset of that `@` in the text. */
  at: number;
}

/**
 * The user:password of a URL at the start of `text`, if it has one. The userinfo runs to the
 * LAST `@` of the URL, so a raw `@`, `/`, `?` or `#` in a password is part of the password
 * (`redis://:p@ss/w@host` has the password `p@ss/w`), unless the part before the first `/`
 * has no `:` (then `https://host/path/@name` has no userinfo).
 */
export function urlCredentials(text: string): UrlCredentials | undefined {
  const scheme = /^[a-z][a-z0-9+.-]*:\/\//i.exec(text);
  if (!scheme) return undefined;
  const start = scheme[0].length;
  const at = userinfoEnd(text, start, text.lastIndexOf('@'));
  if (at < 0) return undefined;
  const userinfo = text.slice(start, at);
  const colon = userinfo.indexOf(':');
  const rawUsername = colon < 0 ? userinfo : userinfo.slice(0, colon);
  const rawPassword = colon < 0 ? '' : userinfo.slice(colon + 1);
  return { userinfo, rawUsername, rawPassword, username: decode(rawUsername), password: decode(rawPassword), at };
}

/**
 * The URL with its user and password percent-encoded once, so that a raw `@ / ? # %` in a
 * password reaches the client as the password (a URL parser would otherwise misread the host).
 */
export function encodeUrlCredentials(url: string): string {
  const found = urlCredentials(url);
  if (!found) return url;
  const scheme = url.slice(0, url.indexOf('://') + 3);
  const password = found.userinfo.includes(':') ? `:${encodeURIComponent(found.password)}` : '';
  return `${scheme}${encodeURIComponent(found.username)}${password}${url.slice(found.at)}`;
}

/**
 * Index of the `@` ending the userinfo that starts at `head` (just after `scheme://`), given
 * the last `@` of the URL; -1 when there is none. Reads only up to the first `/ ? #`, so a
 * text with many URLs is still read in linear time.
 */
function userinfoEnd(text: string, head: number, lastAt: number): number {
  if (lastAt <= head) return -1;
  let colon = false;
  let innerAt = -1;
  let i = head;
  for (; i < lastAt; i++) {
    const c = text.charCodeAt(i);
    if (c === 0x2f || c === 0x3f || c === 0x23) break; // / ? #
    if (c === 0x3a) colon = true;
    else if (c === 0x40) innerAt = i;
  }
  // No delimiter before the last @, or user:pass with one in the password: the userinfo runs to the last @.
  if (i === lastAt || colon) return lastAt;
  return innerAt > head ? innerAt : -1;
}

/** Characters that end a URL in running text: whitespace, quotes, angle brackets, backticks. */
function endsUrl(code: number): boolean {
  return code <= 0x20 || code === 0x22 || code === 0x27 || code === 0x3c || code === 0x3e || code === 0x60 || (code > 0x7f && /\s/.test(String.fromCharCode(code)));
}

function isSchemeChar(code: number): boolean {
  return isLetter(code) || (code >= 0x30 && code <= 0x39) || code === 0x2b || code === 0x2d || code === 0x2e;
}

function isLetter(code: number): boolean {
  return (code >= 0x61 && code <= 0x7a) || (code >= 0x41 && code <= 0x5a);
}

/** Every `scheme://userinfo@` in the text becomes `scheme://***@`, in one pass. */
function maskUrlCredentials(text: string): string {
  let k = text.indexOf('://');
  if (k < 0 || !text.includes('@')) return text;
  let out = '';
  let done = 0;
  while (k >= 0) {
    let start = k;
    while (start > done && !endsUrl(text.charCodeAt(start - 1))) start--;
    let end = k + 3;
    while (end < text.length && !endsUrl(text.charCodeAt(end))) end++;
    out += text.slice(done, start) + maskRun(text.slice(start, end));
    done = end;
    k = text.indexOf('://', end);
  }
  return out + text.slice(done);
}

/** One run of URL characters; it may hold several URLs (one in another's query). */
function maskRun(run: string): string {
  const lastAt = run.lastIndexOf('@');
  if (lastAt < 0) return run;
  let out = '';
  let done = 0;
  for (let k = run.indexOf('://'); k >= 0 && k < lastAt; k = run.indexOf('://', k + 3)) {
    if (k < done) continue;
    let scheme = k;
    while (scheme > done && isSchemeChar(run.charCodeAt(scheme - 1))) scheme--;
    while (scheme < k && !isLetter(run.charCodeAt(scheme))) scheme++;
    if (scheme === k) continue;
    const at = userinfoEnd(run, k + 3, lastAt);
    if (at < 0) continue;
    out += `${run.slice(done, k + 3)}${MASK}`;
    done = at;
  }
  return done === 0 ? run : out + run.slice(done);
}

function decode(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** The value as it may appear in text: raw, percent-encoded (two ways), percent-decoded, JSON-escaped. */
function forms(value: string): Set<string> {
  const all = new Set([value, encodeURIComponent(value), decode(value), JSON.stringify(value).slice(1, -1)]);
  try {
    const url = new URL('http://host/');
    url.password = value;
    all.add(url.password);
  } catch {
    // not representable: the other forms remain
  }
  return all;
}

// Key shapes: a known prefix, then a token with a run of 16+ letters and digits (checked in replace()).
// Credentials by their shape. Tokens after a header name or "Bearer" count only when they look
// like one (a digit, a symbol, or mixed case), so that prose ("the bearer instruments") and
// transcripts stored in the state pass through unchanged.
const HEADER = String.raw`(?<header>\b(?:proxy-authorization|authorization|x-api-key|api-key)["']?\s*[:=]\s*["']?(?:(?:bearer|basic|token|digest)\s+)?)(?<htoken>[^\s"',;[][^\s"',;]*)`;
const BEARER = String.raw`(?<bearer>\bbearer\s+)(?<btoken>[A-Za-z0-9._~+/=-]{8,})`;
// A known prefix, then a token with a run of 16+ letters and digits (checked in replaceShape).
const KEY_SHAPE = String.raw`(?<shape>(?<![A-Za-z0-9_+=.-])(?:sk|pk|rk|r8|hf|gh[pousr]|glpat|xox[abprs])[-_][A-Za-z0-9_-]{16,})`;
const JWT = String.raw`(?<jwt>(?<![A-Za-z0-9_-])eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]{8,})`;
const SHAPES = new RegExp([HEADER, BEARER, KEY_SHAPE, JWT].join('|'), 'gi');

/** The process environment is registered on first use, so its names win over later labels. */
function scanEnvironmentOnce(): void {
  if (envScanned) return;
  envScanned = true;
  registerSecretsFromEnv(process.env);
}

/** One alternation of every registered form, longest first; case-insensitive (%2f = %2F). */
function knownPattern(): RegExp | undefined {
  scanEnvironmentOnce();
  if (matcher || known.size === 0) return matcher;
  matcher = new RegExp([...known.keys()].sort((a, b) => b.length - a.length).map(escapeRegExp).join('|'), 'gi');
  return matcher;
}

function replaceKnown(match: string): string {
  const name = known.get(match);
  if (name) return name;
  const lower = match.toLowerCase();
  for (const [form, label] of known) if (form.toLowerCase() === lower) return label;
  return MASK;
}

function replaceShape(match: string, ...args: unknown[]): string {
  const groups = args[args.length - 1] as Record<string, string | undefined>;
  const prefix = groups.header ?? groups.bearer;
  if (prefix !== undefined) {
    const token = (groups.htoken ?? groups.btoken)!;
    const core = token.replace(/\.+$/, '');
    return looksLikeCredential(core) ? `${prefix}${MASK}${token.slice(core.length)}` : match;
  }
  if (groups.shape !== undefined) {
    const body = match.slice(match.search(/[-_]/) + 1);
    return /[A-Za-z0-9]{16,}/.test(body) && /\d/.test(body) && /[A-Za-z]/.test(body) ? MASK : match;
  }
  return MASK;
}

function looksLikeCredential(token: string): boolean {
  if (token.length < 8) return false;
  return /[0-9+/=_~]|\.(?=.)/.test(token) || (token.length >= 12 && /[A-Z]/.test(token.slice(1)) && /[a-z]/.test(token));
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\/]/g, '\\$&');
}
