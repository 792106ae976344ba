// The `ambit/sleep` image: the client pod's only process. It does nothing and stays alive until
// SIGTERM (or SIGINT), then exits 0; users run curl and friends inside the pod with `ambit local exec`.
import { exitOnTerminationSignal } from './run-until-signal';

/** Keeps the process alive until a termination signal arrives, then exits 0. */
export function sleepUntilSignal(log: (line: string) => void = console.log): void {
  const keepAlive = setInterval(() => undefined, 2 ** 30);
  exitOnTerminationSignal(async () => clearInterval(keepAlive), log);
  log('sleeping until SIGTERM');
}

if (require.main === module) sleepUntilSignal();
