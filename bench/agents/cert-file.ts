// Hands a WorkloadCertificate from the harness to an agent process through a JSON file in the
// run's temp dir (identity as its SPIFFE URI, dates as ISO strings), and writes the PEM files
// stunnel wants from the same certificate.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { formatSpiffeId, parseSpiffeId } from '../../pkg/identity/spiffe';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';

interface CertFileJson {
  readonly identity: string;
  readonly certChainPem: readonly string[];
  readonly rootsPem: string;
  readonly keyPem: string;
  readonly notBefore: string;
  readonly notAfter: string;
}

export function certificateToJson(cert: WorkloadCertificate): string {
  const doc: CertFileJson = {
    identity: formatSpiffeId(cert.identity),
    certChainPem: cert.certChainPem,
    rootsPem: cert.rootsPem,
    keyPem: cert.keyPem,
    notBefore: cert.notBefore.toISOString(),
    notAfter: cert.notAfter.toISOString(),
  };
  return JSON.stringify(doc);
}

export function certificateFromJson(text: string): WorkloadCertificate {
  let doc: Partial<CertFileJson>;
  try {
    doc = JSON.parse(text) as Partial<CertFileJson>;
  } catch (err) {
    throw new MeshError(ErrorCode.InvalidArgument, 'certificate file is not JSON', { cause: err });
  }
  if (typeof doc.identity !== 'string' || !Array.isArray(doc.certChainPem) || typeof doc.rootsPem !== 'string' || typeof doc.keyPem !== 'string' || typeof doc.notBefore !== 'string' || typeof doc.notAfter !== 'string') {
    throw new MeshError(ErrorCode.InvalidArgument, 'certificate file lacks identity, certChainPem, rootsPem, keyPem, notBefore or notAfter');
  }
  return {
    identity: parseSpiffeId(doc.identity),
    certChainPem: doc.certChainPem.map(String),
    rootsPem: doc.rootsPem,
    keyPem: doc.keyPem,
    notBefore: new Date(doc.notBefore),
    notAfter: new Date(doc.notAfter),
  };
}

export async function writeCertificateFile(path: string, cert: WorkloadCertificate): Promise<void> {
  await writeFile(path, certificateToJson(cert), { mode: 0o600 });
}

export async function readCertificateFile(path: string): Promise<WorkloadCertificate> {
  return certificateFromJson(await readFile(path, 'utf8'));
}

export interface PemFiles {
  readonly certChain: string;
  readonly key: string;
  readonly roots: string;
}

/** Writes `<prefix>-chain.pem`, `<prefix>-key.pem` and `<prefix>-roots.pem` into `dir`. */
export async function writePemFiles(dir: string, prefix: string, cert: WorkloadCertificate): Promise<PemFiles> {
  const files = { certChain: join(dir, `${prefix}-chain.pem`), key: join(dir, `${prefix}-key.pem`), roots: join(dir, `${prefix}-roots.pem`) };
  const joinPem = (pems: readonly string[]): string => pems.map((p) => (p.endsWith('\n') ? p : `${p}\n`)).join('');
  await writeFile(files.certChain, joinPem(cert.certChainPem), { mode: 0o600 });
  await writeFile(files.key, joinPem([cert.keyPem]), { mode: 0o600 });
  await writeFile(files.roots, joinPem([cert.rootsPem]), { mode: 0o600 });
  return files;
}
