// Error answers of the fake OpenAI server, in the service's `{ error: { message, type, param,
// code } }` shape: request checks (key, model/format combinations) throw them, and the
// scripted faults (429, 5xx, any status) are made of them.
import type { Answer } from '@spx/core/testing';

export class HttpFailure extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly errorType: string,
    readonly code: string | null = null,
    readonly param: string | null = null,
  ) {
    super(message);
  }

  answer(headers: Record<string, string> = {}): Answer {
    return { status: this.status, headers, json: { error: { message: this.message, type: this.errorType, param: this.param, code: this.code } } };
  }
}

/** The error answer with the presented key appended to its message, as some proxies do. */
export function withKeyEchoed(answer: Answer, key: string): Answer {
  const error = (answer.json as { error?: { message?: unknown } } | undefined)?.error;
  if (typeof error?.message !== 'string' || error.message.includes(key)) return answer;
  return { ...answer, json: { error: { ...error, message: `${error.message} (request made with API key ${key})` } } };
}

/** The key after `Bearer `, or '' when none was sent. */
export function bearer(authorization: string | undefined): string {
  const header = authorization ?? '';
  return header.startsWith('Bearer ') ? header.slice(7) : '';
}

export function checkAuth(given: string, apiKey: string, echoKey = false): void {
  if (given !== apiKey) {
    // Like the real service, show only the ends of the key (unless told to echo it).
    const shown = echoKey ? given : given.length > 8 ? `${given.slice(0, 3)}****${given.slice(-4)}` : '****';
    throw new HttpFailure(401, `Incorrect API key provided: ${shown}. You can find your API key at https://platform.openai.com/account/api-keys.`, 'invalid_request_error', 'invalid_api_key');
  }
}

/** The spec's model / response_format / timestamp_granularities rules. */
export function validateCombination(model: string, format: string, fields: Record<string, string[]>): void {
  const bad = (message: string, param: string) => new HttpFailure(400, message, 'invalid_request_error', null, param);
  const granularities = fields['timestamp_granularities[]'] ?? fields.timestamp_granularities ?? [];
  if (!['json', 'text', 'srt', 'verbose_json', 'vtt', 'diarized_json'].includes(format)) throw bad(`Invalid response_format '${format}'.`, 'response_format');
  if (granularities.length > 0 && format !== 'verbose_json') throw bad('timestamp_granularities requires response_format=verbose_json.', 'timestamp_granularities');
  if (model.includes('diarize')) {
    if (fields.prompt) throw bad(`prompt is not supported with model ${model}.`, 'prompt');
    if (!['json', 'text', 'diarized_json'].includes(format)) throw bad(`response_format '${format}' is not compatible with model ${model}.`, 'response_format');
  } else if (model.startsWith('gpt-')) {
    if (format !== 'json') throw bad(`response_format '${format}' is not compatible with model ${model}. Use 'json'.`, 'response_format');
  } else if (format === 'diarized_json') {
    throw bad(`response_format 'diarized_json' is only supported with gpt-4o-transcribe-diarize.`, 'response_format');
  }
}
