// What an aborted run's signal means. An SpxError reason other than ABORTED is a fault (a plugin
// crash outside its stage, a hung stage, a lost lease): the stages still running fail with it at
// once, since they may never settle. Anything else is an interruption (Ctrl-C, SIGTERM), and a
// running stage is given the chance to finish its sub-step and reject on its own.
import { isSpxError, type SpxError } from '../errors/errors.js';
import { EXIT } from '../errors/errors.js';

export function faultOf(signal: AbortSignal): SpxError | undefined {
  if (!signal.aborted) return undefined;
  const reason: unknown = signal.reason;
  return isSpxError(reason) && reason.code !== 'ABORTED' ? reason : undefined;
}

/** The exit code an interruption asked for (143 for SIGTERM), else 130. */
export function abortExitCode(signal: AbortSignal): number {
  const reason: unknown = signal.reason;
  return isSpxError(reason) && reason.code === 'ABORTED' ? reason.exitCode : EXIT.INTERRUPTED;
}

/** Settles with `promise`, or rejects with the fault as soon as the signal reports one. */
export function unlessFault<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      const fault = faultOf(signal);
      if (fault) reject(fault);
    };
    onAbort();
    signal.addEventListener('abort', onAbort);
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}
