// Test helpers of @spx/plugin-openai, importable by other packages' end-to-end tests
// as `@spx/plugin-openai/testing`.
export { startFakeOpenAI, faults, FAKE_API_KEY, UPLOAD_LIMIT_BYTES, type FakeOpenAI, type FakeOpenAIOptions, type FakeFault, type FakeRequestLog, type FakeRequestInfo } from './fake-server.js';
