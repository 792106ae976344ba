// Where ztunnel's bearer token for the CA comes from: a file (the projected service account token,
// audience istio-ca, which the kubelet rewrites before it expires) re-read asynchronously whenever
// its modification time or size changes, or a fixed token. Problems are MeshError(Unauthenticated)
// naming the file and what is wrong with it.

import { promises as fs } from 'node:fs';
import { ErrorCode, MeshError } from '../errors/mesh-error';

/** The projected token ztunnel's DaemonSet mounts (audience istio-ca). */
export const DEFAULT_TOKEN_PATH = '/var/run/secrets/tokens/istio-token';
/** A token file larger than this is refused rather than read (a JWT is a few KiB). */
export const MAX_TOKEN_BYTES = 64 * 1024;

export interface TokenSource {
  /** The current token, ready for `authorization: Bearer <token>`; rejects with MeshError(Unauthenticated). */
  token(): Promise<string>;
  /** Where the token comes from, for messages. */
  readonly description: string;
}

// A header value: printable ASCII without spaces (JWTs are base64url and dots).
const TOKEN_RE = /^[\x21-\x7e]+$/;

function tokenProblem(token: string): string | undefined {
  if (token.length === 0) return 'is empty';
  if (!TOKEN_RE.test(token)) return 'contains spaces, line breaks or non-ASCII characters, which cannot go into an authorization header';
  return undefined;
}

/** A fixed token (e.g. from the AUTH_TOKEN setting). */
export function staticTokenSource(token: string): TokenSource {
  const value = token.trim();
  const problem = tokenProblem(value);
  return {
    description: 'the configured static token',
    token: async (): Promise<string> => {
      if (problem) throw new MeshError(ErrorCode.Unauthenticated, `cannot authenticate to the CA: the configured token ${problem}`);
      return value;
    },
  };
}

interface Cached {
  readonly mtimeMs: number;
  readonly size: number;
  readonly token: string;
}

/** A token file, re-read (asynchronously) when it changes; concurrent callers share one read. */
export class FileTokenSource implements TokenSource {
  readonly path: string;
  readonly description: string;
  private cached: Cached | undefined;
  private pending: Promise<string> | undefined;

  constructor(path: string = DEFAULT_TOKEN_PATH) {
    this.path = path;
    this.description = `the token file ${path}`;
  }

  token(): Promise<string> {
    if (!this.pending) {
      this.pending = this.load().finally(() => {
        this.pending = undefined;
      });
    }
    return this.pending;
  }

  private fail(why: string, cause?: unknown): MeshError {
    return new MeshError(
      ErrorCode.Unauthenticated,
      `cannot authenticate to the CA: the token file ${this.path} ${why} (expected the projected service account token with audience istio-ca)`,
      { cause },
    );
  }

  private async load(): Promise<string> {
    let stat;
    try {
      stat = await fs.stat(this.path);
    } catch (err) {
      throw this.fail(isErrno(err, 'ENOENT') ? 'does not exist' : `cannot be read: ${errMessage(err)}`, err);
    }
    if (!stat.isFile()) throw this.fail('is not a regular file');
    if (stat.size > MAX_TOKEN_BYTES) throw this.fail(`is larger than ${MAX_TOKEN_BYTES} bytes`);
    const cached = this.cached;
    if (cached && cached.mtimeMs === stat.mtimeMs && cached.size === stat.size) return cached.token;
    let text: string;
    try {
      text = await fs.readFile(this.path, 'utf8');
    } catch (err) {
      throw this.fail(`cannot be read: ${errMessage(err)}`, err);
    }
    const token = text.trim();
    const problem = tokenProblem(token);
    if (problem) {
      this.cached = undefined;
      throw this.fail(problem);
    }
    this.cached = { mtimeMs: stat.mtimeMs, size: stat.size, token };
    return token;
  }
}

function isErrno(err: unknown, code: string): boolean {
  return err instanceof Error && (err as NodeJS.ErrnoException).code === code;
}

function errMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}
