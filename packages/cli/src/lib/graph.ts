// The stage graph of a loaded pipeline (inputs → stages, data and needs: edges) and its
// renderings as Mermaid, Graphviz DOT and plain text.
import { findRefs, type LoadedPipeline } from '@spx/core/engine';

export interface GraphNode {
  id: string;
  kind: 'input' | 'stage';
  /** Stage id or input name. */
  name: string;
  /** `uses:` of a stage, or the type of an input. */
  detail: string;
  /** Longest path from an input-only stage (stages of one level can run in parallel). */
  level: number;
}

export interface GraphEdge {
  from: string;
  to: string;
  kind: 'input' | 'data' | 'needs';
  /** Output names carried along a data edge. */
  outputs: string[];
}

export interface PipelineGraph {
  name: string;
  version: string;
  nodes: GraphNode[];
  edges: GraphEdge[];
}

export function pipelineGraph(pipeline: LoadedPipeline): PipelineGraph {
  const nodes: GraphNode[] = [];
  const edges = new Map<string, GraphEdge>();
  for (const [name, spec] of Object.entries(pipeline.spec.inputs ?? {})) nodes.push({ id: `input:${name}`, kind: 'input', name, detail: spec.type, level: 0 });
  const level = new Map<string, number>();
  for (const id of pipeline.order) {
    const stage = pipeline.stages.get(id)!;
    level.set(id, Math.max(0, ...stage.deps.map((d) => (level.get(d) ?? 0) + 1)));
    nodes.push({ id, kind: 'stage', name: id, detail: stage.uses, level: level.get(id)! });
    const add = (from: string, kind: GraphEdge['kind'], output?: string) => {
      const key = `${from}→${id}`;
      const edge = edges.get(key) ?? { from, to: id, kind, outputs: [] };
      if (kind === 'data' && edge.kind === 'needs') edge.kind = 'data';
      if (output && !edge.outputs.includes(output)) edge.outputs.push(output);
      edges.set(key, edge);
    };
    for (const site of findRefs(stage.spec.with ?? {})) {
      if (site.ref?.kind === 'input') add(`input:${site.ref.name}`, 'input');
      else if (site.ref?.kind === 'stage') add(site.ref.stage, 'data', site.ref.output);
    }
    for (const need of stage.spec.needs ?? []) if (!edges.has(`${need}→${id}`)) add(need, 'needs');
  }
  return { name: pipeline.spec.name, version: pipeline.spec.version, nodes, edges: [...edges.values()] };
}

function mermaidText(text: string): string {
  return text.replace(/"/g, '#quot;').replace(/</g, '#lt;').replace(/>/g, '#gt;');
}

export function toMermaid(graph: PipelineGraph): string {
  const ids = new Map(graph.nodes.map((n, i) => [n.id, `n${i}`]));
  const lines = ['flowchart TD'];
  for (const n of graph.nodes) {
    const label = n.kind === 'input' ? mermaidText(`${n.name} (${n.detail})`) : `${mermaidText(n.name)}<br/><small>${mermaidText(n.detail)}</small>`;
    lines.push(n.kind === 'input' ? `  ${ids.get(n.id)}(["${label}"])` : `  ${ids.get(n.id)}["${label}"]`);
  }
  for (const e of graph.edges) {
    const from = ids.get(e.from);
    const to = ids.get(e.to);
    if (e.kind === 'needs') lines.push(`  ${from} -.->|needs| ${to}`);
    else if (e.outputs.length) lines.push(`  ${from} -->|${mermaidText(e.outputs.join(', '))}| ${to}`);
    else lines.push(`  ${from} --> ${to}`);
  }
  return lines.join('\n');
}

function dotString(text: string): string {
  return `"${text.replace(/\\/g, '\\\\').replace(/"/g, '\\"').replace(/\n/g, '\\n')}"`;
}

export function toDot(graph: PipelineGraph): string {
  const lines = [`digraph ${dotString(`${graph.name}@${graph.version}`)} {`, '  rankdir=TB;', '  node [shape=box, style=rounded, fontname="Helvetica"];', '  edge [fontname="Helvetica", fontsize=10];'];
  for (const n of graph.nodes) {
    if (n.kind === 'input') lines.push(`  ${dotString(n.id)} [label=${dotString(`${n.name}\n(${n.detail})`)}, shape=ellipse];`);
    else lines.push(`  ${dotString(n.id)} [label=${dotString(`${n.name}\n${n.detail}`)}];`);
  }
  for (const e of graph.edges) {
    const attrs = e.kind === 'needs' ? ' [style=dashed, label="needs"]' : e.outputs.length ? ` [label=${dotString(e.outputs.join(', '))}]` : '';
    lines.push(`  ${dotString(e.from)} -> ${dotString(e.to)}${attrs};`);
  }
  lines.push('}');
  return lines.join('\n');
}

export function toText(graph: PipelineGraph): string {
  const stages = graph.nodes.filter((n) => n.kind === 'stage');
  const inputs = graph.nodes.filter((n) => n.kind === 'input');
  const from = (id: string) =>
    graph.edges
      .filter((e) => e.to === id)
      .map((e) => (e.kind === 'input' ? `inputs.${e.from.slice('input:'.length)}` : e.kind === 'needs' ? `needs ${e.from}` : `${e.from}.${e.outputs.join(`, ${e.from}.`)}`));
  const width = Math.max(5, ...stages.map((s) => s.name.length));
  const usesWidth = Math.max(4, ...stages.map((s) => s.detail.length));
  const lines = [`${graph.name}@${graph.version}: ${stages.length} stages in ${new Set(stages.map((s) => s.level)).size} levels (stages of one level can run in parallel)`];
  if (inputs.length) lines.push(`inputs: ${inputs.map((i) => `${i.name} (${i.detail})`).join(', ')}`);
  lines.push('');
  lines.push(`LEVEL  ${'STAGE'.padEnd(width)}  ${'USES'.padEnd(usesWidth)}  FROM`);
  for (const s of [...stages].sort((a, b) => a.level - b.level)) {
    lines.push(`${String(s.level).padStart(5)}  ${s.name.padEnd(width)}  ${s.detail.padEnd(usesWidth)}  ${from(s.id).join('; ') || '-'}`);
  }
  return lines.join('\n');
}
