// Test-only helpers for HBONE tests (never import from production code): loopback TCP targets
// (echo, hash-and-reply, greeter), a connect handler that dials 127.0.0.1:<authority port>, and a
// bed with a mesh, certificates, a listening HBONE server and a client pool, disposed in one call.

import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { createTestMesh, type TestMesh } from '../testing/mesh-certs';
import type { WorkloadCertificate } from '../tls/workload-cert';
import { HbonePool } from './pool';
import { createHboneServer } from './server';
import type { ConnectHandler, HboneDialRequest, HbonePoolOptions, HboneServer, HboneServerLimits, HboneStream } from './types';

export type TargetKind =
  /** Sends back every byte; ends when the client ends. */
  | 'echo'
  /** Reads until the client ends, then answers with the SHA-256 hex of what it read and ends. */
  | 'hash'
  /** Says `hello\n` and ends its side at once, then collects what arrives (see `received`). */
  | 'greeter';

export interface TcpTarget {
  readonly port: number;
  /** For `greeter`: everything each connection sent, in connection order. */
  readonly received: Promise<Buffer>[];
  close(): void;
}

export async function startTcpTarget(kind: TargetKind): Promise<TcpTarget> {
  const sockets = new Set<Socket>();
  const received: Promise<Buffer>[] = [];
  const server: Server = createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
    socket.once('close', () => sockets.delete(socket));
    if (kind === 'echo') {
      socket.pipe(socket);
    } else if (kind === 'hash') {
      const hash = createHash('sha256');
      socket.on('data', (chunk: Buffer) => hash.update(chunk));
      socket.once('end', () => socket.end(hash.digest('hex')));
    } else {
      socket.end('hello\n');
      received.push(collect(socket));
    }
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return {
    port: (server.address() as AddressInfo).port,
    received,
    close: () => {
      for (const s of sockets) s.destroy();
      server.close();
    },
  };
}

/** Everything a stream delivers until it ends (rejects on error or an abrupt close). */
export function collect(stream: Duplex): Promise<Buffer> {
  const chunks: Buffer[] = [];
  stream.on('data', (chunk: Buffer) => chunks.push(chunk));
  return new Promise<Buffer>((resolve, reject) => {
    stream.once('end', () => resolve(Buffer.concat(chunks)));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.readableEnded) reject(new Error('closed before the end'));
    });
  });
}

/** The SHA-256 hex of everything a stream delivers. */
export function hashOf(stream: Duplex): Promise<string> {
  const hash = createHash('sha256');
  stream.on('data', (chunk: Buffer) => hash.update(chunk));
  return new Promise<string>((resolve, reject) => {
    stream.once('end', () => resolve(hash.digest('hex')));
    stream.once('error', reject);
    stream.once('close', () => {
      if (!stream.readableEnded) reject(new Error('closed before the end'));
    });
  });
}

/** Dials 127.0.0.1:<authority port> (half-open capable); refused → 503, client gone → aborted. */
export const loopbackHandler: ConnectHandler = async (request) => {
  const socket = connect({ host: '127.0.0.1', port: request.authority.port, allowHalfOpen: true });
  const onAbort = (): void => {
    socket.destroy();
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await once(socket, 'connect');
    return { kind: 'connected', upstream: socket, responseBaggage: 'k8s.namespace.name=shop,service.name=reviews' };
  } catch {
    socket.destroy();
    return { kind: 'rejected', status: 503, reason: 'upstream connect failed' };
  } finally {
    request.signal.removeEventListener('abort', onAbort);
  }
};

export interface HboneTestBed {
  readonly mesh: TestMesh;
  readonly serverCert: WorkloadCertificate;
  readonly clientCert: WorkloadCertificate;
  readonly server: HboneServer;
  readonly port: number;
  readonly pool: HbonePool;
  /** A dial request to the bed's server for `authority`, expecting the server's identity. */
  request(authority: string, extra?: Partial<HboneDialRequest>): HboneDialRequest;
  dial(authority: string, extra?: Partial<HboneDialRequest>): Promise<HboneStream>;
  dispose(): Promise<void>;
}

export interface TestBedOptions {
  readonly mesh?: TestMesh;
  readonly onConnect?: ConnectHandler;
  readonly limits?: Partial<HboneServerLimits>;
  readonly pool?: Partial<HbonePoolOptions>;
}

export async function startHboneTestBed(options: TestBedOptions = {}): Promise<HboneTestBed> {
  const mesh = options.mesh ?? (await createTestMesh());
  const serverCert = await mesh.issue('shop', 'reviews');
  const clientCert = await mesh.issue('shop', 'productpage');
  const server = createHboneServer({
    certificateFor: () => serverCert,
    onConnect: options.onConnect ?? loopbackHandler,
    limits: { drainTimeoutMs: 1000, ...options.limits },
  });
  const { port } = await server.listen(0, '127.0.0.1');
  const pool = new HbonePool(options.pool);
  const request = (authority: string, extra: Partial<HboneDialRequest> = {}): HboneDialRequest => ({
    source: clientCert,
    destination: { address: '127.0.0.1', port },
    expectedIdentities: [serverCert.identity],
    authority,
    ...extra,
  });
  return {
    mesh,
    serverCert,
    clientCert,
    server,
    port,
    pool,
    request,
    dial: (authority, extra) => pool.connect(request(authority, extra)),
    dispose: async () => {
      await pool.close();
      await server.close();
    },
  };
}
