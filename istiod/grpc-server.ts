// istiod's gRPC server on 15012: TLS with a serving certificate istiod issues for itself from its
// own CA, bounded messages and streams, keepalive for long-lived xDS streams, and whatever services
// it is given (the CA and delta ADS). grpc-js message limits are per server, so the server-wide
// receive limit is the largest any service needs (xDS) and a service may declare a smaller
// `maxRequestBytes` (the CA: 64 KiB), checked on the raw bytes before anything is decoded and
// answered RESOURCE_EXHAUSTED by an interceptor.
// Serving-certificate rotation is future work: the certificate lives for `servingTtlSeconds`
// (1 year by default) and a restart issues a new one. grpc-js's certificate-provider credentials
// can swap it in place when that is added.

import { isIP } from 'node:net';
import {
  Server, ServerCredentials, ServerInterceptingCall, status, type MethodDefinition, type ServerInterceptor, type ServiceDefinition,
  type UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import type { CertificateAuthority } from '../pkg/tls/authority';
import type { Logger } from '../pkg/log/logger';

export interface GrpcService {
  /** For log lines, e.g. "istio.v1.auth.IstioCertificateService". */
  readonly name: string;
  readonly definition: ServiceDefinition;
  readonly implementation: UntypedServiceImplementation;
  /** Requests of this service larger than this are refused before decoding (default: the server's limit). */
  readonly maxRequestBytes?: number;
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
  /** Largest request message accepted by any service (default 64 KiB — CSRs are ~1 KiB). */
  readonly maxReceiveMessageBytes?: number;
  /** Largest response message (default 4 MiB). */
  readonly maxSendMessageBytes?: number;
}

export interface RunningGrpcServer {
  readonly port: number;
  /** The DNS names and IPs in the serving certificate. */
  readonly servingNames: readonly string[];
  /** Lets in-flight calls finish for up to `graceMs`, then cuts the rest. */
  close(graceMs?: number): Promise<void>;
}

export const DEFAULT_MAX_RECEIVE_MESSAGE_BYTES = 64 * 1024;
export const DEFAULT_MAX_SEND_MESSAGE_BYTES = 4 * 1024 * 1024;

/** What a size-limited deserializer hands on instead of decoding an oversized request. */
export interface OversizedRequest {
  readonly [OVERSIZED]: { readonly bytes: number; readonly limit: number };
}
const OVERSIZED = Symbol('oversized request');

export function isOversized(message: unknown): message is OversizedRequest {
  return typeof message === 'object' && message !== null && OVERSIZED in message;
}

/**
 * The service definition with every method's request deserializer declining to decode more than
 * `maxBytes`: it hands on an OversizedRequest marker, which `oversizedRequestGuard` answers with
 * RESOURCE_EXHAUSTED (as grpc-js does for the server-wide limit) before any handler sees it.
 */
export function limitRequestBytes(definition: ServiceDefinition, maxBytes: number): ServiceDefinition {
  const limited: Record<string, MethodDefinition<unknown, unknown>> = {};
  for (const [key, method] of Object.entries(definition) as [string, MethodDefinition<unknown, unknown>][]) {
    limited[key] = {
      ...method,
      requestDeserialize: (bytes: Buffer): unknown => (bytes.length > maxBytes
        ? { [OVERSIZED]: { bytes: bytes.length, limit: maxBytes } } satisfies OversizedRequest
        : method.requestDeserialize(bytes)),
    };
  }
  return limited;
}

/** Ends a call whose request a size-limited deserializer declined (see limitRequestBytes). */
export function oversizedRequestGuard(onRefused: (path: string, bytes: number, limit: number) => void): ServerInterceptor {
  return (method, call) => {
    const intercepting: ServerInterceptingCall = new ServerInterceptingCall(call, {
      start: (next) => next({
        onReceiveMessage: (message: unknown, pass: (message: unknown) => void) => {
          if (!isOversized(message)) {
            pass(message);
            return;
          }
          const { bytes, limit } = message[OVERSIZED];
          onRefused(method.path, bytes, limit);
          intercepting.sendStatus({ code: status.RESOURCE_EXHAUSTED, details: `Received message larger than max (${bytes} vs. ${limit})` });
        },
      }),
    });
    return intercepting;
  };
}

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
  const maxReceive = opts.maxReceiveMessageBytes ?? DEFAULT_MAX_RECEIVE_MESSAGE_BYTES;
  const server = new Server({
    'grpc.max_receive_message_length': maxReceive,
    'grpc.max_send_message_length': opts.maxSendMessageBytes ?? DEFAULT_MAX_SEND_MESSAGE_BYTES,
    'grpc.max_concurrent_streams': 100,
    // Ping every client after 30 s without traffic, drop it after 10 s without an answer: a dead
    // node agent's xDS stream is noticed within ~40 s. Idle connections (no call) close after 30 min.
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.max_connection_idle_ms': 30 * 60_000,
    interceptors: [oversizedRequestGuard((path, bytes, limit) =>
      opts.logger.warn(`gRPC refused RESOURCE_EXHAUSTED: a ${bytes}-byte request to ${path} (limit ${limit} bytes)`))],
  });
  for (const service of opts.services) {
    const definition = service.maxRequestBytes !== undefined && service.maxRequestBytes < maxReceive
      ? limitRequestBytes(service.definition, service.maxRequestBytes)
      : service.definition;
    server.addService(definition, service.implementation);
  }

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
