// The files API of the fake Replicate server: multipart uploads (a `content` file part and an
// optional JSON `metadata` part) kept in memory, and the FileObject the API answers with.
import { createHash } from 'node:crypto';
import { parseMultipart, problemAnswer, type Answer } from '@spx/core/testing';
import { fakeId, type ReplicateContext } from './context.js';

export interface FakeFile {
  id: string;
  bytes: Buffer;
  contentType: string;
  filename: string;
  metadata: unknown;
}

/** POST /v1/files: 201 with the FileObject, or 400 / 413 problems. */
export async function uploadFile(ctx: ReplicateContext, contentType: string, raw: Buffer): Promise<Answer> {
  const read = await parseMultipart(contentType, raw);
  if (!read.ok) return problemAnswer(400, 'Bad request', read.problem === 'not-multipart' ? 'Expected a multipart/form-data body with a "content" part.' : 'Malformed multipart body.');
  const content = read.form.get('content');
  if (!content || typeof content === 'string') return problemAnswer(400, 'Bad request', 'Missing "content" file part.');
  const bytes = Buffer.from(await content.arrayBuffer());
  const limit = ctx.live.maxUploadBytes ?? 100 * 1024 * 1024;
  if (bytes.length > limit) return problemAnswer(413, 'Payload too large', `File is ${bytes.length} bytes; the limit is ${limit}.`);
  let metadata: unknown = {};
  const meta = read.form.get('metadata');
  if (meta) {
    try {
      metadata = JSON.parse(typeof meta === 'string' ? meta : await meta.text());
    } catch {
      return problemAnswer(400, 'Bad request', 'The "metadata" part is not JSON.');
    }
  }
  ctx.counts.uploads++;
  const id = fakeId(ctx.salt, 'file', ctx.nextFileSeq());
  const file: FakeFile = { id, bytes, contentType: content.type || 'application/octet-stream', filename: content.name || 'file', metadata };
  ctx.files.set(id, file);
  return { status: 201, json: fileObject(ctx, file) };
}

export function fileObject(ctx: Pick<ReplicateContext, 'baseURL'>, file: FakeFile): Record<string, unknown> {
  const created = new Date();
  return {
    id: file.id,
    content_type: file.contentType,
    size: file.bytes.length,
    checksums: { sha256: createHash('sha256').update(file.bytes).digest('hex') },
    metadata: file.metadata,
    created_at: created.toISOString(),
    expires_at: new Date(created.getTime() + 24 * 3600_000).toISOString(),
    urls: { get: `${ctx.baseURL()}/v1/files/${file.id}` },
  };
}
