// How HBONE client failures look to callers: a refused CONNECT carries its HTTP status
// (`HboneConnectError`), TLS and identity failures become BadCertificate / Unauthenticated with the
// reason, anything else on the way is Unavailable or Timeout. Pure mapping, no sockets.

import { constants as h2 } from 'node:http2';
import { ErrorCode, MeshError, describeError, isMeshError } from '../errors/mesh-error';

/** A CONNECT the server answered with a non-200 status. */
export class HboneConnectError extends MeshError {
  readonly status: number;

  constructor(status: number, message: string, options?: { cause?: unknown }) {
    super(codeForStatus(status), message, options);
    this.name = 'HboneConnectError';
    this.status = status;
  }
}

export function isHboneConnectError(err: unknown): err is HboneConnectError {
  return err instanceof HboneConnectError;
}

/** 401 → PermissionDenied, 400 → InvalidArgument, everything else → Unavailable. */
export function codeForStatus(status: number): ErrorCode {
  if (status === 401 || status === 403) return ErrorCode.PermissionDenied;
  if (status === 400) return ErrorCode.InvalidArgument;
  return ErrorCode.Unavailable;
}

// OpenSSL verification results (as Node reports them in `err.code`) about the peer's certificate.
const PEER_CERT_CODES = new Set([
  'CERT_HAS_EXPIRED',
  'CERT_NOT_YET_VALID',
  'CERT_REVOKED',
  'CERT_UNTRUSTED',
  'CERT_REJECTED',
  'CERT_SIGNATURE_FAILURE',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_GET_ISSUER_CERT',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'INVALID_CA',
  'INVALID_PURPOSE',
  'ERR_TLS_CERT_ALTNAME_INVALID',
]);

function errorCodeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Maps a failure while establishing an HBONE connection to a MeshError for `target`.
 * The server's certificate being unacceptable → BadCertificate; the server refusing ours (a TLS
 * alert) → Unauthenticated; refused/reset/unreachable → Unavailable.
 */
export function connectionFailure(target: string, err: unknown): MeshError {
  if (isMeshError(err)) return err;
  const code = errorCodeOf(err) ?? '';
  const why = describeError(err);
  if (PEER_CERT_CODES.has(code)) {
    return new MeshError(ErrorCode.BadCertificate, `HBONE server ${target} presented an unacceptable certificate: ${why}`, { cause: err });
  }
  if (code.startsWith('ERR_SSL_') && code.includes('ALERT')) {
    return new MeshError(ErrorCode.Unauthenticated, `HBONE server ${target} refused the TLS handshake: it did not accept our certificate: ${why}`, {
      cause: err,
    });
  }
  if (code.startsWith('ERR_SSL_') || code.startsWith('ERR_TLS_')) {
    return new MeshError(ErrorCode.Unauthenticated, `TLS handshake with HBONE server ${target} failed: ${why}`, { cause: err });
  }
  if (code === 'ERR_HTTP2_ERROR' && /ALPN|protocol/i.test(why)) {
    return new MeshError(ErrorCode.Unavailable, `HBONE server ${target} does not speak HTTP/2: ${why}`, { cause: err });
  }
  return new MeshError(ErrorCode.Unavailable, `cannot reach HBONE server ${target}: ${why}`, { cause: err });
}

/** The reason a server gives in GOAWAY, as a MeshError (INADEQUATE_SECURITY → Unauthenticated). */
export function goawayFailure(target: string, errorCode: number, opaque: Buffer | undefined): MeshError {
  const detail = opaque && opaque.length > 0 ? `: ${printable(opaque.subarray(0, 200).toString('utf8'))}` : '';
  if (errorCode === h2.NGHTTP2_INADEQUATE_SECURITY) {
    return new MeshError(ErrorCode.Unauthenticated, `HBONE server ${target} refused the connection (our identity was not accepted)${detail}`);
  }
  return new MeshError(ErrorCode.Unavailable, `HBONE server ${target} closed the connection (GOAWAY code ${errorCode})${detail}`);
}

/** Keeps only printable ASCII (for peer-supplied text that ends up in messages). */
export function printable(text: string): string {
  let out = '';
  for (const ch of text) {
    const c = ch.charCodeAt(0);
    out += c >= 0x20 && c < 0x7f ? ch : '?';
  }
  return out;
}
