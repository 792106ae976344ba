// Test-only helper: a throw-away mesh CA and workload certificates issued the way ztunnel gets
// them (P-256 key → CSR → CA signs → chain verified). Never import this from production code.
//
//   const mesh = await createTestMesh();                      // trust domain cluster.local
//   const client = await mesh.issue('shop', 'productpage');   // valid now, 1 h
//   const old = await mesh.issue('shop', 'reviews', { now: new Date(Date.now() - 7_200_000), ttlSeconds: 3600 }); // expired
//   tls.createServer({ ...mtlsContextOptions(server), requestCert: true, rejectUnauthorized: true }, ...)
//
// Two meshes made by two calls have unrelated roots (a certificate from one is untrusted by the
// other). Nothing is cached between calls.

import { spiffeId, type SpiffeId } from '../identity/spiffe';
import { CertificateAuthority } from '../tls/authority';
import { createCsr } from '../tls/csr';
import { generateP256Key } from '../tls/keys';
import { workloadCertificateFromChain, type WorkloadCertificate } from '../tls/workload-cert';

/** How far in the past the test root starts, so `issue(..., { now })` may back-date that much. */
export const TEST_ROOT_BACKDATE_DAYS = 30;
const DAY_MS = 24 * 60 * 60 * 1000;

export interface IssueOptions {
  /** Certificate lifetime (default 3600 s). */
  readonly ttlSeconds?: number;
  /** Issue "at" this time (default now; at most TEST_ROOT_BACKDATE_DAYS ago). A past `now` plus a short TTL gives an expired certificate. */
  readonly now?: Date;
}

export interface TestMesh {
  readonly trustDomain: string;
  /** The mesh's self-signed root CA (also usable directly: signWorkload, issueServing). */
  readonly ca: CertificateAuthority;
  /** The trust bundle (PEM) every workload certificate of this mesh trusts. */
  readonly rootsPem: string;
  /** The identity spiffe://<trustDomain>/ns/<namespace>/sa/<serviceAccount>. */
  identity(namespace: string, serviceAccount: string): SpiffeId;
  /** A fresh key and certificate for the identity, exactly as the data plane would hold it. */
  issue(namespace: string, serviceAccount: string, opts?: IssueOptions): Promise<WorkloadCertificate>;
}

/** A new mesh with its own root CA (valid from TEST_ROOT_BACKDATE_DAYS ago for ten years). */
export async function createTestMesh(opts: { trustDomain?: string } = {}): Promise<TestMesh> {
  const trustDomain = opts.trustDomain ?? 'cluster.local';
  const ca = await CertificateAuthority.createRoot({
    trustDomain,
    ttlSeconds: 3650 * 24 * 3600,
    now: new Date(Date.now() - TEST_ROOT_BACKDATE_DAYS * DAY_MS),
  });
  return {
    trustDomain,
    ca,
    rootsPem: ca.rootsPem,
    identity: (namespace, serviceAccount) => spiffeId(trustDomain, namespace, serviceAccount),
    async issue(namespace, serviceAccount, issueOpts = {}) {
      const identity = spiffeId(trustDomain, namespace, serviceAccount);
      const now = issueOpts.now ?? new Date();
      const key = await generateP256Key();
      const csrPem = await createCsr(key, identity);
      const chain = await ca.signWorkload({ csrPem, identity, ttlSeconds: issueOpts.ttlSeconds ?? 3600, now });
      // Verified at issue time, so an already-expired certificate can still be built for tests.
      return workloadCertificateFromChain(chain, key.pem, identity, now);
    },
  };
}
