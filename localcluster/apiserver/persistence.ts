// Durable state for the API server: the whole object set as one JSON snapshot, written atomically
// (temp file + fsync + rename + directory fsync) so a crash leaves either the old or the new file.

import { open, readFile, rename, mkdir, unlink } from 'node:fs/promises';
import { dirname, basename, join } from 'node:path';
import { KubeObject } from './types';

export interface Snapshot {
  format: 'ambit-apiserver/v1';
  resourceVersion: number;
  objects: Record<string, KubeObject[]>; // type key → objects
}

export async function loadSnapshot(file: string): Promise<Snapshot | undefined> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw err;
  }
  const parsed: unknown = JSON.parse(text);
  if (typeof parsed !== 'object' || parsed === null || (parsed as Snapshot).format !== 'ambit-apiserver/v1') {
    throw new Error(`${file}: not an ambit API server state file`);
  }
  return parsed as Snapshot;
}

export async function writeFileAtomic(file: string, data: string, mode = 0o600): Promise<void> {
  const dir = dirname(file);
  await mkdir(dir, { recursive: true });
  const tmp = join(dir, `.${basename(file)}.${process.pid}.${Date.now()}.tmp`);
  const fh = await open(tmp, 'w', mode);
  try {
    await fh.writeFile(data);
    await fh.sync();
  } finally {
    await fh.close();
  }
  try {
    await rename(tmp, file);
  } catch (err) {
    await unlink(tmp).catch(() => undefined);
    throw err;
  }
  const dh = await open(dir, 'r');
  try {
    await dh.sync();
  } finally {
    await dh.close();
  }
}

/**
 * Coalesces snapshot writes: `schedule()` after every change; at most one write runs at a time
 * and changes that arrive during a write cause exactly one more write.
 */
export class SnapshotWriter {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = false;
  private lastError: Error | undefined;

  constructor(private readonly file: string, private readonly snapshot: () => Snapshot, private readonly delayMs = 50) {}

  schedule(): void {
    this.dirty = true;
    if (this.timer || this.running) return;
    this.timer = setTimeout(() => { this.timer = undefined; void this.run(); }, this.delayMs);
  }

  private async run(): Promise<void> {
    if (this.running) return this.running;
    this.running = (async () => {
      while (this.dirty) {
        this.dirty = false;
        try {
          await writeFileAtomic(this.file, JSON.stringify(this.snapshot()));
          this.lastError = undefined;
        } catch (err) {
          this.lastError = err as Error;
          process.stderr.write(`apiserver: saving state to ${this.file} failed: ${(err as Error).message}\n`);
        }
      }
    })();
    try {
      await this.running;
    } finally {
      this.running = undefined;
    }
  }

  /** Writes now if anything is pending; resolves when the file on disk holds the latest state. */
  async flush(): Promise<void> {
    if (this.timer) { clearTimeout(this.timer); this.timer = undefined; }
    if (this.running) await this.running;
    if (this.dirty) await this.run();
    if (this.lastError) throw this.lastError;
  }
}
