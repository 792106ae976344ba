// Protocol detection on the first bytes of a tunnel stream (ports whose protocol is UNKNOWN, and
// HTTP ports, where it tells HTTP/2 prior knowledge from HTTP/1.x): the HTTP/2 connection preface
// → 'h2'; an HTTP/1.x request line (method token, SP, target, SP, HTTP/1.0|1.1, CRLF) → 'h1';
// anything else → 'tcp'; 'more' while the bytes seen are a prefix of either. The pure decision is
// `sniffProtocol`; `sniffStream` reads until it decides and puts the bytes back.

import type { Duplex } from 'node:stream';

export type Sniffed = 'h2' | 'h1' | 'tcp';

const H2_PREFACE = Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'latin1');
/** The longest request line sniffing waits for before calling it TCP. */
export const MAX_SNIFF_BYTES = 8192;

function isTokenChar(c: number): boolean {
  // RFC 9110 tchar, upper- and lower-case letters, digits and !#$%&'*+-.^_`|~
  return (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || (c >= 0x30 && c <= 0x39) || "!#$%&'*+-.^_`|~".includes(String.fromCharCode(c));
}

const REQUEST_LINE_RE = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+ [^\s]+ HTTP\/1\.[01]\r?$/;

export function sniffProtocol(buf: Buffer): Sniffed | 'more' {
  if (buf.length === 0) return 'more';
  const n = Math.min(buf.length, H2_PREFACE.length);
  if (buf.subarray(0, n).equals(H2_PREFACE.subarray(0, n))) return buf.length >= H2_PREFACE.length ? 'h2' : 'more';
  // Method token up to the first space.
  let i = 0;
  while (i < buf.length && i < 32 && isTokenChar(buf[i])) i++;
  if (i === buf.length) return i < 32 ? 'more' : 'tcp';
  if (i === 0 || buf[i] !== 0x20) return 'tcp';
  const lf = buf.indexOf(0x0a);
  if (lf === -1) {
    if (buf.length >= MAX_SNIFF_BYTES) return 'tcp';
    // Bail out early on bytes that cannot be in a request line.
    for (let j = i; j < buf.length; j++) if (buf[j] < 0x20 && buf[j] !== 0x0d) return 'tcp';
    return 'more';
  }
  return REQUEST_LINE_RE.test(buf.subarray(0, lf).toString('latin1')) ? 'h1' : 'tcp';
}

export interface SniffResult {
  readonly protocol: Sniffed | 'closed';
  /** Set when the stream ended before a verdict: these bytes could not be put back. */
  readonly endedWith?: Buffer;
}

/**
 * Reads from `stream` until sniffProtocol decides (or `timeoutMs` passes: `fallback`), then puts
 * what it read back (paused) so the next reader sees every byte. A stream that ends first
 * resolves `fallback` with the bytes in `endedWith` ('closed' when there were none).
 */
export function sniffStream(stream: Duplex, timeoutMs: number, fallback: Sniffed): Promise<SniffResult> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    let done = false;
    const cleanup = (): void => {
      done = true;
      clearTimeout(timer);
      stream.off('data', onData);
      stream.off('end', onEnd);
      stream.off('close', onClose);
      stream.pause();
    };
    const finish = (protocol: Sniffed | 'closed'): void => {
      if (done) return;
      cleanup();
      if (size > 0) stream.unshift(Buffer.concat(chunks, size));
      resolve({ protocol });
    };
    const onData = (chunk: Buffer): void => {
      chunks.push(chunk);
      size += chunk.length;
      const verdict = sniffProtocol(chunks.length === 1 ? chunk : Buffer.concat(chunks, size));
      if (verdict !== 'more') finish(verdict);
      else if (size >= MAX_SNIFF_BYTES) finish('tcp');
    };
    const onEnd = (): void => {
      if (done) return;
      cleanup();
      resolve(size > 0 ? { protocol: fallback, endedWith: Buffer.concat(chunks, size) } : { protocol: 'closed' });
    };
    const onClose = (): void => {
      if (done) return;
      cleanup();
      resolve({ protocol: 'closed' });
    };
    const timer = setTimeout(() => finish(fallback), timeoutMs);
    stream.on('data', onData);
    stream.once('end', onEnd);
    stream.once('close', onClose);
  });
}
