// `@spx/plugin-elevenlabs/testing`: the fake ElevenLabs Speech-to-Text server, for this package's
// tests and other packages' end-to-end tests and benches.
export { startFakeElevenLabs, type FakeElevenLabs, type FakeElevenLabsOptions, type FakeFault, type FakeCounts, type FakeTranscriptionRecord } from './fake-server.js';
export { scribeTokens, type FakeToken } from './tokens.js';
