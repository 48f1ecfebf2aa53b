// `@spx/plugin-assemblyai/testing`: the fake AssemblyAI server, for this package's tests and
// other packages' end-to-end tests and benches.
export { startFakeAssemblyAI, type FakeAssemblyAI, type FakeAssemblyAIOptions, type FakeFault, type FakeCounts, type FakeJobView, type FakeJobStatus } from './fake-server.js';
export { audioSeconds, cannedTranscript, type FakeWord, type FakeUtterance } from './speech.js';
