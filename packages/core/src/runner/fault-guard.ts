// Faults a plugin can cause outside the promise its stage returns: a rejection nobody awaits, a
// throw in a timer or callback, process.exit, or a promise that never settles (the process runs
// out of work while a stage is pending). Without a guard each of these ends the process with a
// stack trace, a silent exit code, or exit 0, and the run state never says what happened. While
// the guard is installed, each becomes a coded error: pinned on the stage whose asynchronous work
// raised it (see stage-scope.ts), or — when no stage can be named — handed to `onFault`, which
// aborts the run so the runner fails the stages still running and saves the state.
import { SpxError, isSpxError } from '../errors/errors.js';
import { currentStageScope } from './stage-scope.js';

export interface FaultGuard {
  /** The real process.exit, for the caller's own forced exits. */
  readonly exit: (code?: number) => never;
  /** Puts everything back. */
  restore(): void;
}

function firstLine(value: unknown): string {
  const text = value instanceof Error ? value.message : typeof value === 'string' ? value : (JSON.stringify(value) ?? String(value));
  return (text.split('\n')[0] ?? '').trim() || (value instanceof Error ? value.name : String(value));
}

/**
 * Installs the guard. `busy` tells whether work is still pending (a run in progress): when the
 * process is about to exit with work pending, some stage's promise can never settle.
 */
export function guardPluginFaults(onFault: (error: SpxError) => void, busy: () => boolean): FaultGuard {
  const realExit = process.exit.bind(process) as (code?: number) => never;
  const report = (error: SpxError) => {
    const scope = currentStageScope();
    if (scope) scope.fail(error);
    else onFault(error);
  };
  const onException = (error: unknown) => {
    report(isSpxError(error) && error.code === 'STAGE_EXITED' ? error : new SpxError('STAGE_CRASHED', `a plugin threw outside its stage's promise: ${firstLine(error)}`, { cause: error, hint: 'This is a bug in the plugin (an error thrown in a timer or callback); report it to its authors. Completed stages are kept.' }));
  };
  const onRejection = (reason: unknown) => {
    report(new SpxError('STAGE_CRASHED', `a plugin left a promise rejection unhandled: ${firstLine(reason)}`, { cause: reason, hint: 'This is a bug in the plugin (a promise nobody awaits); report it to its authors. Completed stages are kept.' }));
  };
  const onBeforeExit = () => {
    if (busy()) onFault(new SpxError('STAGE_HUNG', "its promise never settles (the process had nothing left to do while the stage was still pending)", { hint: 'This is a bug in the plugin: every code path of run() must resolve or reject. Completed stages are kept.' }));
  };
  process.on('uncaughtException', onException);
  process.on('unhandledRejection', onRejection);
  process.on('beforeExit', onBeforeExit);
  process.exit = ((code?: number | string | null) => {
    throw new SpxError('STAGE_EXITED', `a plugin called process.exit(${code ?? ''}), which would end spx without saving the run`, { hint: 'Plugins must throw (ctx.fail) instead of exiting the process; report it to the plugin authors. Completed stages are kept.' });
  }) as typeof process.exit;
  return {
    exit: realExit,
    restore() {
      process.off('uncaughtException', onException);
      process.off('unhandledRejection', onRejection);
      process.off('beforeExit', onBeforeExit);
      process.exit = realExit as typeof process.exit;
    },
  };
}
