// Readers for the canonical documents: read the file, parse it, validate it against its schema,
// and fail with one line naming the file, the first problem and who should have written it.
// Stages take their inputs through these (never a bare JSON.parse and a cast).
import { readFile } from 'node:fs/promises';
import type { Static, TSchema } from '@sinclair/typebox';
import { Ajv, type ValidateFunction } from 'ajv';
import { SpxError } from '../errors/errors.js';
import { DiarizationSchema, TranscriptSchema } from './schema.js';
import type { Diarization, Transcript } from './schema.js';

const ajv = new Ajv({ allErrors: false, strict: false });
const validators = new WeakMap<TSchema, ValidateFunction>();

function validatorFor(schema: TSchema): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) validators.set(schema, (validate = ajv.compile(schema)));
  return validate;
}

export interface DocumentKind<S extends TSchema> {
  schema: S;
  /** What the document is, for messages ("Transcript"). */
  what: string;
  /** Who writes it, for hints ("a transcription stage"). */
  producedBy: string;
}

export const TRANSCRIPT: DocumentKind<typeof TranscriptSchema> = { schema: TranscriptSchema, what: 'Transcript', producedBy: 'a transcription stage' };
export const DIARIZATION: DocumentKind<typeof DiarizationSchema> = { schema: DiarizationSchema, what: 'Diarization', producedBy: 'a diarization or identification stage' };

/** Validates a parsed value; throws INPUT_INVALID naming `source` and the first problem. */
export function checkDocument<S extends TSchema>(kind: DocumentKind<S>, value: unknown, source: string): Static<S> {
  const validate = validatorFor(kind.schema);
  if (validate(value)) return value as Static<S>;
  const first = validate.errors?.[0];
  const where = first?.instancePath ? ` at ${first.instancePath}` : '';
  throw new SpxError('INPUT_INVALID', `${kind.what} file "${source}" is not a valid ${String((kind.schema.properties as { format?: { const?: string } } | undefined)?.format?.const ?? kind.what)} document${where}: ${first?.message ?? 'invalid'}.`, {
    hint: `Pass the file ${kind.producedBy} wrote (formats: docs/transcript-format.md).`,
  });
}

/** Reads, parses and validates a document; also returns its text as read. */
export async function readDocumentText<S extends TSchema>(kind: DocumentKind<S>, path: string): Promise<{ text: string; value: Static<S> }> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code;
    if (code === 'ENOENT') throw new SpxError('INPUT_MISSING', `${kind.what} file "${path}" does not exist.`, { hint: `Point the parameter at the file ${kind.producedBy} wrote.`, cause: error });
    throw new SpxError('INPUT_INVALID', `${kind.what} file "${path}" cannot be read (${code ?? 'error'}).`, { hint: 'Check the path and its permissions.', cause: error });
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch (error) {
    throw new SpxError('INPUT_INVALID', `${kind.what} file "${path}" is not valid JSON.`, { hint: `Point the parameter at the JSON file ${kind.producedBy} wrote.`, cause: error });
  }
  return { text, value: checkDocument(kind, parsed, path) };
}

export async function readDocument<S extends TSchema>(kind: DocumentKind<S>, path: string): Promise<Static<S>> {
  return (await readDocumentText(kind, path)).value;
}

export const readTranscript = (path: string): Promise<Transcript> => readDocument(TRANSCRIPT, path);
export const readDiarization = (path: string): Promise<Diarization> => readDocument(DIARIZATION, path);
