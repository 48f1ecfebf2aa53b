// A kit for fake HTTP APIs in tests: a server on 127.0.0.1 that closes cleanly, a router, one
// fault model, a request log, body readers, answers and latency. The fake OpenAI, pyannoteAI
// and Replicate servers are built on it; a plugin for another API can build its own fake the same way.
export { startFakeHttp, type Exchange, type FakeHttp, type FakeHttpOptions } from './server.js';
export { Router, type RouteMatch, type RouteParams } from './router.js';
export { FaultScript, serveFault, transportFault, type Fault, type FaultCounting, type FaultRule, type TransportFault } from './faults.js';
export { LOG_BODIES_UP_TO, type ReceivedRequest } from './request-log.js';
export { readBody, parseJson, asJsonObject, parseMultipart, type BodyRead, type JsonRead, type MultipartRead } from './body.js';
export { sendAnswer, problemAnswer, dropConnection, type Answer } from './respond.js';
export { pause } from './latency.js';
