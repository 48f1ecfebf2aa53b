// The job model of the fake pyannoteAI server: diarize / voiceprint / identify jobs created on
// uploaded (or downloadable) audio, whose status goes created → pending → running → a terminal
// status as they are polled, or is held in "running" while paused; plus request validation.
import { randomUUID } from 'node:crypto';
import { makeOutput, readAudio, VOICEPRINT_PREFIX, type AudioRead, type FakeJobType } from './analysis.js';

export type { FakeJobType } from './analysis.js';
export type FakeJobStatus = 'created' | 'pending' | 'running' | 'succeeded' | 'failed' | 'canceled';

export interface FakeJobView {
  jobId: string;
  type: FakeJobType;
  status: FakeJobStatus;
  /** The request body as received. */
  request: Record<string, unknown>;
  /** Media key or URL the job reads. */
  url: string;
  /** Seconds of audio the job saw (0 when it could not read it). */
  duration: number;
  polls: number;
  expired: boolean;
}

export interface FakeOutcome {
  status: 'failed' | 'canceled';
  error?: string;
}

interface Job extends FakeJobView {
  createdAt: string;
  updatedAt: string;
  /** Non-terminal polls answered so far. */
  progressed: number;
  outcome?: FakeOutcome;
  output?: Record<string, unknown>;
}

export interface Problem {
  field: string;
  message: string;
}

export interface JobSettings {
  /** Polls a job answers as pending/running before its terminal status. */
  jobSteps: number;
  outcome?: (job: FakeJobView) => FakeOutcome | undefined;
  voiceprintMaxSeconds?: number;
  paused?: boolean | FakeJobType[];
}

/** The counters job creation moves. */
export interface JobCounts {
  jobsCreated: number;
  diarizations: number;
  voiceprints: number;
  identifications: number;
}

export const MEDIA_PATTERN = /^media:\/\/[a-zA-Z0-9\-_./]+$/;
const MODELS: Record<FakeJobType, string[]> = { diarize: ['precision-2', 'community-1'], voiceprint: ['precision-2'], identify: ['precision-2'] };
const ALL_TYPES: FakeJobType[] = ['diarize', 'voiceprint', 'identify'];
const TRANSCRIPTION_MODELS = ['parakeet-tdt-0.6b-v3', 'faster-whisper-large-v3-turbo'];

export class FakeJobs {
  private readonly jobs = new Map<string, Job>();
  private held: Set<FakeJobType>;

  constructor(
    private readonly settings: JobSettings,
    /** Uploaded media by key. */
    private readonly media: Map<string, Buffer>,
    private readonly counts: JobCounts,
  ) {
    this.held = new Set(settings.paused === true ? ALL_TYPES : Array.isArray(settings.paused) ? settings.paused : []);
  }

  async create(type: FakeJobType, request: Record<string, unknown>): Promise<Job> {
    const { counts, settings } = this;
    const url = request.url as string;
    const now = new Date().toISOString();
    const audio = await this.loadAudio(url);
    const job: Job = { jobId: randomUUID(), type, status: 'created', request, url, duration: audio.ok ? audio.duration : 0, polls: 0, expired: false, createdAt: now, updatedAt: now, progressed: 0 };
    counts.jobsCreated++;
    if (type === 'diarize') counts.diarizations++;
    else if (type === 'voiceprint') counts.voiceprints++;
    else counts.identifications++;
    if (!audio.ok) job.outcome = { status: 'failed', error: audio.error };
    else if (type === 'voiceprint' && settings.voiceprintMaxSeconds !== undefined && audio.duration > settings.voiceprintMaxSeconds) {
      job.outcome = { status: 'failed', error: `Voiceprint audio must be at most ${settings.voiceprintMaxSeconds} s long (got ${audio.duration.toFixed(1)} s)` };
    }
    job.outcome ??= settings.outcome?.(view(job));
    if (!job.outcome && audio.ok) job.output = makeOutput(type, request, audio);
    this.jobs.set(job.jobId, job);
    return job;
  }

  /** A known, unexpired job. */
  find(jobId: string): Job | undefined {
    const job = this.jobs.get(jobId);
    return job && !job.expired ? job : undefined;
  }

  /** Answers one poll: moves the job a step on and gives its body. */
  poll(job: Job): Record<string, unknown> {
    job.polls++;
    this.advance(job);
    const base = { jobId: job.jobId, status: job.status, createdAt: job.createdAt, updatedAt: job.updatedAt };
    if (job.status === 'succeeded') return { ...base, output: job.output };
    if (job.status === 'failed' && job.outcome?.error) return { ...base, output: { error: job.outcome.error } };
    return base;
  }

  /** Unexpired jobs for GET /v2/jobs. */
  listing(): Array<{ id: string; status: FakeJobStatus; createdAt: string }> {
    return [...this.jobs.values()].filter((j) => !j.expired).map((j) => ({ id: j.jobId, status: j.status, createdAt: j.createdAt }));
  }

  views(): FakeJobView[] {
    return [...this.jobs.values()].map(view);
  }

  expire(jobId?: string): void {
    for (const job of this.jobs.values()) if (!jobId || job.jobId === jobId) job.expired = true;
  }

  pause(types: FakeJobType[]): void {
    this.held = new Set(types.length ? types : ALL_TYPES);
  }

  resume(): void {
    this.held = new Set();
  }

  private async loadAudio(url: string): Promise<AudioRead> {
    let data: Buffer | undefined;
    if (url.startsWith('media://')) {
      data = this.media.get(url);
      if (!data) return { ok: false, error: `Media ${url} was not found (never uploaded, or removed after 24 h)` };
    } else {
      try {
        const response = await fetch(url, { signal: AbortSignal.timeout(5000) });
        if (!response.ok) return { ok: false, error: `Could not download ${url} (HTTP ${response.status})` };
        data = Buffer.from(await response.arrayBuffer());
      } catch {
        return { ok: false, error: `Could not download ${url}` };
      }
    }
    return readAudio(data);
  }

  private advance(job: Job): void {
    if (job.status === 'succeeded' || job.status === 'failed' || job.status === 'canceled') return;
    if (this.held.has(job.type)) {
      job.status = job.progressed === 0 && job.status === 'created' ? 'pending' : 'running';
    } else if (job.progressed < this.settings.jobSteps) {
      job.progressed++;
      job.status = job.progressed === 1 ? 'pending' : 'running';
    } else {
      job.status = job.outcome?.status ?? 'succeeded';
    }
    job.updatedAt = new Date().toISOString();
  }
}

const view = (job: Job): FakeJobView => ({ jobId: job.jobId, type: job.type, status: job.status, request: job.request, url: job.url, duration: job.duration, polls: job.polls, expired: job.expired });

export function validateJob(type: FakeJobType, body: Record<string, unknown>): Problem[] {
  const problems: Problem[] = [];
  if (typeof body.url !== 'string' || !(MEDIA_PATTERN.test(body.url) || /^https?:\/\//.test(body.url))) problems.push({ field: 'url', message: 'Invalid URL' });
  if (body.model !== undefined && body.model !== null && !MODELS[type].includes(body.model as string)) problems.push({ field: 'model', message: `Must be one of ${MODELS[type].join(', ')}` });
  for (const field of ['numSpeakers', 'minSpeakers', 'maxSpeakers']) {
    const v = body[field];
    if (v !== undefined && v !== null && !(Number.isInteger(v) && (v as number) >= 1)) problems.push({ field, message: 'Must be an integer >= 1' });
  }
  if (typeof body.minSpeakers === 'number' && typeof body.maxSpeakers === 'number' && body.minSpeakers > body.maxSpeakers) problems.push({ field: 'minSpeakers', message: 'Must be <= maxSpeakers' });
  if (body.transcription !== undefined && body.transcription !== null && typeof body.transcription !== 'boolean') problems.push({ field: 'transcription', message: 'Must be a boolean' });
  if (body.transcription === true) {
    if (type !== 'diarize' || (body.model ?? 'precision-2') !== 'precision-2') problems.push({ field: 'transcription', message: 'Transcription is only available with precision-2' });
    const model = (body.transcriptionConfig as { model?: unknown } | undefined)?.model;
    if (model !== undefined && !TRANSCRIPTION_MODELS.includes(model as string)) problems.push({ field: 'transcriptionConfig.model', message: `Must be one of ${TRANSCRIPTION_MODELS.join(', ')}` });
  }
  if (type === 'identify') {
    const vps = body.voiceprints;
    if (!Array.isArray(vps) || vps.length < 1 || vps.length > 50) problems.push({ field: 'voiceprints', message: 'Between 1 and 50 voiceprints are required' });
    else
      vps.forEach((vp: { label?: unknown; voiceprint?: unknown }, i) => {
        if (typeof vp?.label !== 'string' || !vp.label || vp.label.length > 100 || /^speaker_/i.test(vp.label)) problems.push({ field: `voiceprints[${i}].label`, message: 'Must be 1-100 chars and not start with SPEAKER_' });
        if (typeof vp?.voiceprint !== 'string' || vp.voiceprint.length > 20_000 || !Buffer.from(vp.voiceprint, 'base64').toString().startsWith(VOICEPRINT_PREFIX)) problems.push({ field: `voiceprints[${i}].voiceprint`, message: 'Invalid voiceprint' });
      });
    const threshold = (body.matching as { threshold?: unknown } | undefined)?.threshold;
    if (threshold !== undefined && !(typeof threshold === 'number' && threshold >= 0 && threshold <= 100)) problems.push({ field: 'matching.threshold', message: 'Must be between 0 and 100' });
  }
  return problems;
}
