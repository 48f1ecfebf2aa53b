import { readFileSync } from 'node:fs';
import { expect } from 'chai';
import { CLI_README, helpText, loadCli, syncReadmes } from '../src/lib/reference.js';
import { REPO, spx } from './helpers.js';

describe('CLI reference', function () {
  this.timeout(60_000);

  it('in both READMEs matches what the commands say (regenerate with `pnpm --filter @spx/cli reference`)', async () => {
    const results = await syncReadmes();
    expect(results.filter((r) => !r.ok).map((r) => r.file), 'stale README sections; run `pnpm --filter @spx/cli reference`').to.deep.equal([]);
  });

  it('documents every command with a summary, a description and examples', async () => {
    const config = await loadCli();
    const ids = config.commands.map((c) => c.id.replace(/:/g, ' ')).sort();
    expect(ids).to.include.members(['checkpoints cleanup', 'checkpoints delete', 'checkpoints export', 'checkpoints import', 'checkpoints list', 'checkpoints show', 'checkpoints validate', 'pipelines graph', 'pipelines list', 'pipelines validate', 'plugins list', 'plugins new', 'run']);
    const readme = readFileSync(CLI_README, 'utf8');
    for (const command of config.commands) {
      expect(command.summary, command.id).to.be.a('string').and.not.equal('');
      expect(command.description, command.id).to.be.a('string').and.not.equal('');
      expect(command.examples?.length ?? 0, command.id).to.be.greaterThan(0);
      expect(readme).to.include(await helpText(config, command));
    }
  });

  it('is byte for byte what `spx <command> --help` prints', async () => {
    const [show, graph] = await Promise.all([spx(['checkpoints', 'show', '--help'], REPO), spx(['pipelines', 'graph', '--help'], REPO)]);
    const readme = readFileSync(CLI_README, 'utf8');
    for (const result of [show, graph]) {
      expect(result.code).to.equal(0);
      const printed = result.stdout.replace(/[ \t]+$/gm, '').trimEnd();
      expect(printed).to.include('USAGE');
      expect(readme).to.include(`\`\`\`text\n${printed}\n\`\`\``);
    }
  });
});
