// A client request body that can be sent more than once: streamed to the current upstream attempt
// with back-pressure, while the first bytes are kept so a retry can replay them (up to
// RETRY_BUFFER_LIMIT) and a mirror can send a copy once the body is complete (up to
// MIRROR_BUFFER_LIMIT). The source is read only while an attempt is attached, so nothing is
// buffered beyond those limits.

import type { Readable, Writable } from 'node:stream';

export const RETRY_BUFFER_LIMIT = 64 * 1024;
export const MIRROR_BUFFER_LIMIT = 1024 * 1024;

export class ReplayableBody {
  private chunks: Buffer[] = [];
  private kept = 0;
  private total = 0;
  private overflowed = false;
  private ended = false;
  private failed = false;
  private sink: Writable | undefined;
  private readonly keepLimit: number;
  private readonly completeListeners: ((body: Buffer | undefined) => void)[] = [];

  /**
   * `source` undefined = no body. `keepForMirror` raises the kept prefix to MIRROR_BUFFER_LIMIT
   * (only when a mirror will want it).
   */
  constructor(private readonly source: Readable | undefined, keepForMirror: boolean) {
    this.keepLimit = keepForMirror ? MIRROR_BUFFER_LIMIT : RETRY_BUFFER_LIMIT;
    if (!source) {
      this.ended = true;
      return;
    }
    source.pause();
    source.on('data', (chunk: Buffer | string) => this.onData(typeof chunk === 'string' ? Buffer.from(chunk) : chunk));
    source.once('end', () => this.onEnd());
    source.once('error', () => this.onFail());
    source.once('close', () => {
      if (!this.ended) this.onFail();
    });
  }

  /** Bytes read from the client so far. */
  get bytes(): number {
    return this.total;
  }

  /** Whether a new attempt can be sent the whole body from the start. */
  get replayable(): boolean {
    return !this.overflowed && this.total <= RETRY_BUFFER_LIMIT && !this.failed;
  }

  /** The body is complete (all read). */
  get complete(): boolean {
    return this.ended;
  }

  /** Sends the kept bytes, then the rest as it arrives, to `sink` (which is ended with the body). */
  attach(sink: Writable): void {
    this.sink = sink;
    for (const c of this.chunks) sink.write(c);
    if (this.ended) {
      sink.end();
      return;
    }
    if (!this.failed) this.source?.resume();
  }

  /** Stops feeding the current sink (its attempt is abandoned). */
  detach(): void {
    this.sink = undefined;
    this.source?.pause();
  }

  /** Called with the whole body once complete, or undefined when it will not be available (too big, failed). */
  onComplete(listener: (body: Buffer | undefined) => void): void {
    if (this.ended) listener(this.overflowed ? undefined : Buffer.concat(this.chunks));
    else if (this.failed) listener(undefined);
    else this.completeListeners.push(listener);
  }

  private onData(chunk: Buffer): void {
    this.total += chunk.length;
    if (!this.overflowed) {
      if (this.kept + chunk.length <= this.keepLimit) {
        this.chunks.push(chunk);
        this.kept += chunk.length;
      } else {
        this.overflowed = true;
        this.chunks = [];
        this.kept = 0;
        this.fireComplete(undefined);
      }
    }
    const sink = this.sink;
    if (sink && !sink.write(chunk)) {
      this.source?.pause();
      sink.once('drain', () => {
        if (this.sink === sink) this.source?.resume();
      });
    }
  }

  private onEnd(): void {
    this.ended = true;
    this.sink?.end();
    this.fireComplete(this.overflowed ? undefined : Buffer.concat(this.chunks));
  }

  private onFail(): void {
    if (this.ended) return;
    this.failed = true;
    this.fireComplete(undefined);
  }

  private fireComplete(body: Buffer | undefined): void {
    const listeners = this.completeListeners.splice(0);
    for (const l of listeners) l(body);
  }
}
