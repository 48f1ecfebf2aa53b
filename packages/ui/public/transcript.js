// Transcript review: the run's audio with the transcript beside it. Words seek when clicked and
// the word being spoken is highlighted during playback; a speaker timeline (one lane per speaker)
// seeks too. Speakers are renamed everywhere, an utterance is given to another speaker or its
// text fixed: each change is saved as the run's edits (the paid transcript stays as it is), and
// Re-export reruns only the export stage to write them into every file.
import { Component } from 'preact';
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { fileUrl, get, on, post } from './api.js';
import { clock, colorOf } from './format.js';
import { html } from './html.js';
import { upperBound, VirtualList } from './virtual-list.js';

const LOW_CONFIDENCE = 0.5;

export function TranscriptView({ id }) {
  const [data, setData] = useState(null);
  const [run, setRun] = useState(null);
  const [error, setError] = useState(null);
  const [now, setNow] = useState({ u: -1, w: -1 });
  const [follow, setFollow] = useState(true);
  const [markLow, setMarkLow] = useState(false);
  const [editing, setEditing] = useState(null);
  const [job, setJob] = useState(null);
  const [plan, setPlan] = useState(null);
  const audio = useRef(null);
  const list = useRef(null);
  const playhead = useRef(null);

  const load = () =>
    Promise.all([get(`/api/runs/${id}/transcript`), get(`/api/runs/${id}`)])
      .then(([t, r]) => (setData(t), setRun(r), setError(null)))
      .catch(setError);
  useEffect(() => {
    load();
    return on('job', (j) => {
      if (j.runId !== id) return;
      setJob(j);
      if (j.status !== 'running') load();
    });
  }, [id]);

  const index = useMemo(() => (data ? Float64Array.from(data.utterances, (u) => u[1]) : new Float64Array()), [data]);
  const lanes = useMemo(() => (data ? new Map(data.speakers.map((s, i) => [s.id, i])) : new Map()), [data]);
  const names = useMemo(() => (data ? new Map(data.speakers.map((s) => [s.id, s.name])) : new Map()), [data]);

  // Follow playback: the word under the playhead, found by binary search, at display rate.
  useEffect(() => {
    if (!data) return;
    let frame;
    let last = { u: -1, w: -1 };
    const tick = () => {
      const el = audio.current;
      if (el) {
        const t = el.currentTime;
        const u = upperBound(index, t) - 1;
        let w = -1;
        if (u >= 0 && t <= data.utterances[u][2] + 0.3) {
          const words = data.utterances[u][4];
          w = upperBound(words.map((x) => x[1]), t) - 1;
          if (w >= 0 && t > words[w][2] + 0.25) w = -1;
        }
        if (u !== last.u || w !== last.w) {
          last = { u, w };
          setNow(last);
          if (follow && u >= 0 && !el.paused && !list.current?.isVisible(u)) list.current?.scrollToIndex(u);
        }
        if (playhead.current && data.duration) playhead.current.style.left = `${(100 * t) / data.duration}%`;
      }
      frame = requestAnimationFrame(tick);
    };
    frame = requestAnimationFrame(tick);
    return () => cancelAnimationFrame(frame);
  }, [data, follow]);

  if (error && !data) return html`<p class="error">${error.message}${error.hint ? html` <span class="muted">${error.hint}</span>` : ''}</p>`;
  if (!data || !run) return html`<p class="loading">Loading transcript…</p>`;

  const seek = (t, play = true) => {
    const el = audio.current;
    if (!el) return;
    el.currentTime = t;
    if (play) el.play().catch(() => undefined);
  };
  const save = (change) => post(`/api/runs/${id}/edits`, change).then(load).catch(setError);
  const askPlan = () => get(`/api/runs/${id}/plan`).then(setPlan).catch(setError);
  const reexport = () => post(`/api/runs/${id}/rerun`, {}).then((r) => (setJob(r.job), setPlan(null))).catch(setError);
  const exports = run.stageDetails.flatMap((s) => s.artifacts.filter((a) => a.kind === 'export' && a.id));
  const words = data.utterances.reduce((n, u) => n + u[4].length, 0);

  const renderRow = (i) =>
    html`<${Utterance} u=${data.utterances[i]} i=${i} now=${now.u === i ? now.w : -2} markLow=${markLow} editing=${editing?.index === i ? editing.text : null} speakers=${data.speakers} lane=${lanes.get(data.utterances[i][0]) ?? 0} seek=${seek} save=${save} setEditing=${setEditing} />`;

  return html`<section class="transcript">
    <div class="player">
      ${data.audio ? html`<audio ref=${audio} controls preload="metadata" src=${fileUrl(id, data.audio)}></audio>` : html`<p class="muted">This run has no audio file the browser can play.</p>`}
      <label><input type="checkbox" checked=${follow} onChange=${(e) => setFollow(e.currentTarget.checked)} /> follow playback</label>
      <label><input type="checkbox" checked=${markLow} onChange=${(e) => setMarkLow(e.currentTarget.checked)} /> mark low-confidence words</label>
      <span class="muted">${data.utterances.length} utterances, ${words} words, ${clock(data.duration)}</span>
    </div>
    <${Timeline} data=${data} lanes=${lanes} names=${names} seek=${seek} playhead=${playhead} />
    <div class="columns">
      <aside class="speakers">
        <h2>Speakers</h2>
        ${data.speakers.map((s, i) => html`<${SpeakerName} key=${s.id} speaker=${s} color=${colorOf(i)} onSave=${(name) => save({ speakers: { [s.id]: name } })} />`)}
        ${data.edits.speakers || data.edits.utterances ? html`<p><button onClick=${() => confirm('Remove every edit of this transcript?') && save({ clear: true })}>Clear all edits</button></p>` : ''}
        <h2>Exports</h2>
        ${data.exported ? html`<p class="ok">The exports have every saved edit.</p>` : html`<p class="warn">Saved edits are not in the exports yet.</p><p><button class="primary" onClick=${askPlan} disabled=${job?.status === 'running' || !run.rerun.allowed} title=${run.rerun.reason ?? ''}>Re-export…</button></p>`}
        ${plan ? html`<div class="plan-box">${plan.plan ? html`<ul>${plan.plan.map((p) => html`<li data-stage=${p.stage}><strong>${p.action}</strong> ${p.stage} <span class="muted">${p.reason}</span></li>`)}</ul><button class="primary" onClick=${reexport}>Run it</button> <button onClick=${() => setPlan(null)}>Cancel</button>` : html`<p class="error">${plan.note}</p>`}</div>` : ''}
        ${job ? html`<p class=${`job ${job.status}`} role="status">Export ${job.status}${job.status !== 'running' ? ` — ran ${job.ran.join(', ') || 'nothing'}` : ''}</p>` : ''}
        <ul class="files">${exports.map((a) => html`<li><a href=${fileUrl(id, a.id, true)}>${a.path.split('/').pop()}</a></li>`)}</ul>
        ${data.dropped.length ? html`<h2>Not applied</h2><ul>${data.dropped.map((d) => html`<li class="warn">${d.edit}: ${d.reason}</li>`)}</ul>` : ''}
        ${error ? html`<p class="error">${error.message}</p>` : ''}
        <p class="muted">${data.updatedAt ? `Edits saved ${data.updatedAt}` : 'No edits yet.'}</p>
      </aside>
      <${VirtualList} className="utterances" count=${data.utterances.length} estimate=${(i) => 56 + Math.ceil(data.utterances[i][3].length / 90) * 22} renderRow=${renderRow} api=${list} />
    </div>
  </section>`;
}

/**
 * One utterance. It redraws only when what it shows changes (its data, the spoken word in it, the
 * low-confidence marks, its editor), not on every frame of playback elsewhere in the list.
 */
class Utterance extends Component {
  shouldComponentUpdate(next) {
    const p = this.props;
    return next.u !== p.u || next.now !== p.now || next.markLow !== p.markLow || next.editing !== p.editing || next.speakers !== p.speakers || next.lane !== p.lane;
  }

  render({ u, i, now, markLow, editing, speakers, lane, seek, save, setEditing }) {
    const [speaker, start, end, text, ws, edited, original] = u;
    return html`<div class=${`utt${now !== -2 ? ' speaking' : ''}${edited ? ' edited' : ''}`} data-utt=${i}>
      <div class="who">
        <span class="chip" style=${`background:${colorOf(lane)}`}></span>
        <select class="speaker" value=${speaker} aria-label="Speaker" onChange=${(e) => {
          let label = e.currentTarget.value;
          if (label === '+') label = prompt('Label of the new speaker', `SPEAKER_${String(speakers.length).padStart(2, '0')}`) ?? '';
          if (label) save({ utterance: { index: i, assign: label } });
        }}>${speakers.map((s) => html`<option value=${s.id}>${s.name}</option>`)}<option value="+">+ new speaker…</option></select>
        <button class="time link" onClick=${() => seek(start)} title=${`${clock(start)}–${clock(end)}`}>${clock(start)}</button>
        ${edited ? html`<span class="muted" title=${`was ${original}`}>edited</span>` : ''}
        <button class="link" aria-label="Edit text" onClick=${() => setEditing({ index: i, text })}>✎</button>
      </div>
      ${editing !== null
        ? html`<form class="edit" onSubmit=${(e) => (e.preventDefault(), save({ utterance: { index: i, text: editing } }).then(() => setEditing(null)))}>
            <textarea value=${editing} onInput=${(e) => setEditing({ index: i, text: e.currentTarget.value })} rows="3"></textarea>
            <button class="primary">Save</button> <button type="button" onClick=${() => setEditing(null)}>Cancel</button></form>`
        : html`<p class="text">${ws.length
            ? ws.map((w, k) => html`<span key=${k} data-w=${`${i}:${k}`} class=${`w${now === k ? ' now' : ''}${markLow && w[3] !== null && w[3] < LOW_CONFIDENCE ? ' low' : ''}`} onClick=${() => seek(w[1])}>${w[0]}</span> `)
            : html`<span class="w" onClick=${() => seek(start)}>${text}</span>`}</p>`}
    </div>`;
  }
}

function SpeakerName({ speaker, color, onSave }) {
  const [value, setValue] = useState(speaker.name);
  useEffect(() => setValue(speaker.name), [speaker.name]);
  return html`<form class="speaker-name" onSubmit=${(e) => (e.preventDefault(), value.trim() && value !== speaker.name && onSave(value.trim()))}>
    <span class="chip" style=${`background:${color}`}></span>
    <input value=${value} aria-label=${`Name of ${speaker.id}`} data-speaker=${speaker.id} onInput=${(e) => setValue(e.currentTarget.value)} />
    <button disabled=${!value.trim() || value === speaker.name}>Rename</button>
    <span class="muted label">${speaker.id}</span>
  </form>`;
}

/** One lane per speaker across the whole recording; a click seeks there. */
function Timeline({ data, lanes, names, seek, playhead }) {
  const canvas = useRef(null);
  const LANE = 18;
  useEffect(() => {
    const el = canvas.current;
    const draw = () => {
      const width = el.clientWidth;
      const ratio = devicePixelRatio || 1;
      el.width = width * ratio;
      el.height = lanes.size * LANE * ratio;
      const g = el.getContext('2d');
      g.scale(ratio, ratio);
      g.fillStyle = '#f3f4f6';
      g.fillRect(0, 0, width, lanes.size * LANE);
      const scale = width / Math.max(1, data.duration);
      for (const u of data.utterances) {
        const lane = lanes.get(u[0]) ?? 0;
        g.fillStyle = colorOf(lane);
        g.fillRect(u[1] * scale, lane * LANE + 3, Math.max(1, (u[2] - u[1]) * scale), LANE - 6);
      }
    };
    draw();
    addEventListener('resize', draw);
    return () => removeEventListener('resize', draw);
  }, [data, lanes]);
  const click = (e) => {
    const box = canvas.current.getBoundingClientRect();
    seek(((e.clientX - box.left) / box.width) * data.duration);
  };
  return html`<div class="timeline">
    <div class="lane-names">${[...lanes.keys()].map((id) => html`<div style=${`height:${LANE}px`}>${names.get(id)}</div>`)}</div>
    <div class="lanes"><canvas ref=${canvas} style=${`height:${lanes.size * LANE}px`} onClick=${click} aria-label="Speaker timeline"></canvas><div ref=${playhead} class="playhead"></div></div>
  </div>`;
}
