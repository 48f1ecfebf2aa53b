export * from './codes.js';
export * from './errors.js';
export * from './format.js';
export { redact, redactValue, redactWrites, excerpt, registerSecret, registerUrlCredentials, registerSecretsFromEnv, urlCredentials, encodeUrlCredentials, CREDENTIAL_NAME, MIN_SECRET_LENGTH } from './redact.js';
