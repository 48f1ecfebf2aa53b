// spx ui: a hash router over three views — the runs list, one run, and its transcript.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { html } from './html.js';
import { RunsView } from './runs.js';
import { RunView } from './run.js';
import { TranscriptView } from './transcript.js';

function route() {
  const path = location.hash.replace(/^#/, '') || '/';
  const transcript = /^\/runs\/([\w-]+)\/transcript$/.exec(path);
  if (transcript) return { view: 'transcript', id: transcript[1] };
  const run = /^\/runs\/([\w-]+)$/.exec(path);
  if (run) return { view: 'run', id: run[1] };
  return { view: 'runs' };
}

function App() {
  const [current, setCurrent] = useState(route());
  useEffect(() => {
    const onHash = () => setCurrent(route());
    addEventListener('hashchange', onHash);
    return () => removeEventListener('hashchange', onHash);
  }, []);
  return html`<header class="top"><a href="#/" class="brand">spx</a><nav><a href="#/">Runs</a>${current.id ? html` › <a href=${`#/runs/${current.id}`}>${current.id}</a>` : ''}${current.view === 'transcript' ? html` › Transcript` : ''}</nav></header>
    <main>${current.view === 'runs' ? html`<${RunsView} />` : current.view === 'run' ? html`<${RunView} id=${current.id} key=${current.id} />` : html`<${TranscriptView} id=${current.id} key=${current.id} />`}</main>`;
}

const root = document.getElementById('app');
root.textContent = '';
render(html`<${App} />`, root);
