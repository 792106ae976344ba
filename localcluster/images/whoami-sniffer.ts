// Pure logic of the `ambit/tcp-echo` sample app: decides from a connection's first bytes whether
// the client asked `whoami` (the line `whoami\n` or `whoami\r\n` as its very first bytes) and
// which bytes are to be echoed. The whoami line itself is answered, not echoed.

const WHOAMI_LINES = [Buffer.from('whoami\n'), Buffer.from('whoami\r\n')] as const;
const EMPTY = Buffer.alloc(0);

export interface SniffStep {
  /** True once, when the first bytes were the whoami line: send the identity line now. */
  whoami: boolean;
  /** Bytes to echo back (after the identity line, if any). */
  echo: Buffer;
}

export interface WhoamiSniffer {
  feed(chunk: Buffer): SniffStep;
  /** The client sent FIN: bytes still held back (a partial `whoam`) that must be echoed. */
  finish(): Buffer;
}

export function createWhoamiSniffer(): WhoamiSniffer {
  let decided = false;
  let pending: Buffer = EMPTY;

  const feed = (chunk: Buffer): SniffStep => {
    if (decided) return { whoami: false, echo: chunk };
    pending = pending.length === 0 ? chunk : Buffer.concat([pending, chunk]);
    for (const line of WHOAMI_LINES) {
      if (pending.length >= line.length && pending.subarray(0, line.length).equals(line)) {
        decided = true;
        const rest = pending.subarray(line.length);
        pending = EMPTY;
        return { whoami: true, echo: rest };
      }
    }
    const couldStillMatch = WHOAMI_LINES.some(
      (line) => pending.length < line.length && line.subarray(0, pending.length).equals(pending),
    );
    if (couldStillMatch) return { whoami: false, echo: EMPTY };
    decided = true;
    const out = pending;
    pending = EMPTY;
    return { whoami: false, echo: out };
  };

  const finish = (): Buffer => {
    decided = true;
    const out = pending;
    pending = EMPTY;
    return out;
  };

  return { feed, finish };
}

/** The answer to `whoami`: `<pod> <version> <client ip>:<port>\n`. */
export function whoamiLine(pod: string, version: string, source: string): string {
  return `${pod} ${version} ${source}\n`;
}
