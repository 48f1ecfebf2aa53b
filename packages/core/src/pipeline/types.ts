import type { SourceLocation } from '../errors/errors.js';
import type { Plugin, StageDefinition } from '../plugins/types.js';

export interface PipelineInputSpec {
  type: 'file' | 'string' | 'number' | 'boolean';
  description?: string;
  default?: unknown;
}

export interface PipelineStageSpec {
  uses: string;
  description?: string;
  with?: Record<string, unknown>;
  needs?: string[];
}

/** The pipeline document as written (after `extends` is merged). */
export interface PipelineSpec {
  spx: 1;
  name: string;
  version: string;
  description?: string;
  /** Why and from when the pipeline stops working, and what to use instead (spx pipelines list shows it). */
  deprecated?: string;
  extends?: string;
  plugins?: string[];
  inputs?: Record<string, PipelineInputSpec>;
  concurrency?: number;
  pricing?: Record<string, number>;
  stages: Record<string, PipelineStageSpec>;
}

/** Finds the source position of a path in the document (the file that introduced the value). */
export type Locator = (path: ReadonlyArray<string | number>, options?: { key?: boolean }) => SourceLocation;

export interface ResolvedStage {
  id: string;
  uses: string;
  spec: PipelineStageSpec;
  plugin: Plugin;
  definition: StageDefinition;
  /** Stages this one waits for (needs ∪ references). */
  deps: string[];
}

/** A validated pipeline ready to run. */
export interface LoadedPipeline {
  file: string;
  spec: PipelineSpec;
  plugins: Plugin[];
  stages: Map<string, ResolvedStage>;
  /** Stage ids in a deterministic topological order. */
  order: string[];
  locate: Locator;
  /** The `stage.param=value` overrides it was loaded with (`spx run --set`), recorded with its runs. */
  overrides?: string[];
}
