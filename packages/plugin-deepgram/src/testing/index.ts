// `@spx/plugin-deepgram/testing`: the fake Deepgram server, for this package's tests and other
// packages' end-to-end tests.
export { startFakeDeepgram, FAKE_DEEPGRAM_KEY, type FakeDeepgram, type FakeDeepgramOptions, type FakeFault, type FakeListenRecord } from './fake-server.js';
export { hear, type Heard, type HeardWord } from './speech.js';
