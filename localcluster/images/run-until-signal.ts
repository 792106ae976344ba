// Process lifecycle of the sample-app programs: on SIGTERM or SIGINT run the app's graceful
// shutdown and exit 0 (1 if shutdown failed); a second signal exits at once.

export function exitOnTerminationSignal(shutdown: () => Promise<void>, log: (line: string) => void = console.log): void {
  let stopping = false;
  const onSignal = (signal: NodeJS.Signals): void => {
    if (stopping) {
      log(`received ${signal} again, exiting now`);
      process.exit(1);
    }
    stopping = true;
    log(`received ${signal}, shutting down`);
    shutdown().then(
      () => process.exit(0),
      (err: unknown) => {
        console.error(`shutdown failed: ${err instanceof Error ? err.message : String(err)}`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', onSignal);
  process.on('SIGINT', onSignal);
}

/** Prints a configuration error and exits with status 2 (bad usage). */
export function exitWithConfigError(message: string): never {
  console.error(message);
  process.exit(2);
}
