// @spx/core — what a plugin needs: the stage contract, errors, redaction, HTTP with retries, the
// remote-job kit, the canonical documents and their readers, and a few file and async helpers.
// The engine (loading, running, stores, runs), file formats, metrics and testing helpers are the
// subpaths @spx/core/engine, /formats, /metrics and /testing. test/exports.test.ts snapshots
// every entry's names, so the public API grows only by a reviewed decision.
export { SpxError, SpxAggregateError, isSpxError, toSpxError, EXIT, type SpxErrorOptions, type SourceLocation } from './errors/errors.js';
export type { ErrorCode } from './errors/codes.js';
export { registerSecret, redact, excerpt } from './errors/redact.js';
export type * from './plugins/types.js';
export { definePlugin, defineStage } from './plugins/define.js';
export { Enum } from './plugins/params.js';
export { Type, type Static, type TSchema } from '@sinclair/typebox';
export { TRANSCRIPT_FORMAT, DIARIZATION_FORMAT, transcriptDocument, diarizationDocument, type TranscriptFields, type DiarizationFields } from './transcript/types.js';
export { TranscriptSchema, DiarizationSchema, SegmentSchema, WordSchema, SpeakerTurnSchema, type Transcript, type Diarization, type Segment, type Word, type SpeakerTurn, type ChunkProvenance } from './transcript/schema.js';
export { readTranscript, readDiarization, readDocument, checkDocument, TRANSCRIPT, DIARIZATION, type DocumentKind } from './transcript/read.js';
export { writeTranscriptFiles, type TranscriptFiles } from './transcript/outputs.js';
export { stitch, pieceResult, shiftSegments, roundMs, type PieceResult, type PieceSegment, type PieceUpload, type PieceAnswer, type StitchOptions } from './transcript/stitch.js';
export { turnsFromSegments, diarizationFrom } from './transcript/turns.js';
export { linkSpeakers, numberSpeakers, speakerLabel, MIN_SHARED_SECONDS, type SpeakerPiece } from './transcript/speakers.js';
export { fetchWithRetry, readJson, apiError, checkBaseUrl, defaultRetryPolicy, type RetryPolicy, type RetryEvent, type FetchWithRetryOptions } from './http/retry.js';
export { serviceRoot, type ServiceSettings } from './http/service.js';
export * from './remote/index.js';
export { sha256, sha256File } from './artifacts/hash.js';
export { tempPathFor } from './artifacts/atomic.js';
export { mapPool } from './util/pool.js';
export { sleep } from './util/sleep.js';
export { canonicalJson } from './util/canonical.js';
export { SPX_VERSION } from './version.js';
