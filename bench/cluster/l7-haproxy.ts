// The peer L7 proxy of the L7 topology: one HAProxy process (Debian's haproxy, `mode http`, one
// thread) in node2's network namespace, pinned to the proxy core like the waypoint. Its plain
// frontend serves the `haproxy` path (no mTLS at all); with the TLS variant asked for, a second
// frontend takes mTLS from a stunnel4 client in node1's netns and speaks mTLS to a stunnel4 server
// in node2's netns in front of the server pod — the waypoint path's hops and TLS sessions, with
// certificates from a throw-away mesh CA and the mesh's cipher suites.

import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { createTestMesh } from '../../pkg/testing/mesh-certs';
import { MESH_CIPHERSUITES, MESH_ECDH_CURVES } from '../../pkg/tls/workload-cert';
import { writePemFiles, type PemFiles } from '../agents/cert-file';
import { waitForPort, type ManagedProcess } from '../harness/processes';
import type { ScenarioContext } from '../harness/scenario';
import { renderStunnelConfig } from '../harness/stunnel';
import { renderHaproxyConfig, type HaproxyRoute } from './l7-haproxy-config';
import type { HaproxyPlan } from './l7-plan';

const READY_TIMEOUT_MS = 15_000;

export interface HaproxyProcesses {
  readonly haproxy: ManagedProcess;
  /** Only with the TLS variant. */
  readonly stunnelClient?: ManagedProcess;
  readonly stunnelServer?: ManagedProcess;
}

export interface HaproxyOptions {
  readonly plan: HaproxyPlan;
  readonly plain: boolean;
  readonly tls: boolean;
  readonly node1Netns: string;
  readonly node2Netns: string;
  readonly core?: number;
}

async function certKeyFile(dir: string, name: string, pem: PemFiles): Promise<string> {
  const file = join(dir, `${name}-crt-key.pem`);
  await writeFile(file, `${await readFile(pem.certChain, 'utf8')}${await readFile(pem.key, 'utf8')}`, { mode: 0o600 });
  return file;
}

export async function startHaproxy(ctx: ScenarioContext, o: HaproxyOptions): Promise<HaproxyProcesses> {
  const dir = ctx.tmpDir;
  const routes: HaproxyRoute[] = [];
  if (o.plain) routes.push({ name: 'plain', bind: o.plan.plain.bind, servers: o.plan.plain.servers });
  let tlsFiles: { haproxy: string; roots: string; client: PemFiles; server: PemFiles } | undefined;
  if (o.tls) {
    const mesh = await createTestMesh({ trustDomain: 'cluster.local' });
    const ttl = { ttlSeconds: 12 * 3600 };
    const haproxyPem = await writePemFiles(dir, 'haproxy', await mesh.issue('l7-plain', 'haproxy', ttl));
    tlsFiles = {
      haproxy: await certKeyFile(dir, 'haproxy', haproxyPem),
      roots: haproxyPem.roots,
      client: await writePemFiles(dir, 'l7-stunnel-client', await mesh.issue('l7-plain', 'stunnel-client', ttl)),
      server: await writePemFiles(dir, 'l7-stunnel-server', await mesh.issue('l7-plain', 'stunnel-server', ttl)),
    };
    const tls = { certKeyFile: tlsFiles.haproxy, caFile: tlsFiles.roots };
    routes.push({ name: 'tls', bind: o.plan.tls.haproxyBind, bindTls: tls, servers: o.plan.tls.stunnelServer.map((s) => s.accept), serverTls: tls });
  }
  const conf = join(dir, 'haproxy.cfg');
  await writeFile(conf, renderHaproxyConfig({ routes, ciphersuites: MESH_CIPHERSUITES, curves: MESH_ECDH_CURVES }));
  // `-db`: foreground, no fork, so the pid sampled is HAProxy's own (`ip netns exec` execs it).
  const haproxy = await ctx.supervisor.start({ name: 'haproxy', command: 'ip', args: ['netns', 'exec', o.node2Netns, 'haproxy', '-db', '-f', conf], cpu: o.core });
  for (const r of routes) await waitForPort(r.bind.host, r.bind.port, READY_TIMEOUT_MS, haproxy);
  if (!tlsFiles) return { haproxy };

  const stunnelTls = { ciphersuites: MESH_CIPHERSUITES, curves: MESH_ECDH_CURVES };
  const serverConf = join(dir, 'l7-stunnel-server.conf');
  await writeFile(serverConf, renderStunnelConfig({
    ...stunnelTls, client: false, certChainFile: tlsFiles.server.certChain, keyFile: tlsFiles.server.key, rootsFile: tlsFiles.server.roots,
    services: o.plan.tls.stunnelServer.map((s, i) => ({ name: `http${i + 1}`, accept: s.accept, connect: s.connect })),
  }));
  const stunnelServer = await ctx.supervisor.start({ name: 'stunnel-server', command: 'ip', args: ['netns', 'exec', o.node2Netns, 'stunnel4', serverConf], cpu: o.core });
  for (const s of o.plan.tls.stunnelServer) await waitForPort(s.accept.host, s.accept.port, READY_TIMEOUT_MS, stunnelServer);
  const clientConf = join(dir, 'l7-stunnel-client.conf');
  const c = o.plan.tls.stunnelClient;
  await writeFile(clientConf, renderStunnelConfig({
    ...stunnelTls, client: true, certChainFile: tlsFiles.client.certChain, keyFile: tlsFiles.client.key, rootsFile: tlsFiles.client.roots,
    services: [{ name: 'http', accept: c.accept, connect: c.connect }],
  }));
  const stunnelClient = await ctx.supervisor.start({ name: 'stunnel-client', command: 'ip', args: ['netns', 'exec', o.node1Netns, 'stunnel4', clientConf], cpu: o.core });
  await waitForPort(c.accept.host, c.accept.port, READY_TIMEOUT_MS, stunnelClient);
  return { haproxy, stunnelClient, stunnelServer };
}
