// Works around Node.js 20 HTTP/2 bugs that corrupt what node:http writes to a stream (the
// waypoint speaks HTTP/1.1 inside tunnels). 1) A batched write (writev) on an HTTP/2
// stream whose last chunk is empty — what node:http does on every `res.end()` / `req.end()` with a
// body: `write('', 'latin1')` corked behind it — completes as soon as nghttp2 reaches the empty
// chunk and frees the batch's storage while the earlier chunks are still queued by reference, so
// the peer receives freed memory (the first 16 bytes overwritten by the allocator). Dropping empty
// chunks from writev avoids it. 2) HTTP/2 streams take string writes as they are (decodeStrings
// false), and an http.Server or ClientRequest writing its head as a string corrupts the status
// line; strings are turned into Buffers first. Apply to any stream node:http writes to.

import type { Duplex } from 'node:stream';

interface WritevChunk {
  readonly chunk: Buffer | string;
  readonly encoding: BufferEncoding;
}

type Writev = (this: Duplex, chunks: WritevChunk[], callback: (error?: Error | null) => void) => void;

const guarded = new WeakSet<Duplex>();

/** Makes `stream` safe for node:http writers (idempotent); returns the same stream. */
export function guardEmptyWrites<T extends Duplex>(stream: T): T {
  const state = (stream as Duplex & { _writableState?: { decodeStrings?: boolean } })._writableState;
  if (state && state.decodeStrings === false) state.decodeStrings = true;
  const target = stream as T & { _writev?: Writev | null };
  const original = target._writev;
  if (typeof original !== 'function' || guarded.has(stream)) return stream;
  guarded.add(stream);
  target._writev = function writevWithoutEmpty(this: Duplex, chunks: WritevChunk[], callback: (error?: Error | null) => void): void {
    const kept = chunks.filter((c) => c.chunk.length > 0);
    if (kept.length === 0) {
      callback();
      return;
    }
    original.call(this, kept, callback);
  };
  return stream;
}
