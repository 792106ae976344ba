// What ztunnel's admin port shows (Istio ztunnel's /config_dump layout, camelCase): workloads,
// services, policies, certificates (with each PEM's serial number and validity), the loaded
// configuration, capture and xDS status, and the state version. Pure: built from read-only views.

import { X509Certificate } from 'node:crypto';
import { tryParseSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import { splitPemCertificates } from '../../pkg/tls/pem';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import type { CertificateSnapshot } from '../../pkg/certs/cert-manager';
import type { StateView } from '../state/types';

/** What the dump needs from the certificate manager. */
export interface CertificateSource {
  snapshot(): readonly CertificateSnapshot[];
  peek(identity: SpiffeId): WorkloadCertificate | undefined;
}

export interface DumpSources {
  readonly state: StateView;
  readonly certificates: CertificateSource;
  /** The loaded configuration (shown as is). */
  readonly config: unknown;
  /** Capture status (rules, captured pods, last error), or a note that capture is off. */
  capture(): unknown;
  /** xDS client status. */
  xds(): unknown;
  /** The L4 authorization policies in force (decoded). */
  policies(): readonly unknown[];
}

export interface CertificateDetails {
  readonly pem: string;
  readonly serialNumber: string;
  readonly validFrom: string;
  readonly expirationTime: string;
}

export type CertificateDump = CertificateSnapshot & {
  readonly certChain: readonly CertificateDetails[];
  readonly rootCerts: readonly CertificateDetails[];
};

function isoOr(text: string): string {
  const t = Date.parse(text);
  return Number.isNaN(t) ? text : new Date(t).toISOString();
}

/** Serial number and validity of one PEM certificate (left out if it cannot be parsed). */
export function certificateDetails(pem: string): CertificateDetails | undefined {
  try {
    const x = new X509Certificate(pem);
    return { pem, serialNumber: x.serialNumber.toLowerCase(), validFrom: isoOr(x.validFrom), expirationTime: isoOr(x.validTo) };
  } catch {
    return undefined;
  }
}

function details(pems: readonly string[]): CertificateDetails[] {
  return pems.map(certificateDetails).filter((d): d is CertificateDetails => d !== undefined);
}

/** Every identity the manager tracks, with the chain and roots of its current certificate. */
export function certificatesDump(source: CertificateSource): CertificateDump[] {
  return source.snapshot().map((entry) => {
    const id = tryParseSpiffeId(entry.identity);
    const cert = id ? source.peek(id) : undefined;
    return {
      ...entry,
      certChain: cert ? details(cert.certChainPem) : [],
      rootCerts: cert ? details(splitPemCertificates(cert.rootsPem)) : [],
    };
  });
}

export function configDump(sources: DumpSources): Record<string, unknown> {
  return {
    workloads: sources.state.allWorkloads(),
    services: sources.state.allServices(),
    policies: sources.policies(),
    certificates: certificatesDump(sources.certificates),
    config: sources.config,
    capture: sources.capture(),
    xds: sources.xds(),
    version: sources.state.version,
  };
}
