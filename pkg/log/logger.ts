// The components' log: one line per event (`<time> <level> <message>`), written without blocking the
// event loop. Components take a Logger so tests can capture or silence what would be printed.

export interface Logger {
  info(message: string): void;
  warn(message: string): void;
  error(message: string): void;
}

function line(level: string, message: string): string {
  return `${new Date().toISOString()} ${level} ${message.replace(/[\r\n]+/g, ' ')}\n`;
}

/** Info to stdout, warnings and errors to stderr. */
export const consoleLogger: Logger = Object.freeze({
  info: (message: string) => { process.stdout.write(line('info', message)); },
  warn: (message: string) => { process.stderr.write(line('warn', message)); },
  error: (message: string) => { process.stderr.write(line('error', message)); },
});

/** A logger that drops everything. */
export const silentLogger: Logger = Object.freeze({ info: () => undefined, warn: () => undefined, error: () => undefined });

/** A logger that keeps lines in memory (tests). */
export function memoryLogger(): Logger & { readonly lines: string[] } {
  const lines: string[] = [];
  return {
    lines,
    info: (m) => { lines.push(`info ${m}`); },
    warn: (m) => { lines.push(`warn ${m}`); },
    error: (m) => { lines.push(`error ${m}`); },
  };
}
