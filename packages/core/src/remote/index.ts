// The remote-job kit: what every plugin calling an async job API (upload, submit, poll) shares.
export { runRemoteJob, MAX_SUBMISSIONS, type JobState, type Submitted, type RemoteJobOptions, type RemoteJobResult } from './job.js';
export { uploadOnce, uploadKeptFor, DEFAULT_UPLOAD_MARGIN_MS, type UploadOnceOptions, type UploadKeptForOptions } from './upload.js';
export { PollClock, formatDuration, type PollSchedule } from './schedule.js';
export { storedValue } from './memo.js';
