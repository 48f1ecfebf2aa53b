// One run: its stages on a time axis (ran / reused / failed and why), live progress while a
// process works on it, artifacts with size, sha256 and whether they verify, metadata, paid units
// and what resuming saved; and the actions — validate, rerun from a stage or force (the dry-run
// plan first, then in the background), export the state, delete.
import { useEffect, useState } from 'preact/hooks';
import { fileUrl, get, on, post } from './api.js';
import { age, bytes, duration, plural, units } from './format.js';
import { html } from './html.js';

export function RunView({ id }) {
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  const [checks, setChecks] = useState(null);
  const [job, setJob] = useState(null);
  const [dialog, setDialog] = useState(null);
  const load = () =>
    get(`/api/runs/${id}`)
      .then((r) => {
        setRun(r);
        if (r.job) setJob(r.job);
        setError(null);
      })
      .catch(setError);
  useEffect(() => {
    load();
    const offRuns = on('runs', ({ ids }) => ids.includes(id) && load());
    const offJob = on('job', (j) => j.runId === id && setJob(j));
    return () => (offRuns(), offJob());
  }, [id]);
  if (error && !run) return html`<p class="error">${error.message}</p>`;
  if (!run) return html`<p class="loading">Loading run…</p>`;

  const validate = () => post(`/api/runs/${id}/validate`).then((r) => setChecks(new Map(r.artifacts.map((a) => [`${a.stage}\0${a.path}`, a])))).catch(setError);
  const last = run.attempts.at(-1);
  const stageState = (s) => (job?.status === 'running' && job.stages[s.stage] ? job.stages[s.stage].state : s.status === 'failed' ? 'failed' : last?.ran.includes(s.stage) ? 'ran' : last?.reused.includes(s.stage) ? 'reused' : s.status);
  return html`<section class="run">
    <h1><span class="mono">${run.id}</span> <span class=${`badge ${run.status}`}>${run.status}</span></h1>
    <dl class="facts">
      <dt>pipeline</dt><dd>${run.pipeline.name}@${run.pipeline.version} <span class="muted">${run.pipeline.file}</span>${run.overrides.length ? html` <span class="muted">--set ${run.overrides.join(' ')}</span>` : ''}</dd>
      <dt>input</dt><dd>${run.input.path}</dd>
      <dt>exports</dt><dd>${run.outDir}</dd>
      <dt>updated</dt><dd>${run.updated} (${age(run.updated)}), created ${run.created}</dd>
      <dt>stored</dt><dd>${bytes(run.bytes)} in ${run.artifacts} artifacts, ${run.subSteps} sub-steps</dd>
      <dt>paid</dt><dd>${plural(run.paidCalls, 'paid call')}, ${units(run.usage)} billable units${run.saved ? html`; resuming saved ${plural(run.saved.paidCalls, 'paid call')} and ${duration(run.saved.durationMs)} of work` : ''}</dd>
      ${run.holder ? html`<dt>held by</dt><dd>pid ${run.holder.pid} on ${run.holder.host}</dd>` : ''}
      ${run.edits ? html`<dt>edits</dt><dd>${Object.entries(run.edits.speakers).map(([k, v]) => `${k} → ${v}`).join(', ') || 'no names'}; ${run.edits.utterances} utterance edits</dd>` : ''}
      ${run.status === 'failed' && run.error ? html`<dt>error</dt><dd class="error">${run.failedStage ? `${run.failedStage}: ` : ''}${run.error}</dd>` : ''}
    </dl>
    <div class="actions">
      ${run.hasTranscript ? html`<a class="button primary" href=${`#/runs/${id}/transcript`}>Review transcript</a>` : ''}
      <button onClick=${validate}>Validate</button>
      <button disabled=${!run.rerun.allowed} title=${run.rerun.reason ?? ''} onClick=${() => setDialog({ kind: 'rerun', from: '', force: false })}>Rerun…</button>
      <a class="button" href=${`/api/runs/${id}/export`} download=${`spx-run-${id}.json`}>Export state</a>
      <button class="danger" onClick=${() => setDialog({ kind: 'delete', typed: '' })}>Delete…</button>
    </div>
    ${error ? html`<p class="error">${error.message}${error.hint ? html` <span class="muted">${error.hint}</span>` : ''}</p>` : ''}
    ${job ? html`<${JobPanel} job=${job} />` : ''}
    <h2>Stages</h2>
    <${Gantt} stages=${run.stageDetails} stateOf=${stageState} job=${job} />
    <table class="list stages">
      <thead><tr><th>stage</th><th>uses</th><th>state</th><th class="num">time</th><th class="num">paid</th><th>why</th></tr></thead>
      <tbody>${run.stageDetails.map((s) => html`<tr key=${s.stage} data-stage=${s.stage}>
        <td>${s.stage}</td><td class="muted">${s.uses ?? ''}</td>
        <td><span class=${`badge ${stageState(s)}`}>${stageState(s)}</span>${job?.status === 'running' && job.stages[s.stage]?.message ? html` <span class="progress">${job.stages[s.stage].message}</span>` : ''}${s.status === 'running' && run.holder ? html` <span class="progress">${s.subSteps} sub-steps saved</span>` : ''}</td>
        <td class="num">${duration(s.durationMs)}</td>
        <td class="num">${s.paidCalls ? `${plural(s.paidCalls, 'call')}${s.usage ? `, ${units(s.usage)} units` : ''}` : ''}</td>
        <td class="why">${s.error ?? (job?.stages[s.stage]?.reason || (s.history.ran + s.history.reused ? `ran ${s.history.ran}×, reused ${s.history.reused}×${s.history.failed ? `, failed ${s.history.failed}×` : ''}` : ''))}</td>
      </tr>`)}</tbody>
    </table>
    <h2>Artifacts</h2>
    <table class="list artifacts">
      <thead><tr><th>stage</th><th>file</th><th class="num">size</th><th>sha256</th><th>verified</th></tr></thead>
      <tbody>${run.stageDetails.flatMap((s) => s.artifacts.map((a) => {
        const check = checks?.get(`${s.stage}\0${a.path}`);
        return html`<tr key=${a.path}><td>${s.stage}</td><td title=${a.path}>${a.id ? html`<a href=${fileUrl(id, a.id, true)}>${a.path.split('/').pop()}</a>` : a.path}${a.kind === 'export' ? html` <span class="muted">export</span>` : ''}</td>
          <td class="num">${bytes(a.bytes)}</td><td class="mono" title=${a.sha256}>${a.sha256.slice(0, 16)}</td>
          <td>${check ? (check.ok ? html`<span class="ok">✔ verifies</span>` : html`<span class=${check.export ? 'muted' : 'error'}>${check.reason}${check.export ? ' (export: rewritten on the next run)' : ''}</span>`) : html`<span class="muted">not checked</span>`}</td></tr>`;
      }))}</tbody>
    </table>
    <h2>Metadata</h2>
    ${run.stageDetails.filter((s) => Object.keys(s.metadata).length).map((s) => html`<details><summary>${s.stage}</summary><pre>${JSON.stringify(s.metadata, null, 2)}</pre></details>`)}
    <details><summary>attempts (${run.attempts.length})</summary><table class="list"><tbody>${run.attempts.map((a) => html`<tr><td>${a.at}</td><td>${a.status}</td><td>ran ${a.ran.join(', ') || '–'}</td><td>reused ${a.reused.join(', ') || '–'}</td><td class="num">${duration(a.durationMs)}</td></tr>`)}</tbody></table></details>
    ${dialog?.kind === 'rerun' ? html`<${RerunDialog} run=${run} state=${dialog} set=${setDialog} onStarted=${(j) => (setJob(j), setDialog(null))} />` : ''}
    ${dialog?.kind === 'delete' ? html`<${DeleteDialog} run=${run} state=${dialog} set=${setDialog} />` : ''}
  </section>`;
}

/** Stage bars on the run's time axis: start and duration of each stage's checkpoint. */
function Gantt({ stages, stateOf, job }) {
  const timed = stages.filter((s) => s.startedAt && s.finishedAt);
  if (!timed.length) return html`<p class="muted">No stage has finished yet.</p>`;
  const t0 = Math.min(...timed.map((s) => Date.parse(s.startedAt)));
  const t1 = Math.max(...timed.map((s) => Date.parse(s.finishedAt)));
  const span = Math.max(1, t1 - t0);
  return html`<div class="gantt">${stages.map((s) => {
    const state = stateOf(s);
    const live = job?.status === 'running' ? job.stages[s.stage] : null;
    const bar = s.startedAt && s.finishedAt ? { left: ((Date.parse(s.startedAt) - t0) / span) * 100, width: Math.max(0.5, ((Date.parse(s.finishedAt) - Date.parse(s.startedAt)) / span) * 100) } : null;
    return html`<div class="lane"><span class="label">${s.stage}</span><div class="track">${bar ? html`<div class=${`bar ${state}`} style=${`left:${bar.left}%;width:${bar.width}%`} title=${`${s.stage}: ${duration(s.durationMs)} (${state})`}></div>` : ''}${live?.total ? html`<div class="bar live" style=${`left:0;width:${(100 * (live.done ?? 0)) / live.total}%`}></div>` : ''}</div><span class="muted">${duration(s.durationMs)}</span></div>`;
  })}</div>`;
}

function JobPanel({ job }) {
  const running = Object.entries(job.stages).filter(([, p]) => p.state === 'running');
  return html`<div class=${`job ${job.status}`} role="status">
    <strong>Rerun ${job.status}</strong>${job.status !== 'running' ? html` — ran ${job.ran.join(', ') || 'nothing'}, reused ${job.reused.join(', ') || 'nothing'}` : ''}
    ${running.map(([stage, p]) => html`<div class="progress-line">${stage}: ${p.message ?? ''}${p.total ? html` <progress max=${p.total} value=${p.done ?? 0}></progress>` : ''}</div>`)}
    ${job.log.length ? html`<pre class="log">${job.log.slice(-8).join('\n')}</pre>` : ''}
  </div>`;
}

function RerunDialog({ run, state, set, onStarted }) {
  const [plan, setPlan] = useState(null);
  const [error, setError] = useState(null);
  useEffect(() => {
    setPlan(null);
    const params = new URLSearchParams(state.force ? { force: '1' } : state.from ? { from: state.from } : {});
    get(`/api/runs/${run.id}/plan?${params}`).then(setPlan).catch(setError);
  }, [state.from, state.force]);
  const start = () => post(`/api/runs/${run.id}/rerun`, state.force ? { force: true } : state.from ? { from: state.from } : {}).then((r) => onStarted(r.job)).catch(setError);
  return html`<div class="dialog" role="dialog" aria-label="Rerun"><div class="panel">
    <h2>Rerun ${run.id}</h2>
    <p><label>from stage <select value=${state.from} onChange=${(e) => set({ ...state, from: e.currentTarget.value, force: false })}><option value="">— only what changed —</option>${run.stageDetails.map((s) => html`<option value=${s.stage}>${s.stage}</option>`)}</select></label>
      <label><input type="checkbox" checked=${state.force} onChange=${(e) => set({ ...state, force: e.currentTarget.checked })} /> force every stage</label></p>
    <h3>Plan (dry run: nothing runs, nothing is called)</h3>
    ${error ? html`<p class="error">${error.message}</p>` : !plan ? html`<p class="loading">Working out the plan…</p>` : plan.plan ? html`<table class="list plan"><tbody>${plan.plan.map((p) => html`<tr data-stage=${p.stage}><td>${p.stage}</td><td><span class=${`badge ${p.action === 'run' ? 'running' : 'reused'}`}>${p.action}</span></td><td class="why">${p.reason}</td></tr>`)}</tbody></table>` : html`<p class="error">${plan.note}</p>`}
    <p class="buttons"><button onClick=${() => set(null)}>Cancel</button> <button class="primary" disabled=${!plan?.plan} onClick=${start}>Run in background</button></p>
  </div></div>`;
}

function DeleteDialog({ run, state, set }) {
  const [error, setError] = useState(null);
  const remove = () => post(`/api/runs/${run.id}/delete`, { confirm: run.id }).then(() => (location.hash = '#/')).catch(setError);
  return html`<div class="dialog" role="dialog" aria-label="Delete"><div class="panel">
    <h2>Delete run ${run.id}?</h2>
    <p>Its state, sub-step checkpoints and artifact directory go; the next run of it starts afresh (and pays again). Exports are kept. Type the run id to confirm.</p>
    <p><input class="mono" value=${state.typed} onInput=${(e) => set({ ...state, typed: e.currentTarget.value })} aria-label="Run id" /></p>
    ${error ? html`<p class="error">${error.code}: ${error.message}</p>` : ''}
    <p class="buttons"><button onClick=${() => set(null)}>Cancel</button> <button class="danger" disabled=${state.typed !== run.id} onClick=${remove}>Delete</button></p>
  </div></div>`;
}
