// The key and base URL from ctx.env, checked before a run starts, and the client built from them
// with retries logged as warnings.
import { SpxError, checkBaseUrl, defaultRetryPolicy, type RetryPolicy, type StageContext } from '@spx/core';
import { BASE_URL_VARIABLE, DeepgramClient, KEY_VARIABLE, SERVICE } from '../client.js';

type Env = Readonly<Record<string, string | undefined>>;

function missingKey(): SpxError {
  return new SpxError('MISSING_API_KEY', `${KEY_VARIABLE} is not set; the ${SERVICE} stage needs it.`, {
    hint: `Create a key at https://console.deepgram.com and export ${KEY_VARIABLE}=… before running (it is read from the environment only, never stored).`,
  });
}

export function preflightEnv(env: Env): void {
  if (!env[KEY_VARIABLE]?.trim()) throw missingKey();
  checkBaseUrl(env[BASE_URL_VARIABLE], BASE_URL_VARIABLE, KEY_VARIABLE);
}

export function clientFor(ctx: StageContext<unknown>, policy: Partial<RetryPolicy>): DeepgramClient {
  const apiKey = ctx.env[KEY_VARIABLE]?.trim();
  if (!apiKey) throw missingKey();
  const baseURL = ctx.env[BASE_URL_VARIABLE]?.trim();
  return new DeepgramClient({
    apiKey,
    ...(baseURL ? { baseURL } : {}),
    signal: ctx.signal,
    policy: { ...defaultRetryPolicy(ctx.env), ...policy },
    onRetry: (event) => ctx.logger.warn(`${SERVICE}: ${event.reason}; retrying in ${event.delayMs} ms (attempt ${event.attempt + 1}).`),
  });
}
