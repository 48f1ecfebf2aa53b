// The runs list: every run in the store with its status, pipeline, input, duration, stages done,
// size and what resuming saved; filters and search run on the server; the list refreshes itself
// when any process sharing the store starts, advances or finishes a run.
import { useEffect, useRef, useState } from 'preact/hooks';
import { get, on } from './api.js';
import { age, bytes, duration, short } from './format.js';
import { html } from './html.js';

const PAGE = 100;
const STATUSES = ['running', 'interrupted', 'failed', 'completed', 'not_started'];

export function RunsView() {
  const [filters, setFilters] = useState({ status: '', pipeline: '', q: '', from: '', to: '' });
  const [data, setData] = useState(null);
  const [limit, setLimit] = useState(PAGE);
  const [error, setError] = useState(null);
  const query = useRef('');

  const load = () => {
    const params = new URLSearchParams({ ...Object.fromEntries(Object.entries(filters).filter(([, v]) => v)), limit: String(limit) });
    const asked = params.toString();
    query.current = asked;
    get(`/api/runs?${asked}`)
      .then((d) => query.current === asked && (setData(d), setError(null)))
      .catch(setError);
  };
  useEffect(load, [filters, limit]);
  useEffect(() => {
    let timer;
    return on('runs', () => {
      clearTimeout(timer);
      timer = setTimeout(load, 250);
    });
  }, [filters, limit]);

  const set = (name) => (e) => {
    setLimit(PAGE);
    setFilters({ ...filters, [name]: e.currentTarget.value });
  };
  return html`<section class="runs">
    <h1>Runs ${data ? html`<span class="count">${data.total} of ${Object.values(data.statuses).reduce((a, b) => a + b, 0)}</span>` : ''}</h1>
    <form class="filters" onSubmit=${(e) => e.preventDefault()}>
      <input type="search" placeholder="Search id, input, pipeline, error…" value=${filters.q} onInput=${set('q')} aria-label="Search" />
      <select value=${filters.status} onChange=${set('status')} aria-label="Status">
        <option value="">any status</option>
        ${STATUSES.map((s) => html`<option value=${s}>${s}${data?.statuses[s] ? ` (${data.statuses[s]})` : ''}</option>`)}
      </select>
      <select value=${filters.pipeline} onChange=${set('pipeline')} aria-label="Pipeline">
        <option value="">any pipeline</option>
        ${(data?.pipelines ?? []).map((p) => html`<option value=${p}>${p}</option>`)}
      </select>
      <label>from <input type="date" value=${filters.from} onChange=${set('from')} /></label>
      <label>to <input type="date" value=${filters.to} onChange=${set('to')} /></label>
    </form>
    ${error ? html`<p class="error">${error.message}</p>` : ''}
    ${!data ? html`<p class="loading">Loading runs…</p>` : data.runs.length === 0 ? html`<p class="empty">No runs match.</p>` : html`<table class="list">
      <thead><tr><th>status</th><th>run</th><th>pipeline</th><th>input</th><th class="num">duration</th><th class="num">stages</th><th class="num">size</th><th class="num">saved</th><th>updated</th></tr></thead>
      <tbody>${data.runs.map((r) => html`<tr key=${r.id} data-run=${r.id} onClick=${() => (location.hash = `#/runs/${r.id}`)}>
        <td><span class=${`badge ${r.status}`}>${r.status}</span></td>
        <td><a href=${`#/runs/${r.id}`} class="mono">${r.id}</a></td>
        <td>${r.pipeline.name}@${r.pipeline.version}</td>
        <td title=${r.input}>${short(r.input, 48)}</td>
        <td class="num">${duration(r.durationMs)}</td>
        <td class="num">${r.stages.completed}/${r.stages.total}</td>
        <td class="num">${bytes(r.bytes)}</td>
        <td class="num" title="paid calls and work time resuming did not repeat">${r.saved.paidCalls ? `${r.saved.paidCalls} paid, ` : ''}${duration(r.saved.durationMs)}</td>
        <td title=${r.updated}>${age(r.updated)}</td>
      </tr>`)}</tbody></table>
      ${data.total > data.runs.length ? html`<p><button onClick=${() => setLimit(limit + PAGE * 4)}>Show more (${data.total - data.runs.length} left)</button></p>` : ''}`}
    ${data?.invalidEntries ? html`<p class="note">${data.invalidEntries} store entries are not valid run states and are not shown.</p>` : ''}
  </section>`;
}
