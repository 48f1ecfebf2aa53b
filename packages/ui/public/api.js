// Talking to the spx ui server: JSON calls (the token rides in an HttpOnly cookie; writes are
// same-origin POSTs) and one server-sent event stream shared by every view.
export class ApiError extends Error {
  constructor(status, body) {
    super(body?.error?.message ?? `HTTP ${status}`);
    this.status = status;
    this.code = body?.error?.code ?? 'HTTP';
    this.hint = body?.error?.hint;
  }
}

async function answer(response) {
  const body = await response.json().catch(() => null);
  if (!response.ok) throw new ApiError(response.status, body);
  return body;
}

export const get = (path) => fetch(path, { headers: { Accept: 'application/json' } }).then(answer);
export const post = (path, body = {}) => fetch(path, { method: 'POST', headers: { 'Content-Type': 'application/json', Accept: 'application/json' }, body: JSON.stringify(body) }).then(answer);

const listeners = new Map();
let source;

/** Calls fn(data) for every server event of this name; returns the unsubscribe function. */
export function on(event, fn) {
  if (!source) {
    source = new EventSource('/api/events');
    for (const name of ['runs', 'job']) source.addEventListener(name, (e) => {
      const data = JSON.parse(e.data);
      for (const f of listeners.get(name) ?? []) f(data);
    });
  }
  if (!listeners.has(event)) listeners.set(event, new Set());
  listeners.get(event).add(fn);
  return () => listeners.get(event).delete(fn);
}

export const fileUrl = (runId, fileId, download = false) => `/api/runs/${runId}/files/${fileId}${download ? '?download=1' : ''}`;
