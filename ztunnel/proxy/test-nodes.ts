// Test-only (never import from production code): two node agents on loopback with real sockets,
// test-mesh certificates and the real L4 policy engine over a settable list of policies. The test
// plays the capture rules: `capture()` returns a port whose connections are handed to a handler
// with an original destination. Apps answer `<name>\n`, then echo (and reset on `RESET`).
//
//   node-a: client (CLIENT_IP), local (LOCAL_IP)      node-b: server (SERVER_IP)

import { once } from 'node:events';
import { connect, createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import type { Authorization } from '../../pkg/api/authorization-types';
import { formatSpiffeId, type SpiffeId } from '../../pkg/identity/spiffe';
import { memoryLogger } from '../../pkg/log/logger';
import { Registry } from '../../pkg/telemetry/metrics';
import { createTestMesh, type TestMesh } from '../../pkg/testing/mesh-certs';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { plainSocketFactory } from '../net/plain';
import { buildPolicyIndex, EMPTY_POLICY_INDEX, type PolicyIndex } from '../policy/policy-index';
import { policyAuthorizer } from './authorize';
import type { Destination } from './context';
import { startProxies, type ZtunnelProxies } from './index';
import { testState, testWorkload } from './test-state';

export const CLIENT_IP = '127.0.61.1';
export const LOCAL_IP = '127.0.61.2';
export const SERVER_IP = '127.0.62.1';
export const OUTSIDE_IP = '127.0.63.1';
const NODE_A_IP = '127.0.61.254';
const NODE_B_IP = '127.0.62.254';

export interface TestNode {
  readonly proxies: ZtunnelProxies;
  readonly metrics: Registry;
  readonly logger: ReturnType<typeof memoryLogger>;
}

export interface TwoNodes {
  readonly a: TestNode;
  readonly b: TestNode;
  /** The port every app listens on (at LOCAL_IP and SERVER_IP). */
  readonly appPort: number;
  /** Replaces the policies both nodes enforce (as an xDS push would). */
  setPolicies(policies: readonly Authorization[]): void;
  /** A listener whose connections go to `handler` with original destination `dest`. */
  capture(handler: (socket: Socket, dest: Destination) => void, dest: Destination): Promise<number>;
  close(): Promise<void>;
}

export async function startTwoNodes(): Promise<TwoNodes> {
  const mesh: TestMesh = await createTestMesh();
  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const certs = new Map<string, Promise<WorkloadCertificate>>();
  let index: PolicyIndex = EMPTY_POLICY_INDEX;
  const certificateFor = (id: SpiffeId): Promise<WorkloadCertificate> => {
    const key = formatSpiffeId(id);
    let cert = certs.get(key);
    if (!cert) {
      cert = mesh.issue(id.namespace, id.serviceAccount);
      certs.set(key, cert);
    }
    return cert;
  };
  const listenOn = async (host: string, port: number, onSocket: (socket: Socket) => void): Promise<number> => {
    const server = createServer({ allowHalfOpen: true }, (socket) => {
      sockets.add(socket);
      socket.once('close', () => sockets.delete(socket));
      socket.on('error', () => undefined);
      onSocket(socket);
    });
    server.listen(port, host);
    await once(server, 'listening');
    servers.push(server);
    return (server.address() as AddressInfo).port;
  };
  const app = (name: string) => (socket: Socket): void => {
    socket.write(`${name}\n`);
    socket.on('data', (chunk: Buffer) => {
      if (chunk.includes('RESET')) socket.resetAndDestroy();
      else socket.write(chunk);
    });
    socket.on('end', () => socket.end());
  };

  const appPort = await listenOn(SERVER_IP, 0, app('server'));
  await listenOn(LOCAL_IP, appPort, app('local'));
  await listenOn(OUTSIDE_IP, appPort, app('outside'));
  const nodes: { a?: TestNode; b?: TestNode } = {};
  const hbonePort = await listenOn(SERVER_IP, 0, (s) => nodes.b?.proxies.handleInbound(s));
  await listenOn(LOCAL_IP, hbonePort, (s) => nodes.a?.proxies.handleInbound(s));
  const state = testState([
    testWorkload({ name: 'client', addresses: [CLIENT_IP], node: 'node-a' }),
    testWorkload({ name: 'local', addresses: [LOCAL_IP], node: 'node-a' }),
    testWorkload({ name: 'server', addresses: [SERVER_IP], node: 'node-b' }),
  ]);
  const startNode = async (nodeName: string, nodeIP: string): Promise<TestNode> => {
    const metrics = new Registry();
    const logger = memoryLogger();
    const proxies = await startProxies(
      {
        settings: {
          nodeName,
          nodeIP,
          trustDomain: 'cluster.local',
          listenHost: '127.0.0.1',
          ports: { outbound: 0, inboundPlaintext: 0, inbound: 0 },
          hbonePort,
          connectTimeoutMs: 3000,
          drainTimeoutMs: 500,
        },
        state,
        certificateFor,
        sockets: plainSocketFactory(),
        metrics,
        logger,
      },
      { authorize: policyAuthorizer(() => index) },
    );
    return { proxies, metrics, logger };
  };
  const a = await startNode('node-a', NODE_A_IP);
  nodes.a = a;
  const b = await startNode('node-b', NODE_B_IP);
  nodes.b = b;
  return {
    a,
    b,
    appPort,
    setPolicies: (policies) => {
      index = buildPolicyIndex(policies, index);
    },
    capture: (handler, dest) => listenOn('127.0.0.1', 0, (socket) => handler(socket, dest)),
    close: async () => {
      await a.proxies.shutdown();
      await b.proxies.shutdown();
      for (const socket of sockets) socket.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  };
}

/** How a client connection ended, as the client saw it. */
export type ClientEnd = 'reset' | 'end' | 'close';

export interface OpenClient {
  readonly socket: Socket;
  /** Everything received so far. */
  received(): string;
  /** Resolves with the first sign of the end: `reset` (ECONNRESET/EPIPE), `end` (FIN), `close`. */
  readonly ended: Promise<ClientEnd>;
}

/** Connects from `from` to 127.0.0.1:`port`, ready to exchange bytes (or already reset). */
export async function openClient(port: number, from: string): Promise<OpenClient> {
  const socket = connect({ host: '127.0.0.1', port, localAddress: from, allowHalfOpen: true });
  let text = '';
  socket.on('data', (chunk: Buffer) => {
    text += chunk.toString();
  });
  const ended = new Promise<ClientEnd>((resolve) => {
    socket.once('error', (err: NodeJS.ErrnoException) => resolve(err.code === 'ECONNRESET' || err.code === 'EPIPE' ? 'reset' : 'close'));
    socket.once('end', () => resolve('end'));
    socket.once('close', () => resolve('close'));
  });
  socket.on('error', () => undefined); // later errors (a write after a reset) are expected
  // A refusal may reset the connection before 'connect' is reported: `ended` tells.
  await Promise.race([once(socket, 'connect'), ended]);
  return { socket, received: () => text, ended };
}

/** Polls `check` every 10 ms (up to 5 s). */
export async function until(what: string, check: () => boolean): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (check()) return;
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`gave up waiting for ${what}`);
}

/** Sum of every series of `name` whose labels include `match`. */
export function metricSum(registry: Registry, name: string, match: Readonly<Record<string, string>>): number {
  let sum = 0;
  for (const line of registry.render().split('\n')) {
    if (!line.startsWith(`${name}{`)) continue;
    const labels = line.slice(0, line.lastIndexOf('}') + 1);
    if (Object.entries(match).every(([k, v]) => labels.includes(`{${k}="${v}"`) || labels.includes(`,${k}="${v}"`))) sum += Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return sum;
}
