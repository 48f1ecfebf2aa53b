// What every vendor client does before its first request: the key is registered for redaction
// (a message or body that repeats it shows the variable's name), a base URL with user:password@
// is refused before anything is sent, and the server root is that URL or the service's default.
import { registerSecret } from '../errors/redact.js';
import { checkBaseUrl } from './retry.js';

/** Where a service's key and server come from. */
export interface ServiceSettings {
  /** The environment variable holding the key, e.g. "DEEPGRAM_API_KEY". */
  keyVariable: string;
  /** The environment variable naming another server, e.g. "DEEPGRAM_BASE_URL". */
  baseUrlVariable: string;
  /** The service's own server, used when no base URL is given. */
  defaultBaseUrl: string;
}

/**
 * Registers `apiKey` under `keyVariable`, refuses a `baseURL` with credentials (BASE_URL_INVALID,
 * naming `baseUrlVariable`), and returns the server root without trailing slashes.
 */
export function serviceRoot(apiKey: string, baseURL: string | undefined, settings: ServiceSettings): string {
  registerSecret(apiKey, settings.keyVariable);
  checkBaseUrl(baseURL, settings.baseUrlVariable, settings.keyVariable);
  return (baseURL || settings.defaultBaseUrl).replace(/\/+$/, '');
}
