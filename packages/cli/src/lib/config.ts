// Settings from the command line, the environment and config files, with where each came from.
// Precedence: flag > environment variable > project file (spx.config.yaml, found from the working
// directory upward) > user file ($XDG_CONFIG_HOME/spx/config.yaml) > built-in default. A config
// file is input: parsed as YAML, validated against schema/config.schema.json, and every problem
// reported with file:line:column. Relative paths in a file are relative to that file.
import { existsSync, readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { Ajv, type ErrorObject } from 'ajv';
import { SpxAggregateError, SpxError, isSpxError, type SourceLocation } from '@spx/core';
import { defaultStoreUrl, parseYaml } from '@spx/core/engine';

type Env = Readonly<Record<string, string | undefined>>;

export const PROJECT_FILE = 'spx.config.yaml';
export const CONFIG_SCHEMA_PATH = new URL('../../schema/config.schema.json', import.meta.url);

export interface ConfigValues {
  store?: string;
  workDir?: string;
  outDir?: string;
  concurrency?: number;
  ttlHours?: number;
  pricing?: Record<string, number>;
}

export type SettingName = Exclude<keyof ConfigValues, 'pricing'>;

export interface Setting<T> {
  value: T;
  /** `flag --store`, `env SPX_STORE`, `FILE:LINE:COLUMN` or `default`. */
  source: string;
}

export interface Settings {
  store: Setting<string>;
  workDir: Setting<string>;
  outDir: Setting<string | undefined>;
  concurrency: Setting<number>;
  ttlHours: Setting<number | undefined>;
  /** Per stage id, each with its own source (the project's entries win over the user's). */
  pricing: Record<string, Setting<number>>;
  files: { project?: string; user: string };
}

interface ConfigFile {
  file: string;
  values: ConfigValues;
  at: (key: string) => SourceLocation;
}

const ENV: Record<SettingName, string> = { store: 'SPX_STORE', workDir: 'SPX_WORK_DIR', outDir: 'SPX_OUT_DIR', concurrency: 'SPX_CONCURRENCY', ttlHours: '--ttl-hours' };
const FLAG: Record<SettingName, string> = { store: '--store', workDir: '--work-dir', outDir: '--out', concurrency: '--concurrency', ttlHours: '--ttl-hours' };
const PATHS = new Set<SettingName>(['workDir', 'outDir']);

/** The nearest spx.config.yaml from `cwd` upward. */
export function findProjectConfig(cwd = process.cwd()): string | undefined {
  for (let dir = resolve(cwd); ; dir = dirname(dir)) {
    if (existsSync(join(dir, PROJECT_FILE))) return join(dir, PROJECT_FILE);
    if (dirname(dir) === dir) return undefined;
  }
}

export function userConfigPath(env: Env = process.env): string {
  return join(env.XDG_CONFIG_HOME || join(env.HOME || homedir(), '.config'), 'spx', 'config.yaml');
}

let validator: ReturnType<Ajv['compile']> | undefined;

function configError(file: string, loc: SourceLocation, message: string, hint: string): SpxError {
  return new SpxError('CONFIG_INVALID', message, { loc: { ...loc, file }, hint });
}

/** Reads and validates one config file; throws CONFIG_INVALID (every problem, each located). */
export function readConfigFile(file: string): ConfigFile {
  let parsed: ReturnType<typeof parseYaml>;
  try {
    parsed = parseYaml(file, readFileSync(file, 'utf8'));
  } catch (error) {
    if (!isSpxError(error)) throw new SpxError('CONFIG_INVALID', `Config file ${file} cannot be read.`, { hint: 'Check that it is a readable file.', cause: error });
    const problems = error instanceof SpxAggregateError ? error.errors : [error];
    throw located(file, problems.map((p) => configError(file, p.loc ?? { file, line: 1, column: 1 }, p.message, p.hint ?? 'Fix the YAML.')));
  }
  const value = parsed.value ?? {};
  validator ??= new Ajv({ allErrors: true, strict: false }).compile(JSON.parse(readFileSync(CONFIG_SCHEMA_PATH, 'utf8')) as object);
  if (typeof value !== 'object' || Array.isArray(value)) throw located(file, [configError(file, parsed.locate([]), 'A config file must be a mapping of settings.', 'Write settings as key: value lines (spx config show lists them).')]);
  if (!validator(value)) {
    // A bad pricing key is reported once (propertyNames), not again by the pattern it failed.
    const errors = (validator.errors ?? []).filter((e) => e.propertyName === undefined || e.keyword === 'propertyNames');
    throw located(file, errors.map((e) => schemaProblem(file, e, parsed.locate)));
  }
  const values = value as ConfigValues;
  // As for SPX_TTL_HOURS: a lifetime under a day would let a long run's first checkpoints expire.
  if (values.ttlHours !== undefined && values.ttlHours > 0 && values.ttlHours < 24) {
    throw configError(file, parsed.locate(['ttlHours']), `Invalid value for "ttlHours": ${values.ttlHours} hours is under a day.`, 'Set 0 (forever) or 24 to 87600 hours.');
  }
  return { file, values, at: (key) => parsed.locate(key.split('.').length > 1 ? ['pricing', key.slice('pricing.'.length)] : [key], { key: true }) };
}

function schemaProblem(file: string, e: ErrorObject, locate: ReturnType<typeof parseYaml>['locate']): SpxError {
  const path = e.instancePath.split('/').slice(1).map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const extra = e.keyword === 'additionalProperties' ? String((e.params as { additionalProperty: string }).additionalProperty) : e.keyword === 'propertyNames' ? String((e.params as { propertyName: string }).propertyName) : undefined;
  const key = extra !== undefined ? [...path, extra] : path;
  const name = key.join('.') || 'config';
  const message = e.keyword === 'additionalProperties' ? `Unknown setting "${name}".` : e.keyword === 'propertyNames' ? `"${extra}" is not a stage id (plugin/stage).` : `Invalid value for "${name}": ${e.message}.`;
  return configError(file, locate(key, { key: extra !== undefined }), message, e.keyword === 'additionalProperties' ? 'Settings: store, workDir, outDir, concurrency, ttlHours, pricing.' : 'Fix the value (schema/config.schema.json of @spx/cli describes each setting).');
}

function located(file: string, errors: SpxError[]): SpxError {
  return errors.length === 1 ? errors[0]! : new SpxAggregateError('CONFIG_INVALID', `${file}: ${errors.length} problems found.`, errors, { hint: errors[0]?.hint });
}

function fromFile<K extends SettingName>(config: ConfigFile | undefined, name: K): Setting<NonNullable<ConfigValues[K]>> | undefined {
  const value = config?.values[name];
  if (value === undefined || !config) return undefined;
  const loc = config.at(name);
  const base = dirname(config.file);
  let resolved: unknown = value;
  if (PATHS.has(name)) resolved = resolve(base, String(value));
  if (name === 'store') resolved = storeRelativeTo(String(value), base);
  return { value: resolved as NonNullable<ConfigValues[K]>, source: `${loc.file}:${loc.line}:${loc.column}` };
}

/** A relative SQLite path in a config file is relative to the file. */
function storeRelativeTo(url: string, base: string): string {
  if (url.startsWith('sqlite://')) return isAbsolute(url.slice(9)) ? url : `sqlite://${resolve(base, url.slice(9))}`;
  return /^[a-z]+:\/\//i.test(url) || url.startsWith('memory') || isAbsolute(url) ? url : resolve(base, url);
}

function fromEnv(name: SettingName, env: Env): Setting<string | number> | undefined {
  const raw = env[ENV[name]];
  if (!raw) return undefined;
  if (name === 'concurrency') {
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 1 || n > 32) throw new SpxError('ENV_INVALID', `${ENV[name]}="${raw}" is not a whole number from 1 to 32.`, { hint: `Fix or unset ${ENV[name]}.` });
    return { value: n, source: `env ${ENV[name]}` };
  }
  if (name === 'ttlHours') return { value: Number(raw), source: `env ${ENV[name]}` };
  return { value: raw, source: `env ${ENV[name]}` };
}

/** Every setting's effective value and its source. `flags` holds what was given on the command line. */
export function resolveSettings(flags: Partial<Record<SettingName, string | number>> = {}, env: Env = process.env, cwd = process.cwd()): Settings {
  const projectFile = findProjectConfig(cwd);
  const userFile = userConfigPath(env);
  const project = projectFile ? readConfigFile(projectFile) : undefined;
  const user = existsSync(userFile) ? readConfigFile(userFile) : undefined;
  const pick = <K extends SettingName>(name: K): Setting<unknown> | undefined =>
    (flags[name] !== undefined && flags[name] !== '' ? { value: flags[name], source: `flag ${FLAG[name]}` } : undefined) ?? fromEnv(name, env) ?? fromFile(project, name) ?? fromFile(user, name);
  const pricing: Record<string, Setting<number>> = {};
  for (const config of [user, project]) {
    for (const [stage, usd] of Object.entries(config?.values.pricing ?? {})) {
      const loc = config!.at(`pricing.${stage}`);
      pricing[stage] = { value: usd, source: `${loc.file}:${loc.line}:${loc.column}` };
    }
  }
  return {
    store: (pick('store') as Setting<string>) ?? { value: defaultStoreUrl(cwd), source: 'default' },
    workDir: (pick('workDir') as Setting<string>) ?? { value: '.spx', source: 'default' },
    outDir: (pick('outDir') as Setting<string>) ?? { value: undefined, source: 'default (next to each input)' },
    concurrency: (pick('concurrency') as Setting<number>) ?? { value: 1, source: 'default' },
    ttlHours: (pick('ttlHours') as Setting<number>) ?? { value: undefined, source: 'default (168 hours)' },
    pricing,
    files: { ...(projectFile ? { project: projectFile } : {}), user: userFile },
  };
}
