// The prediction model of the fake Replicate server: creation by version or model (with the
// models' own input checks, which end a prediction `failed` rather than refuse it), the
// starting → processing → end progression driven by GETs, Prefer: wait, and cancel.
import { rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { problemAnswer, type Answer } from '@spx/core/testing';
import { parseWav } from '@spx/core/formats';
import { audioDuration } from '../audio.js';
import { fakeId, type ReplicateContext } from './context.js';
import { fakeWhisperDiarizationOutput, fakeWhisperxOutput } from './outputs.js';

export type FakeModelKind = 'whisper-diarization' | 'whisperx';
export type FakeOutcome = 'succeeded' | 'failed' | 'canceled';

export interface FakePredictionState {
  prediction: Record<string, unknown>;
  kind: FakeModelKind;
  /** GETs answered so far. */
  polls: number;
  /** Audio duration the output is laid over, seconds. */
  duration: number;
  outcome: FakeOutcome;
  error?: string;
  output: unknown;
}

const TERMINAL = new Set(['succeeded', 'failed', 'canceled']);

export class FakePredictions {
  readonly states = new Map<string, FakePredictionState>();
  private seq = 0;

  constructor(private readonly ctx: ReplicateContext) {}

  /** Creates a prediction (201), or refuses an unknown version or a malformed input (422). */
  async create(model: string | undefined, body: Record<string, unknown>, prefer: unknown): Promise<Answer> {
    const { live, models, versions, counts } = this.ctx;
    const baseURL = this.ctx.baseURL();
    let version = typeof body.version === 'string' ? body.version : undefined;
    if (!model && version) {
      // "owner/name:version" or "owner/name" are accepted as well as a bare id.
      const [name, id] = version.includes('/') ? version.split(':') : [undefined, version];
      if (name && models[name]) model = name;
      version = id ?? (name ? versions[name] : undefined);
      if (!model) model = Object.keys(versions).find((m) => versions[m] === version);
    }
    if (model && !version) version = versions[model];
    if (!model || !version || versions[model] !== version) {
      return problemAnswer(422, 'Invalid version or not permitted', "The specified version does not exist (or perhaps you don't have permission to use it?)");
    }
    const kind = models[model]!;
    const input = body.input;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      return problemAnswer(422, 'Input validation failed', '- input: Invalid type. Expected: object');
    }
    const fields = input as Record<string, unknown>;
    if (kind === 'whisperx' && (typeof fields.audio_file !== 'string' || fields.audio_file === '')) {
      return { status: 422, json: { title: 'Input validation failed', detail: '- input: audio_file is required', status: 422, invalid_fields: [{ type: 'required', field: 'input', description: 'audio_file is required' }] } };
    }
    this.seq++;
    counts.predictionsCreated++;
    const id = fakeId(this.ctx.salt, 'prediction', this.seq);
    const now = new Date().toISOString();
    const prediction: Record<string, unknown> = {
      id,
      model,
      version,
      input: fields,
      logs: '',
      output: null,
      data_removed: false,
      error: null,
      source: 'api',
      status: 'starting',
      created_at: now,
      started_at: null,
      completed_at: null,
      metrics: {},
      urls: { get: `${baseURL}/v1/predictions/${id}`, cancel: `${baseURL}/v1/predictions/${id}/cancel`, web: `https://replicate.com/p/${id}` },
    };
    const state: FakePredictionState = { prediction, kind, polls: 0, duration: 0, outcome: live.outcome ?? 'succeeded', output: null };
    // Model-level problems are not HTTP errors: the prediction is created and ends `failed`.
    let inputProblem: string | undefined;
    let audioRef: unknown;
    if (kind === 'whisper-diarization') {
      const given = ['file', 'file_url', 'file_string'].filter((k) => typeof fields[k] === 'string' && fields[k] !== '');
      if (given.length !== 1) inputProblem = 'Provide exactly one of file_string, file_url, or file';
      else audioRef = fields[given[0]!];
    } else {
      audioRef = fields.audio_file;
      if (fields.diarization === true && !fields.huggingface_access_token) inputProblem = 'A Hugging Face access token is required to run diarization (huggingface_access_token)';
    }
    if (!inputProblem) {
      const audio = await this.resolveAudio(audioRef);
      if (audio.problem || !audio.bytes) inputProblem = `Failed to load audio: ${audio.problem ?? 'empty'}`;
      else {
        state.duration = await this.durationOf(audio.bytes);
        if (kind === 'whisper-diarization') {
          state.output = fakeWhisperDiarizationOutput(state.duration, {
            ...(typeof fields.num_speakers === 'number' ? { speakers: fields.num_speakers } : {}),
            ...(typeof fields.language === 'string' ? { language: fields.language } : {}),
          });
        } else {
          const speakers = typeof fields.min_speakers === 'number' ? fields.min_speakers : typeof fields.max_speakers === 'number' ? fields.max_speakers : 2;
          state.output = fakeWhisperxOutput(state.duration, {
            align: fields.align_output === true,
            diarization: fields.diarization === true,
            speakers,
            ...(typeof fields.language === 'string' ? { language: fields.language } : {}),
          });
        }
      }
    }
    if (inputProblem) {
      state.outcome = 'failed';
      state.error = inputProblem;
    }
    this.states.set(id, state);
    const wait = typeof prefer === 'string' ? /(?:^|[\s,;])wait(?:=(\d+))?/.exec(prefer) : null;
    if (wait) {
      const seconds = wait[1] ? Math.min(60, Math.max(1, Number(wait[1]))) : 60;
      if (live.syncCompletes ?? true) {
        await new Promise((r) => setTimeout(r, 5));
        this.finish(state);
      } else {
        await new Promise((r) => setTimeout(r, Math.min(seconds * 1000, live.waitCapMs ?? 50)));
      }
    }
    return { status: 201, json: view(state) };
  }

  /** Answers one GET: moves the prediction one step along starting → processing → end. */
  poll(state: FakePredictionState): Record<string, unknown> {
    this.advance(state);
    return view(state);
  }

  cancel(state: FakePredictionState): Record<string, unknown> {
    if (!TERMINAL.has(state.prediction.status as string)) {
      state.prediction.status = 'canceled';
      state.prediction.completed_at = new Date().toISOString();
    }
    return view(state);
  }

  /** Newest first, as GET /v1/predictions lists them. */
  list(): Array<Record<string, unknown>> {
    return [...this.states.values()].reverse().map(view);
  }

  private finish(state: FakePredictionState): void {
    const p = state.prediction;
    if (TERMINAL.has(p.status as string)) return;
    const now = new Date().toISOString();
    p.started_at ??= now;
    p.completed_at = now;
    p.status = state.outcome;
    const predictTime = Math.round((0.4 + state.duration * 0.05) * 1000) / 1000;
    if (state.outcome === 'succeeded') {
      p.output = state.output;
      p.metrics = { predict_time: predictTime, total_time: Math.round((predictTime + 1.5) * 1000) / 1000 };
      p.logs = `Transcribing ${state.duration.toFixed(1)} s of audio\nDone.\n`;
    } else if (state.outcome === 'failed') {
      p.error = state.error ?? this.ctx.live.error ?? 'CUDA out of memory';
      p.logs = `Traceback (most recent call last):\n  File "predict.py", line 120, in predict\nRuntimeError: ${String(p.error)}\n`;
      p.metrics = { predict_time: predictTime };
    } else {
      p.metrics = {};
    }
  }

  /** Moves a prediction one GET further along starting → processing → end. */
  private advance(state: FakePredictionState): void {
    const p = state.prediction;
    if (TERMINAL.has(p.status as string)) return;
    state.polls++;
    const starting = this.ctx.live.steps?.starting ?? 1;
    const processing = this.ctx.live.steps?.processing ?? 1;
    if (state.polls <= starting) p.status = 'starting';
    else if (state.polls <= starting + processing) {
      if (p.status !== 'processing') {
        p.status = 'processing';
        p.started_at = new Date().toISOString();
        p.logs = 'Loading model...\n';
      }
    } else this.finish(state);
  }

  private async resolveAudio(ref: unknown): Promise<{ bytes?: Buffer; problem?: string }> {
    if (typeof ref !== 'string' || ref === '') return { problem: 'no audio given' };
    if (ref.startsWith('data:')) {
      const comma = ref.indexOf(',');
      if (comma < 0 || !ref.slice(0, comma).includes(';base64')) return { problem: 'malformed data URI' };
      return { bytes: Buffer.from(ref.slice(comma + 1), 'base64') };
    }
    let url: URL;
    try {
      url = new URL(ref);
    } catch {
      // file_string: plain base64
      return { bytes: Buffer.from(ref, 'base64') };
    }
    const match = /^\/v1\/files\/([^/]+)/.exec(url.pathname);
    const file = match ? this.ctx.files.get(match[1]!) : undefined;
    if (!file) return { problem: `could not download ${ref}` };
    return { bytes: file.bytes };
  }

  private async durationOf(bytes: Buffer): Promise<number> {
    const fromWav = parseWav(bytes)?.duration;
    if (fromWav !== undefined) return fromWav;
    const path = join(this.ctx.scratch, `probe-${this.ctx.nextFileSeq()}`);
    await writeFile(path, bytes);
    const probed = await audioDuration(path, { env: process.env }).catch(() => undefined);
    await rm(path, { force: true });
    // Unknown formats: assume 64 kbit/s.
    return probed ?? Math.round((bytes.length / 8000) * 1000) / 1000;
  }
}

const view = (state: FakePredictionState) => ({ ...state.prediction, urls: { ...(state.prediction.urls as object) } });
