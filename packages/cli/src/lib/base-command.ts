// Shared behaviour of every spx command: --store/--debug flags, --json, and errors printed as one
// clear message with a hint (stack traces only with --debug or DEBUG=spx*), mapped to exit codes.
// stdout and stderr pass through core's redaction (bin/run.js sets it up; init() again for
// commands run in-process), so nothing a command prints can hold a secret.
import { Command, Flags, Errors, type Interfaces } from '@oclif/core';
import { EXIT, SpxAggregateError, isSpxError, toSpxError, SpxError } from '@spx/core';
import { redactWrites } from '@spx/core/redact';
import { formatError, openStore, type Store } from '@spx/core/engine';
import { resolveSettings, type SettingName, type Settings } from './config.js';

export type SpxFlags<T extends typeof Command> = Interfaces.InferredFlags<(typeof SpxCommand)['baseFlags'] & T['flags']>;
export type SpxArgs<T extends typeof Command> = Interfaces.InferredArgs<T['args']>;

export abstract class SpxCommand<T extends typeof Command> extends Command {
  static override enableJsonFlag = true;
  static override baseFlags = {
    store: Flags.string({ summary: 'State store URL: sqlite://PATH (default .spx/state.sqlite), redis://…, postgres://… (or SPX_STORE, or store: in spx.config.yaml).', helpGroup: 'GLOBAL' }),
    debug: Flags.boolean({ summary: 'Show stack traces and debug logs.', helpGroup: 'GLOBAL' }),
  };

  protected flags!: SpxFlags<T>;
  protected args!: SpxArgs<T>;
  /** Positional arguments in order (commands with `strict = false` take variadic inputs). */
  protected positionals: string[] = [];
  private stores: Store[] = [];

  public override async init(): Promise<void> {
    redactWrites(process.stdout);
    redactWrites(process.stderr);
    await super.init();
    const { args, flags, argv } = await this.parse({ flags: this.ctor.flags, baseFlags: (super.ctor as typeof SpxCommand).baseFlags, args: this.ctor.args, strict: this.ctor.strict, enableJsonFlag: this.ctor.enableJsonFlag });
    this.flags = flags as SpxFlags<T>;
    this.args = args as SpxArgs<T>;
    this.positionals = argv as string[];
  }

  protected get debugMode(): boolean {
    return Boolean(this.flags?.debug) || /(^|,)spx/.test(process.env.DEBUG ?? '');
  }

  /** Effective settings (flag > env > spx.config.yaml > user config > default); `flags` adds the command's own. */
  protected settings(flags: Partial<Record<SettingName, string | number>> = {}): Settings {
    return resolveSettings({ store: this.flags.store, ...flags });
  }

  /** The store URL when one is configured anywhere (flag, env, config file); undefined for the default. */
  protected configuredStore(): string | undefined {
    const { store } = this.settings();
    return store.source === 'default' ? undefined : store.value;
  }

  protected async store(): Promise<Store> {
    const { store: url, ttlHours } = this.settings();
    // SPX_TTL_HOURS is read (and checked) by openStore itself; a config file's value is passed on.
    const fromFile = ttlHours.value !== undefined && !ttlHours.source.startsWith('env ');
    const store = await openStore({ url: url.value, ...(fromFile ? { ttlMs: ttlHours.value! * 3_600_000 } : {}) });
    this.stores.push(store);
    return store;
  }

  /** The work directory (--work-dir, SPX_WORK_DIR, workDir: in a config file, default .spx). */
  protected workDir(flag?: string): string {
    return this.settings({ workDir: flag }).workDir.value;
  }

  protected override async finally(error: Error | undefined): Promise<void> {
    await Promise.all(this.stores.map((s) => s.close()));
    return super.finally(error);
  }

  /** Prints a line to stdout unless --json. */
  protected say(line = ''): void {
    if (!this.jsonEnabled()) this.log(line);
  }

  protected override async catch(thrown: Error & { exitCode?: number; oclif?: { exit?: number } }): Promise<unknown> {
    if (thrown instanceof Errors.ExitError) throw thrown;
    if (!isSpxError(thrown) && isParseError(thrown)) {
      return this.fail(new SpxError('USAGE', parseErrorMessage(thrown), { hint: `See spx ${this.id?.replace(/:/g, ' ') ?? ''} --help.`.replace(/\s+--help/, ' --help') }));
    }
    return this.fail(toSpxError(thrown));
  }

  protected fail(error: SpxError): never {
    if (this.jsonEnabled()) {
      const errors = error instanceof SpxAggregateError ? error.errors.map((e) => e.toJSON()) : undefined;
      process.stdout.write(`${JSON.stringify({ error: { ...error.toJSON(), ...(errors ? { errors } : {}) } })}\n`);
    } else {
      process.stderr.write(`${formatError(error)}\n`);
      if (this.debugMode) process.stderr.write(`${(error.cause instanceof Error ? error.cause.stack : undefined) ?? error.stack}\n`);
    }
    this.exit(error.exitCode === 0 ? EXIT.RUN_FAILED : error.exitCode);
  }
}

function isParseError(error: unknown): boolean {
  const name = (error as { constructor?: { name?: string } })?.constructor?.name ?? '';
  const message = error instanceof Error ? error.message : '';
  return /Parse|Flag|Arg|Validation/i.test(name) || /^(Nonexistent flag|Unexpected argument|Missing \d+ required arg|Expected an integer|Expected --|Missing required flag|Parsing --|--\S+ )/m.test(message);
}

/** One line naming the problem: the missing arguments by name, or the flag with its complaint. */
function parseErrorMessage(error: Error): string {
  const lines = error.message.split('\n').map((line) => line.trim()).filter((line) => line && !/^See more help/.test(line));
  const first = lines[0] ?? error.message.trim();
  const args = (error as { args?: Array<{ name?: string }> }).args;
  if (/^Missing \d+ required arg/.test(first) && args?.length) {
    return `Missing required argument${args.length === 1 ? '' : 's'}: ${args.map((a) => a.name).join(', ')}.`;
  }
  if (/^Parsing --\S+/.test(first) && lines[1]) return `${first.replace(/^Parsing /, 'Invalid value for ')}: ${lines[1]}`;
  return first;
}
