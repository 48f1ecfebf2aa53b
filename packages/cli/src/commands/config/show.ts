import { existsSync } from 'node:fs';
import { displayStoreUrl } from '@spx/core/engine';
import { SpxCommand } from '../../lib/base-command.js';
import type { Setting, Settings } from '../../lib/config.js';

export default class ConfigShow extends SpxCommand<typeof ConfigShow> {
  static override summary = 'Print every effective setting and where it came from.';
  static override description = `Settings come from, in this order of precedence: a command-line flag, an environment variable (SPX_STORE, SPX_WORK_DIR, SPX_OUT_DIR, SPX_CONCURRENCY, SPX_TTL_HOURS), the project file spx.config.yaml (the nearest from the working directory upward), the user file $XDG_CONFIG_HOME/spx/config.yaml (~/.config/spx/config.yaml), and the built-in default. Each value is shown with its source: the flag, the variable, or file:line:column. A config file with a mistake is an error (exit 2) naming file:line:column.`;
  static override examples = [
    { description: 'The settings spx run would use here', command: '<%= config.bin %> config show' },
    { description: 'As JSON', command: '<%= config.bin %> config show --json' },
  ];

  public async run(): Promise<Settings> {
    const settings = this.settings();
    const rows: Array<[string, Setting<unknown>]> = [
      ['store', { ...settings.store, value: displayStoreUrl(settings.store.value) }],
      ['workDir', settings.workDir],
      ['outDir', settings.outDir],
      ['concurrency', settings.concurrency],
      ['ttlHours', settings.ttlHours],
      ...Object.entries(settings.pricing).map(([stage, price]): [string, Setting<unknown>] => [`pricing.${stage}`, price]),
    ];
    const width = Math.max(...rows.map(([name]) => name.length));
    const valueWidth = Math.max(...rows.map(([, s]) => String(s.value ?? '-').length));
    for (const [name, setting] of rows) this.say(`${name.padEnd(width)}  ${String(setting.value ?? '-').padEnd(valueWidth)}  ${setting.source}`);
    this.say('');
    this.say(`project file: ${settings.files.project ?? '(none: no spx.config.yaml here or above)'}`);
    this.say(`user file:    ${settings.files.user}${existsSync(settings.files.user) ? '' : ' (not present)'}`);
    return { ...settings, store: { ...settings.store, value: displayStoreUrl(settings.store.value) } };
  }
}
