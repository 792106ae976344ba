// The OS processes of the xds-scale scenario, seen from the bench driver: istiod (node
// dist/istiod/main.js against the bench's API server, optionally under --cpu-prof) with its
// /ready and /metrics, and the xDS client agent with the events it appends to a file, pumped into
// whatever trackers are listening.

import { writeFile } from 'node:fs/promises';
import { request } from 'node:http';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { parseClientEvent, wallClockMs, type ClientEvent, type SimulatedNode, type XdsClientsConfig } from '../agents/xds-clients-protocol';
import { JsonLinesTail } from '../harness/json-lines-tail';
import { freePort, type ManagedProcess } from '../harness/processes';
import { parsePromText, sumSamples } from '../harness/prom-text';
import type { ScenarioContext } from '../harness/scenario';
import type { MetricDelta } from './xds-scale-figures';
import { CLUSTER_ID, ISTIO_NAMESPACE, TRUST_DOMAIN } from './xds-scale-objects';

export const ISTIOD_SERVER_NAME = `istiod.${ISTIO_NAMESPACE}.svc`;

export interface IstiodProcess {
  readonly proc: ManagedProcess;
  readonly grpcPort: number;
  readonly monitoringPort: number;
  /** Wall-clock ms when it was spawned. */
  readonly spawnedAt: number;
}

export async function startIstiod(ctx: ScenarioContext, kubeconfig: string, name: string, profileDir?: string): Promise<IstiodProcess> {
  const grpcPort = await freePort();
  const monitoringPort = await freePort();
  const spawnedAt = wallClockMs();
  const proc = await ctx.supervisor.start({
    name,
    command: process.execPath,
    args: [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), join(ctx.repoRoot, 'dist', 'istiod', 'main.js')],
    env: {
      KUBECONFIG: kubeconfig,
      ISTIOD_GRPC_ADDRESS: `127.0.0.1:${grpcPort}`,
      MONITORING_ADDRESS: `127.0.0.1:${monitoringPort}`,
      CLUSTER_ID,
      POD_NAMESPACE: ISTIO_NAMESPACE,
      TRUST_DOMAIN,
    },
  });
  return { proc, grpcPort, monitoringPort, spawnedAt };
}

function httpGet(port: number, path: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request({ host: '127.0.0.1', port, path, timeout: 10_000 }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => { body += c; });
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      res.on('error', reject);
    });
    req.on('timeout', () => req.destroy(new Error(`GET ${path}: no answer within 10 s`)));
    req.on('error', reject);
    req.end();
  });
}

/** Polls /ready every 50 ms; resolves with the wall-clock ms of the first 200. */
export async function waitIstiodReady(istiod: IstiodProcess, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (istiod.proc.hasExited()) {
      throw new MeshError(ErrorCode.Unavailable, `${istiod.proc.name} exited before it was ready; its output ends with:\n${istiod.proc.outputTail().slice(-2000)}`);
    }
    const r = await httpGet(istiod.monitoringPort, '/ready').catch(() => undefined);
    if (r?.status === 200) return wallClockMs();
    await sleep(50);
  }
  throw new MeshError(ErrorCode.Timeout, `${istiod.proc.name} was not ready within ${timeoutMs} ms; its output ends with:\n${istiod.proc.outputTail().slice(-2000)}`);
}

/** istiod's xDS counters now. */
export async function readXdsCounters(istiod: IstiodProcess): Promise<MetricDelta> {
  const r = await httpGet(istiod.monitoringPort, '/metrics');
  if (r.status !== 200) throw new MeshError(ErrorCode.Unavailable, `istiod /metrics answered HTTP ${r.status}`);
  const samples = parsePromText(r.body);
  return {
    addressBytes: sumSamples(samples, 'pilot_xds_sent_bytes_total', { type: 'istio.workload.Address' }),
    authorizationBytes: sumSamples(samples, 'pilot_xds_sent_bytes_total', { type: 'istio.security.Authorization' }),
    pushes: sumSamples(samples, 'pilot_xds_pushes_total'),
  };
}

export function counterDelta(before: MetricDelta, after: MetricDelta): MetricDelta {
  return {
    addressBytes: after.addressBytes - before.addressBytes,
    authorizationBytes: after.authorizationBytes - before.authorizationBytes,
    pushes: after.pushes - before.pushes,
  };
}

export interface AgentProcess {
  readonly proc: ManagedProcess;
  readonly events: AgentEvents;
}

/** Starts the agent with one client per node against `istiod`; resolves once it printed READY. */
export async function startAgent(ctx: ScenarioContext, istiod: IstiodProcess, rootsPem: string, nodes: readonly SimulatedNode[],
  tag: string, profileDir?: string): Promise<AgentProcess> {
  const eventsFile = join(ctx.tmpDir, `xds-clients-${tag}.jsonl`);
  const configFile = join(ctx.tmpDir, `xds-clients-${tag}.json`);
  const config: XdsClientsConfig = {
    address: `127.0.0.1:${istiod.grpcPort}`, serverName: ISTIOD_SERVER_NAME, rootsPem, clusterId: CLUSTER_ID, eventsFile,
    decode: true, namesLimit: 256, clients: nodes,
  };
  await writeFile(configFile, JSON.stringify(config), { mode: 0o600 });
  const events = new AgentEvents(eventsFile);
  const proc = await ctx.supervisor.start({
    name: `xds-clients-${tag}`,
    command: process.execPath,
    args: [...(profileDir ? ['--cpu-prof', '--cpu-prof-dir', profileDir] : []), join(ctx.repoRoot, 'dist', 'bench', 'agents', 'xds-clients.js'), '--config', configFile],
  });
  await proc.waitForOutput(/READY \d+/, 30_000);
  return { proc, events };
}

/** The agent's events file, read as it grows and handed to every listener in order. */
export class AgentEvents {
  private readonly tail: JsonLinesTail;
  private readonly listeners = new Set<(ev: ClientEvent) => void>();
  private malformed = 0;
  /** NACKs and disconnections seen (both are problems in a healthy run). */
  readonly trouble: string[] = [];

  constructor(path: string) {
    this.tail = new JsonLinesTail(path);
  }

  listen(fn: (ev: ClientEvent) => void): () => void {
    this.listeners.add(fn);
    return () => { this.listeners.delete(fn); };
  }

  /** Reads what was appended and dispatches it. */
  async pump(): Promise<void> {
    for (const line of await this.tail.poll()) {
      const ev = parseClientEvent(line);
      if (!ev) {
        this.malformed++;
        continue;
      }
      if (ev.e === 'nack') this.trouble.push(`client ${ev.c} NACKed ${ev.type}: ${ev.message}`);
      if (ev.e === 'disconnected') this.trouble.push(`client ${ev.c} disconnected: ${ev.reason}`);
      for (const fn of [...this.listeners]) fn(ev);
    }
  }

  /** Pumps every `pollMs` until `done()` or the time limit; true when done. */
  async waitUntil(done: () => boolean, timeoutMs: number, agent?: ManagedProcess, pollMs = 10): Promise<boolean> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      await this.pump();
      if (done()) return true;
      if (Date.now() >= deadline) return false;
      if (agent?.hasExited()) throw new MeshError(ErrorCode.Unavailable, `${agent.name} exited; its output ends with:\n${agent.outputTail().slice(-2000)}`);
      await sleep(pollMs);
    }
  }

  malformedLines(): number {
    return this.malformed;
  }

  async close(): Promise<void> {
    await this.tail.close();
  }
}

/** The mesh's root certificate as istiod publishes it (ConfigMap istio-ca-root-cert in its namespace). */
export function rootCertPath(): string {
  return `/api/v1/namespaces/${ISTIO_NAMESPACE}/configmaps/istio-ca-root-cert`;
}
