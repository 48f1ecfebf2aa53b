// One process of the fleet-limit test (test/fault/fleet-limits.test.ts): sends COUNT requests one
// after another through core's fetchWithRetry, as a plugin in a worker's run would; the limits
// come from SPX_LIMITS_REDIS and SPX_PROVIDER_LIMITS in its environment.
// With GATED=1 it first waits at the server's /gate (a plain request, answered when the test lets
// the process go), so its first limited request leaves a warm process at a moment the test picks.
// Usage: node --import tsx limit-client.ts URL COUNT GATED
import { fetchWithRetry } from '../../packages/core/src/http/retry.js';

const [url, count, gated] = process.argv.slice(2) as [string, string, string];
if (gated === '1') await (await fetch(`${url}/gate`)).text();
for (let i = 0; i < Number(count); i++) {
  const response = await fetchWithRetry(`${url}/r/${process.pid}/${i}`, { method: 'POST' }, { service: 'fake', policy: { baseDelayMs: 10, maxDelayMs: 5000 } });
  if (response.status !== 200) throw new Error(`HTTP ${response.status}`);
  await response.text();
}
