// The one error type of the mesh: a closed catalogue of codes, a message meant for a person, and
// an optional cause chain. Expected failures on hot paths (a denial, no endpoint) are values, not
// thrown MeshErrors; this type is for the failures that end an operation.

export const ErrorCode = {
  /** Input that can never be valid (a malformed identity, CSR, authority, config field). */
  InvalidArgument: 'InvalidArgument',
  /** A caller that could not be authenticated (no token, bad token, untrusted certificate). */
  Unauthenticated: 'Unauthenticated',
  /** An authenticated caller asking for something it may not have. */
  PermissionDenied: 'PermissionDenied',
  /** A dependency that cannot be reached now; retrying later may succeed. */
  Unavailable: 'Unavailable',
  /** A deadline passed. */
  Timeout: 'Timeout',
  /** Something named does not exist. */
  NotFound: 'NotFound',
  /** A certificate or key that is unusable (expired, wrong identity, broken chain). */
  BadCertificate: 'BadCertificate',
  /** A bug or an impossible state. */
  Internal: 'Internal',
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

export class MeshError extends Error {
  readonly code: ErrorCode;

  constructor(code: ErrorCode, message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = 'MeshError';
    this.code = code;
  }
}

export function isMeshError(err: unknown, code?: ErrorCode): err is MeshError {
  return err instanceof MeshError && (code === undefined || err.code === code);
}

/** A one-line description of any thrown value, following the cause chain. */
export function describeError(err: unknown): string {
  const parts: string[] = [];
  let current: unknown = err;
  for (let depth = 0; current !== undefined && current !== null && depth < 5; depth++) {
    if (current instanceof Error) {
      parts.push(current.message);
      current = current.cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join(': ');
}
