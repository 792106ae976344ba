// istiod's gRPC server on 15012: TLS with a serving certificate istiod issues for itself from its
// own CA, bounded messages and streams, keepalive, and whatever services it is given (the CA
// today; xDS registers on the same server by adding an entry to `services`).
// Serving-certificate rotation is future work: the certificate lives for `servingTtlSeconds`
// (1 year by default) and a restart issues a new one. grpc-js's certificate-provider credentials
// can swap it in place when that is added.

import { isIP } from 'node:net';
import { Server, ServerCredentials, type ServiceDefinition, type UntypedServiceImplementation } from '@grpc/grpc-js';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import type { CertificateAuthority } from '../pkg/tls/authority';
import type { Logger } from '../pkg/log/logger';

export interface GrpcService {
  /** For log lines, e.g. "istio.v1.auth.IstioCertificateService". */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
}

export interface GrpcServerOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly ca: CertificateAuthority;
  /** istiod's namespace, for the serving certificate's DNS names. */
  readonly namespace: string;
  readonly servingTtlSeconds: number;
  readonly services: readonly GrpcService[];
  readonly logger: Logger;
  /** Largest request message accepted (default 64 KiB — CSRs are ~1 KiB). */
  readonly maxReceiveMessageBytes?: number;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** The DNS names and IPs in the serving certificate. */
  readonly servingNames: readonly string[];
  /** Lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024;

const WILDCARD_HOSTS = new Set(['0.0.0.0', '::', '']);

/** Names a client may use to reach istiod: its Service names, localhost, loopback, and the listen IP. */
export function servingNames(namespace: string, host: string): { dnsNames: string[]; ipAddresses: string[] } {
  const dnsNames = [`istiod.${namespace}.svc`, `istiod.${namespace}.svc.cluster.local`, 'istiod', 'localhost'];
  const ipAddresses = ['127.0.0.1', '::1'];
  if (isIP(host) && !WILDCARD_HOSTS.has(host) && !ipAddresses.includes(host)) ipAddresses.push(host);
  return { dnsNames, ipAddresses };
}

export async function startGrpcServer(opts: GrpcServerOptions): Promise<RunningGrpcServer> {
  const names = servingNames(opts.namespace, opts.host);
  const serving = await opts.ca.issueServing({ ...names, ttlSeconds: opts.servingTtlSeconds });
  const credentials = ServerCredentials.createSsl(
    Buffer.from(opts.ca.rootsPem),
    [{ private_key: Buffer.from(serving.keyPem), cert_chain: Buffer.from(serving.certChainPem) }],
    false,
  );
  const server = new Server({
    'grpc.max_receive_message_length': opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': 100,
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_connection_idle_ms': 30 * 60_000,
  });
  for (const service of opts.services) server.addService(service.definition, service.implementation);

  const address = isIP(opts.host) === 6 ? `[${opts.host}]:${opts.port}` : `${opts.host}:${opts.port}`;
  const port = await new Promise<number>((resolve, reject) => {
    server.bindAsync(address, credentials, (err, bound) => {
      if (err) reject(new MeshError(ErrorCode.Unavailable, `cannot listen on ${address} for gRPC`, { cause: err }));
      else resolve(bound);
    });
  });
  opts.logger.info(`gRPC (TLS) listening on ${isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host}:${port}: ${opts.services.map((s) => s.name).join(', ')}`);

  let closing: Promise<void> | undefined;
  return {
    port,
    servingNames: [...names.dnsNames, ...names.ipAddresses],
    close: (graceMs = 5_000) => {
      closing ??= new Promise<void>((resolve) => {
        const timer = setTimeout(() => { server.forceShutdown(); resolve(); }, graceMs);
        server.tryShutdown(() => { clearTimeout(timer); resolve(); });
      });
      return closing;
    },
  };
}
