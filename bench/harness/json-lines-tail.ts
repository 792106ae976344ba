// Reads a JSON-lines file another process is appending to: each poll() returns the complete lines
// written since the last one (a line still being written is kept until its newline arrives). The
// file may not exist yet; polling an absent file returns nothing.

import { open, type FileHandle } from 'node:fs/promises';
import { StringDecoder } from 'node:string_decoder';

const CHUNK_BYTES = 1024 * 1024;

export class JsonLinesTail {
  private handle: FileHandle | undefined;
  private offset = 0;
  private partial = '';
  private readonly decoder = new StringDecoder('utf8');
  private closed = false;

  constructor(readonly path: string) {}

  /** The complete lines appended since the previous poll (empty lines dropped). */
  async poll(): Promise<string[]> {
    if (this.closed) return [];
    if (!this.handle) {
      try {
        this.handle = await open(this.path, 'r');
      } catch (err) {
        if ((err as NodeJS.ErrnoException).code === 'ENOENT') return [];
        throw err;
      }
    }
    const chunks: string[] = [];
    const buf = Buffer.allocUnsafe(CHUNK_BYTES);
    for (;;) {
      const { bytesRead } = await this.handle.read(buf, 0, CHUNK_BYTES, this.offset);
      if (bytesRead === 0) break;
      this.offset += bytesRead;
      chunks.push(this.decoder.write(buf.subarray(0, bytesRead)));
      if (bytesRead < CHUNK_BYTES) break;
    }
    if (chunks.length === 0) return [];
    const text = this.partial + chunks.join('');
    const lines = text.split('\n');
    this.partial = lines.pop() ?? '';
    return lines.filter((l) => l.length > 0);
  }

  async close(): Promise<void> {
    this.closed = true;
    const h = this.handle;
    this.handle = undefined;
    await h?.close();
  }
}
