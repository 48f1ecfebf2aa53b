// @spx/plugin-replicate/testing: the fake Replicate server and its output generators, for tests
// in this and other packages.
export {
  startFakeReplicate,
  fakeVersionId,
  DEFAULT_FAKE_TOKEN,
  type FakeReplicate,
  type FakeReplicateOptions,
  type FakeFault,
  type FakeSteps,
  type FakeRequest,
  type FakeCounts,
  type FakeOutcome,
  type FakeModelKind,
  type FakePredictionState,
  type FakeFile,
} from './fake-server.js';
export { fakeWhisperDiarizationOutput, fakeWhisperxOutput, planSegments, type WhisperDiarizationFakeOptions, type WhisperxFakeOptions } from './outputs.js';
