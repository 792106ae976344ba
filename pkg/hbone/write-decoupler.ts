// A Duplex between Node's HTTP/2 session and its TLS socket that reports writes as done as soon as
// they are handed to the socket. Why: Node's native HTTP/2 session stops reading its socket while
// a write is in progress; two Node peers both sending bulk data (e.g. an echo through a tunnel)
// fill both kernel buffers and then neither reads again — a deadlock, seen on loopback with our
// 4 MiB / 16 MiB windows. Putting this wrapper on one side (the client pool) keeps that side
// reading, which breaks the cycle. Memory stays bounded: the session only sends what the peer's
// flow-control windows allow, and a hard cap tears the connection down if the peer stops reading.

import { Duplex } from 'node:stream';
import type { Socket } from 'node:net';
import { ErrorCode, MeshError } from '../errors/mesh-error';

export class WriteDecoupledStream extends Duplex {
  private readonly inner: Socket;
  private readonly maxPendingBytes: number;

  /** `maxPendingBytes`: bytes the socket may hold unsent before the connection is torn down. */
  constructor(inner: Socket, maxPendingBytes: number) {
    super({ allowHalfOpen: true, readableHighWaterMark: 256 * 1024, writableHighWaterMark: 256 * 1024 });
    this.inner = inner;
    this.maxPendingBytes = maxPendingBytes;
    inner.on('data', (chunk: Buffer) => {
      if (!this.push(chunk)) inner.pause();
    });
    inner.once('end', () => this.push(null));
    inner.on('error', (err: Error) => this.destroy(err));
    inner.once('close', () => this.destroy());
    inner.pause();
  }

  override _read(): void {
    this.inner.resume();
  }

  override _write(chunk: Buffer, _encoding: BufferEncoding, callback: (error?: Error | null) => void): void {
    this.inner.write(chunk);
    callback(this.overflow());
  }

  override _writev(chunks: { chunk: Buffer }[], callback: (error?: Error | null) => void): void {
    this.inner.cork();
    for (const { chunk } of chunks) this.inner.write(chunk);
    this.inner.uncork();
    callback(this.overflow());
  }

  override _final(callback: (error?: Error | null) => void): void {
    this.inner.end();
    callback();
  }

  override _destroy(error: Error | null, callback: (error?: Error | null) => void): void {
    if (!this.inner.destroyed) this.inner.destroy();
    callback(error);
  }

  private overflow(): Error | null {
    if (this.inner.writableLength <= this.maxPendingBytes) return null;
    return new MeshError(
      ErrorCode.Unavailable,
      `the HBONE peer stopped reading: more than ${this.maxPendingBytes} bytes wait to be sent`,
    );
  }
}
