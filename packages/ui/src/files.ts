// The files a run may have served: its recorded artifacts, its exports and its input, each under
// an id made from the run state — never a path from the request. A store is untrusted, so a file
// is sent only when its bytes hash to what the state records (cached per file identity), and a
// stage artifact only from the run's own stage directories. Ranges make audio seekable.
import { createReadStream } from 'node:fs';
import { stat } from 'node:fs/promises';
import { createHash } from 'node:crypto';
import { basename, extname } from 'node:path';
import { Readable } from 'node:stream';
import type { Context } from 'hono';
import { problem } from './auth.js';
import { isRunArtifactPath, sha256File, storeKeys, type RunState, type Store } from './engine.js';

export interface RunFile {
  id: string;
  stage: string | null;
  name: string;
  path: string;
  bytes: number | null;
  sha256: string;
  kind: 'artifact' | 'export' | 'input';
  mediaType: string;
}

const MEDIA: Record<string, string> = {
  '.wav': 'audio/wav',
  '.mp3': 'audio/mpeg',
  '.m4a': 'audio/mp4',
  '.aac': 'audio/aac',
  '.ogg': 'audio/ogg',
  '.oga': 'audio/ogg',
  '.opus': 'audio/ogg',
  '.flac': 'audio/flac',
  '.webm': 'audio/webm',
  '.mp4': 'video/mp4',
  '.json': 'application/json',
  '.srt': 'text/plain; charset=utf-8',
  '.vtt': 'text/vtt; charset=utf-8',
  '.txt': 'text/plain; charset=utf-8',
  '.md': 'text/markdown; charset=utf-8',
  '.tsv': 'text/tab-separated-values; charset=utf-8',
  '.rttm': 'text/plain; charset=utf-8',
};

export const mediaTypeOf = (path: string): string => MEDIA[extname(path).toLowerCase()] ?? 'application/octet-stream';
export const isPlayable = (file: RunFile): boolean => /^(audio|video)\//.test(file.mediaType);

const fileId = (runId: string, stage: string, path: string) => createHash('sha256').update(`${runId}\0${stage}\0${path}`).digest('hex').slice(0, 16);

/** Every file of the run the UI can offer, with its id. */
export function runFiles(state: RunState): RunFile[] {
  const files: RunFile[] = [];
  for (const [stage, record] of Object.entries(state.stages ?? {})) {
    for (const a of record.artifacts ?? []) {
      const exported = a.export === true || record.destination !== undefined;
      files.push({ id: fileId(state.id, stage, a.path), stage, name: a.name, path: a.path, bytes: a.bytes, sha256: a.sha256, kind: exported ? 'export' : 'artifact', mediaType: mediaTypeOf(a.path) });
    }
  }
  const hashes = Object.values(state.input_hashes ?? {});
  if (state.input_file && hashes.length === 1) {
    files.push({ id: 'input', stage: null, name: basename(state.input_file), path: state.input_file, bytes: null, sha256: hashes[0]!, kind: 'input', mediaType: mediaTypeOf(state.input_file) });
  }
  return files;
}

/** The audio to play with the transcript: the input when a browser plays it, else the first audio artifact. */
export function audioOf(files: RunFile[]): RunFile | undefined {
  const input = files.find((f) => f.kind === 'input');
  return input && isPlayable(input) ? input : files.find((f) => f.kind === 'artifact' && f.mediaType.startsWith('audio/'));
}

interface Identity {
  size: number;
  mtimeMs: number;
  ino: number;
  dev: number;
}

/** Verification by content, remembered per file identity for the server's lifetime. */
export class FileVerifier {
  private readonly verified = new Map<string, string>();
  constructor(private readonly store: Store) {}

  /** The file's size when its bytes are what the state records, else why not. */
  async check(state: RunState, file: RunFile): Promise<{ ok: true; size: number } | { ok: false; reason: string }> {
    if (file.kind === 'artifact' && !isRunArtifactPath(file.path, state.id)) return { ok: false, reason: 'it is recorded outside the run directory' };
    let info: Identity & { isFile(): boolean };
    try {
      info = await stat(file.path);
    } catch {
      return { ok: false, reason: 'missing' };
    }
    if (!info.isFile()) return { ok: false, reason: 'not a file' };
    if (file.bytes !== null && info.size !== file.bytes) return { ok: false, reason: 'changed since it was written' };
    const key = `${file.path}\0${info.size}\0${info.mtimeMs}\0${info.ino}\0${info.dev}`;
    let hash = this.verified.get(key);
    if (hash === undefined && file.kind === 'input') hash = await this.cachedInputHash(file.path, info);
    hash ??= await sha256File(file.path);
    if (hash !== file.sha256) return { ok: false, reason: 'changed since it was written' };
    this.verified.set(key, hash);
    return { ok: true, size: info.size };
  }

  /** spx run's own content hash of an input, when the file is still exactly the one it hashed. */
  private async cachedInputHash(path: string, info: Identity): Promise<string | undefined> {
    const cached = await this.store.get<Identity & { ctimeMs?: number; sha256?: string }>(storeKeys.fileHash(path)).catch(() => undefined);
    const same = cached && cached.size === info.size && cached.mtimeMs === info.mtimeMs && cached.ino === info.ino && cached.dev === info.dev;
    return same && typeof cached.sha256 === 'string' ? cached.sha256 : undefined;
  }
}

/** Sends the file, honouring one byte range (`Range: bytes=a-b`) so players can seek. */
export function sendFile(c: Context, file: RunFile, size: number, download: boolean): Response {
  const headers: Record<string, string> = {
    'Content-Type': file.mediaType,
    'Accept-Ranges': 'bytes',
    'Cache-Control': 'private, max-age=0',
    'Content-Disposition': `${download ? 'attachment' : 'inline'}; filename="${file.name.replace(/[^\w.-]/g, '_')}"`,
  };
  const range = c.req.header('range');
  let start = 0;
  let end = size - 1;
  let status: 200 | 206 = 200;
  if (range) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    if (m && (m[1] || m[2])) {
      if (m[1]) {
        start = Number(m[1]);
        end = m[2] ? Math.min(Number(m[2]), size - 1) : size - 1;
      } else {
        start = Math.max(0, size - Number(m[2]));
      }
    }
    if (!m || start > end || start >= size) {
      return new Response(null, { status: 416, headers: { 'Content-Range': `bytes */${size}` } });
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = String(size === 0 ? 0 : end - start + 1);
  if (c.req.method === 'HEAD' || size === 0) return new Response(null, { status, headers });
  const stream = Readable.toWeb(createReadStream(file.path, { start, end })) as ReadableStream<Uint8Array>;
  return new Response(stream, { status, headers });
}

export const notFound = (c: Context) => problem(c, 404, 'NOT_FOUND', 'No such file in this run.', 'Files are offered by the run page; their ids come from the run state.');
