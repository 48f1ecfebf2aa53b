import { Args, Flags } from '@oclif/core';
import { SpxCommand } from '../../lib/base-command.js';
import { pipelineGraph, toDot, toMermaid, toText, type PipelineGraph } from '../../lib/graph.js';
import { openPipeline } from '../../lib/pipelines.js';

export default class PipelinesGraph extends SpxCommand<typeof PipelinesGraph> {
  static override summary = 'Print a pipeline\'s stage graph as Mermaid, Graphviz DOT or text.';
  static override description = `Nodes are the pipeline's inputs and stages (with the stage each uses); an edge means a stage consumes another's outputs (labelled with the output names) or waits for it through needs: (dashed). The pipeline is validated first, like spx run does. --json prints the nodes and edges.`;
  static override examples = [
    { description: 'Mermaid (paste into a Markdown ```mermaid block)', command: '<%= config.bin %> pipelines graph pipelines/local.yaml' },
    { description: 'Render with Graphviz', command: '<%= config.bin %> pipelines graph pipelines/local.yaml --format dot | dot -Tsvg > local.svg' },
    { description: 'Stages by level in the terminal', command: '<%= config.bin %> pipelines graph pipelines/local.yaml -f text' },
  ];
  static override args = {
    file: Args.string({ description: 'Pipeline YAML file (or the name of a shipped pipeline).', required: true }),
  };
  static override flags = {
    format: Flags.option({ char: 'f', summary: 'Output format.', options: ['mermaid', 'dot', 'text'] as const, default: 'mermaid' })(),
  };

  public async run(): Promise<PipelineGraph & { rendered: string }> {
    const pipeline = await openPipeline(this.args.file);
    const graph = pipelineGraph(pipeline);
    const rendered = this.flags.format === 'dot' ? toDot(graph) : this.flags.format === 'text' ? toText(graph) : toMermaid(graph);
    this.say(rendered);
    return { ...graph, rendered };
  }
}
