// `@spx/plugin-pyannote/testing`: the fake pyannoteAI server, for this package's tests and
// other packages' end-to-end tests.
export { startFakePyannote, readAudio, type FakePyannote, type FakePyannoteOptions, type FakeFault, type FakeCounts, type FakeJobView, type FakeJobType, type FakeJobStatus, type FakeOutcome, type FakeRequestRecord } from './fake-server.js';
