import { Args } from '@oclif/core';
import { SpxCommand } from '../lib/base-command.js';
import { bashScript, zshScript, type CompletionCommand } from '../lib/completion.js';
import { shippedNames } from '../lib/pipelines.js';

/** Commands whose first argument is a pipeline (a shipped name or a YAML file), or a shipped name only. */
const PIPELINE_ARG = new Set(['run', 'pipelines graph', 'pipelines validate']);
const SHIPPED_ARG = new Set(['init', 'pipelines show']);

export default class Completion extends SpxCommand<typeof Completion> {
  static override summary = 'Print a shell completion script (bash or zsh).';
  static override description = 'Completes commands, flags, and shipped pipeline names (with *.yaml files) where a pipeline is expected. Add the eval line to your shell start-up file; run it again after upgrading spx.';
  static override enableJsonFlag = false;
  static override examples = [
    { description: 'bash', command: `echo 'eval "$(<%= config.bin %> completion bash)"' >> ~/.bashrc` },
    { description: 'zsh', command: `echo 'eval "$(<%= config.bin %> completion zsh)"' >> ~/.zshrc` },
  ];
  static override args = {
    shell: Args.string({ description: 'Shell to complete in.', options: ['bash', 'zsh'], required: true }),
  };

  public async run(): Promise<void> {
    const commands: CompletionCommand[] = this.config.commands
      .filter((c) => !c.hidden)
      .map((c): CompletionCommand => {
        const id = c.id.replace(/:/g, ' ');
        const flags = Object.entries(c.flags ?? {}).flatMap(([name, flag]) => [`--${name}`, ...(flag.char ? [`-${flag.char}`] : [])]);
        return { id, flags: [...new Set(flags)].sort(), arg: PIPELINE_ARG.has(id) ? 'pipeline' : SHIPPED_ARG.has(id) ? 'shipped' : 'file' };
      })
      .sort((a, b) => a.id.localeCompare(b.id));
    const names = shippedNames();
    process.stdout.write(this.args.shell === 'zsh' ? zshScript(commands, names) : bashScript(commands, names));
  }
}
