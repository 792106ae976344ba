// The stunnel reference path of the L4 topology: a stunnel4 client in node1's network namespace
// (plain in from the plain client pod, TLS 1.3 mutual auth out) and a stunnel4 server in node2's
// (TLS in, plain out to the plain server pods), with P-256 certificates from a throw-away mesh CA
// and the mesh's cipher suites and groups. Both run under the harness's supervisor, pinned to
// the tunnel core.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestMesh } from '../../pkg/testing/mesh-certs';
import { MESH_CIPHERSUITES, MESH_ECDH_CURVES } from '../../pkg/tls/workload-cert';
import { writePemFiles } from '../agents/cert-file';
import { waitForPort, type ManagedProcess } from '../harness/processes';
import type { ScenarioContext } from '../harness/scenario';
import { renderStunnelConfig } from '../harness/stunnel';
import type { StunnelRoute } from './l4-plan';

const READY_TIMEOUT_MS = 15_000;

export interface StunnelPair {
  readonly client: ManagedProcess;
  readonly server: ManagedProcess;
}

export interface StunnelPairOptions {
  readonly routes: readonly StunnelRoute[];
  readonly clientNetns: string;
  readonly serverNetns: string;
  readonly core?: number;
}

export async function startStunnelPair(ctx: ScenarioContext, o: StunnelPairOptions): Promise<StunnelPair> {
  const mesh = await createTestMesh({ trustDomain: 'cluster.local' });
  const dir = ctx.tmpDir;
  const clientPem = await writePemFiles(dir, 'stunnel-client', await mesh.issue('plain', 'stunnel-client', { ttlSeconds: 12 * 3600 }));
  const serverPem = await writePemFiles(dir, 'stunnel-server', await mesh.issue('plain', 'stunnel-server', { ttlSeconds: 12 * 3600 }));
  const tls = { ciphersuites: MESH_CIPHERSUITES, curves: MESH_ECDH_CURVES };
  const serverConf = join(dir, 'stunnel-server.conf');
  const clientConf = join(dir, 'stunnel-client.conf');
  await writeFile(serverConf, renderStunnelConfig({
    ...tls, client: false, certChainFile: serverPem.certChain, keyFile: serverPem.key, rootsFile: serverPem.roots,
    services: o.routes.map((r) => ({ name: r.kind, accept: r.serverAccept, connect: r.target })),
  }));
  await writeFile(clientConf, renderStunnelConfig({
    ...tls, client: true, certChainFile: clientPem.certChain, keyFile: clientPem.key, rootsFile: clientPem.roots,
    services: o.routes.map((r) => ({ name: r.kind, accept: r.clientAccept, connect: r.serverAccept })),
  }));
  // `ip netns exec` execs stunnel4 (foreground), so the pid sampled is stunnel's own.
  const server = await ctx.supervisor.start({ name: 'stunnel-server', command: 'ip', args: ['netns', 'exec', o.serverNetns, 'stunnel4', serverConf], cpu: o.core });
  for (const r of o.routes) await waitForPort(r.serverAccept.host, r.serverAccept.port, READY_TIMEOUT_MS, server);
  const client = await ctx.supervisor.start({ name: 'stunnel-client', command: 'ip', args: ['netns', 'exec', o.clientNetns, 'stunnel4', clientConf], cpu: o.core });
  // stunnel binds every service before it serves, so one port shows it is up; a probe of the
  // client side reaches through to a server pod, so not iperf3's (it would log a broken test).
  const probe = o.routes.find((r) => r.kind !== 'iperf') ?? o.routes[0];
  if (probe) await waitForPort(probe.clientAccept.host, probe.clientAccept.port, READY_TIMEOUT_MS, client);
  return { client, server };
}
