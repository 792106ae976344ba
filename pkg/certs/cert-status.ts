// What the certificate manager tells people about an identity: its state for the admin config
// dump, and the error a caller gets when there is no valid certificate (why, the CA's last
// answer, when the old certificate expired, when the next attempt is due).

import { ErrorCode, MeshError } from '../errors/mesh-error';
import type { WorkloadCertificate } from '../tls/workload-cert';

export type CertificateState = 'initializing' | 'available' | 'unavailable';

/** One identity as the admin config dump shows it (times as ISO strings). */
export interface CertificateSnapshot {
  readonly identity: string;
  readonly state: CertificateState;
  readonly notBefore?: string;
  readonly notAfter?: string;
  /** When the next renewal or retry is due (absent while a fetch runs or waits for a slot). */
  readonly nextRefreshAt?: string;
  readonly fetching: 'queued' | 'running' | 'no';
  readonly consecutiveFailures: number;
  readonly lastError?: string;
}

/** The parts of an identity's record that its status depends on. */
export interface StatusInput {
  readonly key: string;
  readonly cert?: WorkloadCertificate;
  readonly lastError?: MeshError;
  readonly nextRefreshAt?: number;
}

export function isValidAt(cert: WorkloadCertificate, now: number): boolean {
  return now < cert.notAfter.getTime();
}

export function certificateState(entry: StatusInput, now: number): CertificateState {
  if (entry.cert && isValidAt(entry.cert, now)) return 'available';
  return entry.lastError ? 'unavailable' : 'initializing';
}

function reasonFor(err: MeshError | undefined): string {
  switch (err?.code) {
    case undefined:
    case ErrorCode.Unavailable:
    case ErrorCode.Timeout:
      return 'the CA is unreachable';
    case ErrorCode.Unauthenticated:
      return "the CA did not accept this node agent's credentials";
    case ErrorCode.PermissionDenied:
      return 'the CA refused to issue it';
    case ErrorCode.BadCertificate:
      return 'the CA returned an unusable certificate';
    default:
      return 'fetching it failed';
  }
}

/**
 * The error for "no valid certificate": Unavailable when the CA could not be reached (or timed
 * out), otherwise the code of the CA's last answer (PermissionDenied, Unauthenticated, ...).
 */
export function noCertificateError(entry: StatusInput, now: number): MeshError {
  const last = entry.lastError;
  const parts = [`no valid certificate for ${entry.key}: ${reasonFor(last)} (last error: ${last ? last.message : 'none'})`];
  if (entry.cert) parts.push(`the last certificate expired at ${entry.cert.notAfter.toISOString()}`);
  if (entry.nextRefreshAt !== undefined) parts.push(`next attempt in ${Math.max(0, Math.ceil((entry.nextRefreshAt - now) / 1000))} s`);
  const code = !last || last.code === ErrorCode.Timeout ? ErrorCode.Unavailable : last.code;
  return new MeshError(code, parts.join('; '), last ? { cause: last } : undefined);
}
