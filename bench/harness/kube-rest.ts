// A small Kubernetes REST client for benchmarks that populate an API server: JSON requests over
// one keep-alive HTTPS agent (bearer token, the server's CA), a typed error for unexpected
// statuses, and a bounded-concurrency runner for creating thousands of objects.

import { Agent, request } from 'node:https';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';

export interface KubeReply {
  readonly status: number;
  readonly body: unknown;
  readonly text: string;
}

export interface KubeRestOptions {
  /** `https://host:port` */
  readonly server: string;
  readonly caPem: string;
  readonly token: string;
  /** Connections kept open at most (default 32). */
  readonly maxSockets?: number;
  /** Per-request limit (default 30 s). */
  readonly timeoutMs?: number;
}

export class KubeRest {
  private readonly agent: Agent;
  private readonly opts: KubeRestOptions;

  constructor(opts: KubeRestOptions) {
    this.opts = opts;
    this.agent = new Agent({ keepAlive: true, maxSockets: opts.maxSockets ?? 32, ca: opts.caPem });
  }

  /** One request; resolves with any HTTP status (use `expect` to insist on one). */
  send(method: string, path: string, body?: unknown, contentType = 'application/json'): Promise<KubeReply> {
    const url = new URL(path, this.opts.server);
    const payload = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const headers: Record<string, string> = { Accept: 'application/json', Authorization: `Bearer ${this.opts.token}` };
    if (payload) {
      headers['Content-Type'] = contentType;
      headers['Content-Length'] = String(payload.length);
    }
    return new Promise((resolve, reject) => {
      const req = request(url, { method, headers, agent: this.agent, timeout: this.opts.timeoutMs ?? 30_000 }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString('utf8');
          let parsed: unknown;
          try { parsed = JSON.parse(text); } catch { parsed = undefined; }
          resolve({ status: res.statusCode ?? 0, body: parsed, text });
        });
        res.on('error', reject);
      });
      req.on('timeout', () => req.destroy(new MeshError(ErrorCode.Timeout, `${method} ${path}: no answer within ${this.opts.timeoutMs ?? 30_000} ms`)));
      req.on('error', (err) => reject(err instanceof MeshError ? err : new MeshError(ErrorCode.Unavailable, `${method} ${path} failed`, { cause: err })));
      req.end(payload);
    });
  }

  /** A request that must answer with one of `ok`; its parsed body otherwise a MeshError with the server's message. */
  async expect(method: string, path: string, ok: readonly number[], body?: unknown, contentType?: string): Promise<unknown> {
    const reply = await this.send(method, path, body, contentType);
    if (!ok.includes(reply.status)) {
      throw new MeshError(ErrorCode.Internal, `${method} ${path}: HTTP ${reply.status}: ${reply.text.slice(0, 500)}`);
    }
    return reply.body;
  }

  close(): void {
    this.agent.destroy();
  }
}

/**
 * Runs `fn` over `items` with at most `limit` in flight, in order of start; the first failure
 * stops new starts and is thrown once the running ones have settled. `onProgress` hears each
 * completion count.
 */
export async function runBounded<T>(items: readonly T[], limit: number, fn: (item: T, index: number) => Promise<void>,
  onProgress?: (done: number) => void): Promise<void> {
  let next = 0;
  let done = 0;
  let failure: { err: unknown } | undefined;
  const worker = async (): Promise<void> => {
    while (failure === undefined && next < items.length) {
      const i = next++;
      try {
        await fn(items[i] as T, i);
      } catch (err) {
        failure ??= { err };
        return;
      }
      done++;
      onProgress?.(done);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, items.length)) }, () => worker()));
  if (failure) throw failure.err;
}
