// A stage's fingerprint: plugin name@version, stage version, canonical params (with defaults,
// references symbolic), the digests of the upstream outputs it consumes and the content hashes
// of the inputs it references. Equal fingerprint + verified artifacts = reuse.
import { sha256 } from '../artifacts/hash.js';
import { redact } from '../errors/redact.js';
import type { StageRecord } from '../checkpoints/state.js';
import type { Json } from '../plugins/types.js';
import { canonicalJson } from '../util/canonical.js';

export interface FingerprintParts {
  uses: string;
  plugin: string;
  pluginVersion: string;
  stageVersion?: string;
  params: Json;
  upstream: Record<string, string>;
  inputs: Record<string, string>;
  /** Where user-facing files go, for stages that publish them. */
  destination?: { outDir: string; stem: string };
}

/** The parts a recorded checkpoint's fingerprint was made of. */
export function partsOf(record: StageRecord): FingerprintParts {
  return {
    uses: record.uses,
    plugin: record.plugin,
    pluginVersion: record.pluginVersion,
    ...(record.stageVersion ? { stageVersion: record.stageVersion } : {}),
    params: record.params,
    upstream: record.upstream,
    inputs: record.inputs,
    ...(record.destination ? { destination: record.destination } : {}),
  };
}

export function fingerprint(parts: FingerprintParts): string {
  return sha256(canonicalJson(parts));
}

export function outputDigest(outputs: Record<string, unknown>): string {
  return sha256(canonicalJson(outputs));
}

/** The outputs with file locations left out: what they say, not where their files live. */
function contentOf(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(contentOf);
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>);
    const isFile = (value as { kind?: unknown }).kind === 'file' && typeof (value as { sha256?: unknown }).sha256 === 'string';
    return Object.fromEntries(entries.filter(([k]) => !(isFile && k === 'path')).map(([k, v]) => [k, contentOf(v)]));
  }
  return value;
}

/**
 * The digest to record for new outputs. Outputs with the same content as the previous checkpoint's
 * (the same values and file bytes, wherever the files now live) keep its digest, so stages
 * downstream of a stage that reran with the same result are reused, not rerun (and not paid again).
 */
export function stableOutputDigest(outputs: Record<string, unknown>, previous: { outputs: Record<string, unknown>; outputDigest: string } | undefined): string {
  if (previous && canonicalJson(contentOf(outputs)) === canonicalJson(contentOf(previous.outputs))) return previous.outputDigest;
  return outputDigest(outputs);
}

/** Human reasons why `next` differs from the recorded parts. */
export function explainChange(prev: FingerprintParts, next: FingerprintParts): string[] {
  const reasons: string[] = [];
  if (prev.plugin !== next.plugin || prev.pluginVersion !== next.pluginVersion) reasons.push(`plugin changed (${prev.plugin}@${prev.pluginVersion} → ${next.plugin}@${next.pluginVersion})`);
  if (prev.stageVersion !== next.stageVersion) reasons.push(`stage version changed (${prev.stageVersion ?? '-'} → ${next.stageVersion ?? '-'})`);
  if (prev.uses !== next.uses) reasons.push(`uses changed (${prev.uses} → ${next.uses})`);
  const changed = diffKeys(prev.params, next.params);
  if (changed.length) reasons.push(`params changed (${changed.join(', ')})`);
  for (const [id, digest] of Object.entries(next.upstream)) if (prev.upstream[id] !== digest) reasons.push(`upstream "${id}" output changed`);
  for (const [name, hash] of Object.entries(next.inputs)) if (prev.inputs[name] !== hash) reasons.push(`input "${name}" content changed`);
  if (canonicalJson(prev.destination ?? null) !== canonicalJson(next.destination ?? null)) reasons.push('output location changed');
  return reasons.length ? reasons : ['fingerprint changed'];
}

function diffKeys(a: Json | undefined, b: Json | undefined, prefix = ''): string[] {
  if (canonicalJson(a ?? null) === canonicalJson(b ?? null) && (a === undefined) === (b === undefined)) return [];
  const isObj = (v: Json | undefined): v is { [k: string]: Json } => !!v && typeof v === 'object' && !Array.isArray(v);
  if (!isObj(a) || !isObj(b)) return [`${prefix || 'params'}: ${short(a)} → ${short(b)}`];
  const out: string[] = [];
  for (const key of new Set([...Object.keys(a), ...Object.keys(b)])) out.push(...diffKeys(a[key], b[key], prefix ? `${prefix}.${key}` : key));
  return out;
}

function short(v: Json | undefined): string {
  if (v === undefined) return 'unset';
  const s = redact(JSON.stringify(v));
  return s.length > 40 ? `${s.slice(0, 37)}...` : s;
}
