// The processes of the hbone-loopback scenario: the two backends (iperf3 server, 1 KiB HTTP
// server) on the load core, and one "path" per way of reaching them — direct, an ambit HBONE
// agent pair, a stunnel pair — each path a pair of local ports (iperf, http) plus the tunnel
// processes whose CPU is charged to it.

import { join } from 'node:path';
import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { formatSpiffeId } from '../../pkg/identity/spiffe';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { ManagedProcess } from '../harness/processes';
import { freePort, waitForPort } from '../harness/processes';
import type { ScenarioContext } from '../harness/scenario';
import { renderStunnelConfig } from '../harness/stunnel';
import type { PemFiles } from '../agents/cert-file';
import { MESH_CIPHERSUITES, MESH_ECDH_CURVES, type WorkloadCertificate } from '../../pkg/tls/workload-cert';

export const LOOPBACK = '127.0.0.1';
const READY_TIMEOUT_MS = 15_000;

export interface Cores {
  /** Core for tunnel processes (undefined: no pinning). */
  readonly tunnel?: number;
  /** Core for load generators and backends. */
  readonly load?: number;
}

export interface Backends {
  readonly iperfPort: number;
  readonly httpPort: number;
  readonly processes: readonly ManagedProcess[];
}

export interface Path {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly iperfPort: number;
  readonly httpPort: number;
  /** The tunnel processes (CPU and memory are measured for these). */
  readonly processes: readonly ManagedProcess[];
}

export interface Certificates {
  readonly clientJson: string;
  readonly serverJson: string;
  readonly client: WorkloadCertificate;
  readonly server: WorkloadCertificate;
  readonly clientPem: PemFiles;
  readonly serverPem: PemFiles;
}

function agentScript(ctx: ScenarioContext, name: string): string {
  return join(ctx.repoRoot, 'dist', 'bench', 'agents', `${name}.js`);
}

export async function startBackends(ctx: ScenarioContext, cores: Cores): Promise<Backends> {
  const iperfPort = await freePort();
  const iperf = await ctx.supervisor.start({ name: 'iperf3-server', command: 'iperf3', args: ['-s', '-B', LOOPBACK, '-p', String(iperfPort)], cpu: cores.load });
  await waitForPort(LOOPBACK, iperfPort, READY_TIMEOUT_MS, iperf);
  const http = await ctx.supervisor.start({ name: 'http-backend', command: process.execPath, args: [agentScript(ctx, 'http-backend'), '--port', '0'], cpu: cores.load });
  const m = await http.waitForOutput(/READY (\d+)/, READY_TIMEOUT_MS);
  return { iperfPort, httpPort: Number(m[1]), processes: [iperf, http] };
}

export function directPath(backends: Backends): Path {
  return {
    id: 'direct',
    label: 'direct',
    description: 'client → backend on 127.0.0.1, no tunnel: the physical limit of this machine',
    iperfPort: backends.iperfPort,
    httpPort: backends.httpPort,
    processes: [],
  };
}

export interface HbonePathOptions {
  readonly id: string;
  readonly label: string;
  readonly description: string;
  readonly windows?: { readonly streamWindowBytes: number; readonly connectionWindowBytes: number };
  /** Write V8 CPU profiles of both agents into this directory. */
  readonly cpuProfileDir?: string;
}

export async function startHbonePath(ctx: ScenarioContext, cores: Cores, certs: Certificates, backends: Backends, o: HbonePathOptions): Promise<Path> {
  const windowArgs = o.windows ? ['--stream-window', String(o.windows.streamWindowBytes), '--connection-window', String(o.windows.connectionWindowBytes)] : [];
  // One profile directory per agent, so each summary is unambiguous.
  const nodeFlags = (side: string): string[] => (o.cpuProfileDir ? ['--cpu-prof', `--cpu-prof-dir=${join(o.cpuProfileDir, `${o.id}-${side}-agent`)}`] : []);
  const server = await ctx.supervisor.start({
    name: `${o.id}-server-agent`,
    command: process.execPath,
    args: [...nodeFlags('server'), agentScript(ctx, 'hbone-agent'), '--mode', 'server', '--cert', certs.serverJson, '--listen', `${LOOPBACK}:0`, ...windowArgs],
    cpu: cores.tunnel,
  });
  const ready = await server.waitForOutput(/READY (\{.*\})/, READY_TIMEOUT_MS);
  const serverPort = Number((JSON.parse(ready[1]) as { port: number }).port);
  const iperfPort = await freePort();
  const httpPort = await freePort();
  const client = await ctx.supervisor.start({
    name: `${o.id}-client-agent`,
    command: process.execPath,
    args: [
      ...nodeFlags('client'), agentScript(ctx, 'hbone-agent'), '--mode', 'client', '--cert', certs.clientJson,
      '--server', `${LOOPBACK}:${serverPort}`, '--server-identity', formatSpiffeId(certs.server.identity),
      '--forward', `${iperfPort}=${LOOPBACK}:${backends.iperfPort}`, '--forward', `${httpPort}=${LOOPBACK}:${backends.httpPort}`, ...windowArgs,
    ],
    cpu: cores.tunnel,
  });
  await client.waitForOutput(/READY \{/, READY_TIMEOUT_MS);
  return { id: o.id, label: o.label, description: o.description, iperfPort, httpPort, processes: [client, server] };
}

export async function startStunnelPath(ctx: ScenarioContext, cores: Cores, certs: Certificates, backends: Backends): Promise<Path> {
  const ports = { serverIperf: await freePort(), serverHttp: await freePort(), clientIperf: await freePort(), clientHttp: await freePort() };
  const at = (port: number): { host: string; port: number } => ({ host: LOOPBACK, port });
  const tls = { ciphersuites: MESH_CIPHERSUITES, curves: MESH_ECDH_CURVES };
  const serverConf = join(ctx.tmpDir, 'stunnel-server.conf');
  const clientConf = join(ctx.tmpDir, 'stunnel-client.conf');
  await writeFile(serverConf, renderStunnelConfig({
    ...tls, client: false, certChainFile: certs.serverPem.certChain, keyFile: certs.serverPem.key, rootsFile: certs.serverPem.roots,
    services: [
      { name: 'iperf', accept: at(ports.serverIperf), connect: at(backends.iperfPort) },
      { name: 'http', accept: at(ports.serverHttp), connect: at(backends.httpPort) },
    ],
  }));
  await writeFile(clientConf, renderStunnelConfig({
    ...tls, client: true, certChainFile: certs.clientPem.certChain, keyFile: certs.clientPem.key, rootsFile: certs.clientPem.roots,
    services: [
      { name: 'iperf', accept: at(ports.clientIperf), connect: at(ports.serverIperf) },
      { name: 'http', accept: at(ports.clientHttp), connect: at(ports.serverHttp) },
    ],
  }));
  const server = await ctx.supervisor.start({ name: 'stunnel-server', command: 'stunnel4', args: [serverConf], cpu: cores.tunnel });
  await waitForPort(LOOPBACK, ports.serverHttp, READY_TIMEOUT_MS, server);
  const client = await ctx.supervisor.start({ name: 'stunnel-client', command: 'stunnel4', args: [clientConf], cpu: cores.tunnel });
  await waitForPort(LOOPBACK, ports.clientHttp, READY_TIMEOUT_MS, client);
  return {
    id: 'stunnel',
    label: 'stunnel pair',
    description: 'client → stunnel4 (plain in, TLS 1.3 mTLS out, P-256 from the same CA) → stunnel4 → backend',
    iperfPort: ports.clientIperf,
    httpPort: ports.clientHttp,
    processes: [client, server],
  };
}

/** One GET through a path: must answer 200 with the 1 KiB body, else the path is broken. */
export function checkPath(path: Path, timeoutMs = 10_000): Promise<void> {
  return new Promise((resolve, reject) => {
    const req = request({ host: LOOPBACK, port: path.httpPort, path: '/', agent: false, timeout: timeoutMs }, (res) => {
      let bytes = 0;
      res.on('data', (chunk: Buffer) => (bytes += chunk.length));
      res.on('end', () => {
        if (res.statusCode === 200 && bytes === 1024) resolve();
        else reject(new MeshError(ErrorCode.Unavailable, `${path.label}: GET / answered ${res.statusCode} with ${bytes} bytes, expected 200 with 1024`));
      });
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new MeshError(ErrorCode.Timeout, `${path.label}: GET / got no answer within ${timeoutMs} ms`)));
    req.on('error', (err) => reject(new MeshError(ErrorCode.Unavailable, `${path.label}: GET / failed`, { cause: err })));
    req.end();
  });
}
