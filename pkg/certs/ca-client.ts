// The data plane's client for istiod's certificate service (istio.v1.auth.IstioCertificateService/
// CreateCertificate) over one reused TLS gRPC channel: builds the CSR for a workload identity,
// authenticates with the caller's bearer token and cluster id, asks for that identity by
// impersonation (ztunnel, for its pods) or as itself (a waypoint: no impersonation header), and
// accepts the answer only if the leaf carries exactly the identity asked for.
// gRPC failures become MeshErrors that keep the server's own message.

import * as grpc from '@grpc/grpc-js';
import { createCertificateMethod, IMPERSONATED_IDENTITY, type CertificateRequest, type CertificateResponse } from '../api/ca-messages';
import { ErrorCode, MeshError, describeError, isMeshError } from '../errors/mesh-error';
import { formatSpiffeId, type SpiffeId } from '../identity/spiffe';
import { createCsr } from '../tls/csr';
import { generateP256Key, type PrivateKeyMaterial } from '../tls/keys';
import { splitPemCertificates } from '../tls/pem';
import { workloadCertificateFromChain, type WorkloadCertificate } from '../tls/workload-cert';
import type { CertificateFetcher } from './cert-manager';
import type { TokenSource } from './token-source';

export const DEFAULT_CLUSTER_ID = 'Kubernetes';
export const DEFAULT_CA_SERVER_NAME = 'istiod.istio-system.svc';
export const DEFAULT_CA_TIMEOUT_MS = 10_000;
/** A certificate response is a few KiB; anything near this is not a certificate chain. */
const MAX_RESPONSE_BYTES = 1024 * 1024;

export interface CaClientOptions {
  /** `host:port` of the CA (istiod's 15012); an `https://` prefix is tolerated. */
  readonly address: string;
  /** PEM root(s) the CA's serving certificate must chain to. */
  readonly rootCertPem: string;
  readonly tokenSource: TokenSource;
  /** Sent as `clusterid` metadata; default 'Kubernetes'. */
  readonly clusterId?: string;
  /** The name the CA's serving certificate must carry (also the SNI); default 'istiod.istio-system.svc'. */
  readonly serverName?: string;
  /** Deadline of one CreateCertificate call; default 10 s. */
  readonly timeoutMs?: number;
  /** Extra gRPC metadata on every call (Istio's CA_HEADER_<name> settings). */
  readonly extraMetadata?: Readonly<Record<string, string>>;
  /** The channel's reconnect backoff; default 500 ms growing to 5 s (the manager does its own backoff). */
  readonly reconnectBackoff?: { readonly initialMs: number; readonly maxMs: number };
  /**
   * Send the `ImpersonatedIdentity` metadata (ztunnel asking for its pods' identities); default
   * true. False: the caller asks for its own identity, the one its token proves (a waypoint).
   */
  readonly impersonate?: boolean;
}

type Callback = (err: grpc.ServiceError | null, value?: CertificateResponse) => void;

export class CaClient {
  readonly address: string;
  private readonly client: grpc.Client;
  private readonly tokenSource: TokenSource;
  private readonly clusterId: string;
  private readonly timeoutMs: number;
  private readonly extraMetadata: Readonly<Record<string, string>>;
  private readonly impersonate: boolean;
  private closed = false;

  constructor(options: CaClientOptions) {
    this.address = options.address.replace(/^https:\/\//, '').replace(/\/+$/, '');
    this.tokenSource = options.tokenSource;
    this.clusterId = options.clusterId ?? DEFAULT_CLUSTER_ID;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_CA_TIMEOUT_MS;
    this.extraMetadata = { ...options.extraMetadata };
    this.impersonate = options.impersonate ?? true;
    const serverName = options.serverName ?? DEFAULT_CA_SERVER_NAME;
    const backoff = options.reconnectBackoff ?? { initialMs: 500, maxMs: 5_000 };
    const problems = optionProblems(this.address, options.rootCertPem, this.clusterId, this.timeoutMs, serverName);
    for (const [name, value] of Object.entries(this.extraMetadata)) {
      try {
        new grpc.Metadata().set(name, value);
      } catch (err) {
        problems.push(`extra metadata ${JSON.stringify(name)} is not a valid gRPC header: ${describeError(err)}`);
      }
    }
    if (problems.length) throw new MeshError(ErrorCode.InvalidArgument, `invalid CA client options: ${problems.join('; ')}`);
    const credentials = grpc.credentials.createSsl(Buffer.from(options.rootCertPem));
    this.client = new grpc.Client(this.address, credentials, {
      'grpc.ssl_target_name_override': serverName,
      'grpc.default_authority': serverName,
      'grpc.initial_reconnect_backoff_ms': backoff.initialMs,
      'grpc.max_reconnect_backoff_ms': backoff.maxMs,
      'grpc.max_receive_message_length': MAX_RESPONSE_BYTES,
    });
  }

  /**
   * A certificate for `identity` with `key` (which never leaves this process), valid for
   * `ttlSeconds` if the CA agrees (0 asks for the CA's default). Rejects with a MeshError:
   * Unauthenticated (no token, or the CA did not accept it), PermissionDenied, InvalidArgument,
   * Unavailable (unreachable, timed out, TLS failure), BadCertificate (unusable answer, e.g. a leaf
   * for a different identity).
   */
  async fetch(identity: SpiffeId, key: PrivateKeyMaterial, ttlSeconds: number): Promise<WorkloadCertificate> {
    const id = formatSpiffeId(identity);
    if (this.closed) throw new MeshError(ErrorCode.Unavailable, `cannot request a certificate for ${id}: the CA client is closed`);
    if (!(Number.isInteger(ttlSeconds) && ttlSeconds >= 0)) {
      throw new MeshError(ErrorCode.InvalidArgument, `cannot request a certificate for ${id}: ttlSeconds must be a non-negative integer, got ${ttlSeconds}`);
    }
    const token = await this.tokenSource.token();
    const metadata = new grpc.Metadata();
    for (const [name, value] of Object.entries(this.extraMetadata)) metadata.set(name, value);
    metadata.set('authorization', `Bearer ${token}`);
    metadata.set('clusterid', this.clusterId);
    const request: CertificateRequest = {
      csr: await createCsr(key, identity),
      validityDurationSeconds: ttlSeconds,
      metadata: this.impersonate ? { [IMPERSONATED_IDENTITY]: id } : {},
    };
    const response = await this.call(request, metadata, id);
    try {
      return workloadCertificateFromChain(response.certChain, key.pem, identity);
    } catch (err) {
      throw new MeshError(
        ErrorCode.BadCertificate,
        `the CA at ${this.address} returned an unusable certificate for ${id}: ${isMeshError(err) ? err.message : describeError(err)}`,
        { cause: err },
      );
    }
  }

  /** Closes the channel; later fetches reject with Unavailable. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.client.close();
  }

  private call(request: CertificateRequest, metadata: grpc.Metadata, id: string): Promise<CertificateResponse> {
    const m = createCertificateMethod;
    // close() may have run while the token or CSR was being prepared.
    if (this.closed) return Promise.reject(new MeshError(ErrorCode.Unavailable, `cannot request a certificate for ${id}: the CA client is closed`));
    return new Promise((resolve, reject) => {
      const callback: Callback = (err, value) => {
        if (err) reject(this.mapError(err, id));
        else if (!value) reject(new MeshError(ErrorCode.Unavailable, `the CA at ${this.address} sent no answer for ${id}`));
        else resolve(value);
      };
      this.client.makeUnaryRequest(m.path, m.requestSerialize, m.responseDeserialize, request, metadata, { deadline: Date.now() + this.timeoutMs }, callback);
    });
  }

  private mapError(err: grpc.ServiceError, id: string): MeshError {
    const statusName = grpc.status[err.code] ?? String(err.code);
    // grpc-js appends an empty "Resolution note:" to connection failures; it only adds noise.
    const details = (err.details || err.message).replace(/\s*Resolution note:\s*$/, '');
    const message = `certificate request for ${id} to the CA at ${this.address} failed: ${details} (gRPC ${statusName})`;
    return new MeshError(codeFor(err.code), message, { cause: err });
  }
}

/** A CertificateManager fetcher: a fresh P-256 key per certificate, requested through `client`. */
export function caFetcher(client: CaClient, newKey: () => Promise<PrivateKeyMaterial> = generateP256Key): CertificateFetcher {
  return async (identity, ttlSeconds) => client.fetch(identity, await newKey(), ttlSeconds);
}

function codeFor(code: grpc.status): MeshError['code'] {
  switch (code) {
    case grpc.status.UNAUTHENTICATED:
      return ErrorCode.Unauthenticated;
    case grpc.status.PERMISSION_DENIED:
      return ErrorCode.PermissionDenied;
    case grpc.status.INVALID_ARGUMENT:
      return ErrorCode.InvalidArgument;
    case grpc.status.UNIMPLEMENTED:
      return ErrorCode.Internal;
    default:
      // UNAVAILABLE, DEADLINE_EXCEEDED, RESOURCE_EXHAUSTED, INTERNAL, ...: worth retrying later.
      return ErrorCode.Unavailable;
  }
}

function optionProblems(address: string, rootCertPem: string, clusterId: string, timeoutMs: number, serverName: string): string[] {
  const problems: string[] = [];
  const m = /^(\[[0-9a-fA-F:.]+\]|[^:[\]]+):(\d+)$/.exec(address);
  const port = m ? Number(m[2]) : NaN;
  if (!m || !(port >= 1 && port <= 65535)) problems.push(`address ${JSON.stringify(address)} is not host:port`);
  if (splitPemCertificates(rootCertPem).length === 0) problems.push('rootCertPem holds no PEM certificate');
  if (!/^[\x21-\x7e]+$/.test(clusterId)) problems.push(`clusterId ${JSON.stringify(clusterId)} must be non-empty printable ASCII`);
  if (!(Number.isFinite(timeoutMs) && timeoutMs > 0)) problems.push(`timeoutMs must be positive, got ${timeoutMs}`);
  if (serverName.length === 0) problems.push('serverName is empty');
  return problems;
}
