// Reaching a node agent's admin port for `ambit ztunnel-config`: GET /config_dump directly (a URL,
// e.g. after kubectl port-forward), or for the local cluster: find the node and its ztunnel pod
// through the cluster's API server, then fetch from 127.0.0.1:15000 inside the node's network
// namespace with a small Node.js script under `ip netns exec`. Failures are one-line MeshErrors.

import { spawn } from 'node:child_process';
import { request } from 'node:http';
import { CoreV1Api } from '@kubernetes/client-node';
import { clusterConfig } from '../localcluster/cluster/config';
import { runningDaemon } from '../localcluster/cluster/control';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { UsageError } from './args';
import { kubeClient } from './local';
import { agentPodOn, chooseNode, NODE_ADMIN_URL, nodeNetns, ZTUNNEL_NAMESPACE, ZTUNNEL_SELECTOR, type AgentPod } from './ztunnel-config-target';

export const FETCH_TIMEOUT_MS = 10_000;
/** A dump larger than this is refused rather than buffered. */
export const MAX_DUMP_BYTES = 64 * 1024 * 1024;

/** The agent's answer and how to name the agent in messages. */
export interface FetchedDump {
  readonly body: string;
  readonly from: string;
}

const firstLine = (s: string): string => s.trim().split('\n')[0]?.trim() ?? '';

function failure(from: string, reason: string, timedOut = false): MeshError {
  return new MeshError(timedOut ? ErrorCode.Timeout : ErrorCode.Unavailable, `${from} did not answer: ${reason}`);
}

/** GET `url` in this process; resolves with the body of a 200 answer. */
export function fetchAdminUrl(url: URL, timeoutMs = FETCH_TIMEOUT_MS): Promise<FetchedDump> {
  const from = `the node agent at ${url.origin}`;
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'GET', agent: false, timeout: timeoutMs }, (res) => {
      const chunks: Buffer[] = [];
      let size = 0;
      res.on('data', (c: Buffer) => {
        size += c.length;
        if (size > MAX_DUMP_BYTES) req.destroy(new Error(`answer larger than ${MAX_DUMP_BYTES} bytes`));
        else chunks.push(c);
      });
      res.on('end', () => {
        const body = Buffer.concat(chunks).toString('utf8');
        if (res.statusCode === 200) resolve({ body, from });
        else reject(new MeshError(ErrorCode.Unavailable, `${from} answered HTTP ${res.statusCode ?? '?'} for ${url.pathname}: ${firstLine(body) || 'no body'}`));
      });
    });
    req.once('timeout', () => req.destroy(Object.assign(new Error(`no answer within ${timeoutMs} ms`), { code: 'ETIMEDOUT' })));
    req.once('error', (err: NodeJS.ErrnoException) => reject(failure(from, firstLine(err.message), err.code === 'ETIMEDOUT')));
    req.end();
  });
}

/**
 * Runs in a child Node.js process (argv: URL, timeout ms): prints the body of a 200 answer to stdout;
 * otherwise one line to stderr and exit code 3 (HTTP status) or 4 (no answer). No curl needed.
 */
export const FETCH_SCRIPT = `
const http = require('node:http');
const [url, ms] = process.argv.slice(1);
const req = http.get(url, { agent: false, timeout: Number(ms) }, (res) => {
  const chunks = [];
  res.on('data', (c) => chunks.push(c));
  res.on('end', () => {
    const body = Buffer.concat(chunks);
    if (res.statusCode === 200) { process.stdout.write(body); return; }
    process.stderr.write('HTTP ' + res.statusCode + ': ' + body.toString().trim().split('\\n')[0]);
    process.exitCode = 3;
  });
});
req.on('timeout', () => req.destroy(Object.assign(new Error('no answer within ' + ms + ' ms'), { code: 'ETIMEDOUT' })));
req.on('error', (e) => { process.stderr.write((e.code === 'ETIMEDOUT' ? 'timeout: ' : '') + e.message); process.exitCode = 4; });
`;

/**
 * Fetches `url` with FETCH_SCRIPT run under `prefix` (e.g. `ip netns exec <netns>`); the child is
 * killed if it outlives the timeout or prints more than MAX_DUMP_BYTES.
 */
export function fetchWithCommand(prefix: readonly string[], url: string, from: string, timeoutMs = FETCH_TIMEOUT_MS): Promise<FetchedDump> {
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = [...prefix, process.execPath, '-e', FETCH_SCRIPT, url, String(timeoutMs)];
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    let size = 0;
    let err = '';
    let problem: MeshError | undefined;
    const stop = (e: MeshError): void => {
      problem ??= e;
      child.kill('SIGKILL');
    };
    const timer = setTimeout(() => stop(failure(from, `no answer within ${timeoutMs} ms`, true)), timeoutMs + 2_000);
    child.stdout.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_DUMP_BYTES) stop(failure(from, `answer larger than ${MAX_DUMP_BYTES} bytes`));
      else out.push(c);
    });
    child.stderr.on('data', (c: Buffer) => { if (err.length < 4096) err += c.toString('utf8'); });
    child.once('error', (e) => {
      clearTimeout(timer);
      reject(new MeshError(ErrorCode.Unavailable, `cannot run ${cmd}: ${e.message}`));
    });
    child.once('close', (code) => {
      clearTimeout(timer);
      if (problem) return reject(problem);
      if (code === 0) return resolve({ body: Buffer.concat(out).toString('utf8'), from });
      const line = firstLine(err) || `exit code ${code ?? 'none'}`;
      if (code === 3) return reject(new MeshError(ErrorCode.Unavailable, `${from} answered ${line}`));
      if (code === 4) return reject(failure(from, line.replace(/^timeout: /, ''), line.startsWith('timeout: ')));
      const hint = prefix[0] === 'ip' && process.getuid?.() !== 0 ? ' (entering a node network namespace needs root)' : '';
      reject(new MeshError(ErrorCode.Unavailable, `cannot reach ${from}: ${prefix.join(' ')} failed: ${line}${hint}`));
    });
  });
}

/** Rejects after `ms` unless `p` settles first; the timer never outlives the call. */
async function within<T>(p: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new MeshError(ErrorCode.Timeout, `${what}: no answer within ${ms} ms`)), ms);
  });
  try {
    return await Promise.race([p, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function askApi<T>(what: string, call: () => Promise<T>): Promise<T> {
  try {
    return await within(call(), FETCH_TIMEOUT_MS, `the local cluster's API server (${what})`);
  } catch (err) {
    if (err instanceof MeshError) throw err;
    throw new MeshError(ErrorCode.Unavailable, `the local cluster's API server did not answer (${what}): ${firstLine((err as Error).message)}`);
  }
}

/** The local cluster's agent for `node` (or the only node): its node, pod and network namespace. */
export interface LocalAgent {
  readonly cluster: string;
  readonly node: string;
  readonly pod: AgentPod;
  readonly netns: string;
}

export async function findLocalAgent(cluster: string | undefined, node: string | undefined): Promise<LocalAgent> {
  const name = cluster ?? 'ambit';
  if (!/^[a-z][a-z0-9]{0,7}$/.test(name)) throw new UsageError(`--cluster ${name}: a local cluster name is 1-8 lowercase letters and digits`);
  const running = await runningDaemon(clusterConfig({ name }).stateDir);
  if (!running) throw new UsageError(`local cluster '${name}' is not running: start it with 'ambit local up', or name an agent with --admin-url`);
  const core = kubeClient(running.config).makeApiClient(CoreV1Api);
  const nodes = await askApi('list nodes', () => core.listNode());
  const chosen = chooseNode(nodes.items.map((n) => n.metadata?.name ?? '').filter(Boolean), node, name);
  const pods = await askApi('list ztunnel pods', () => core.listNamespacedPod({ namespace: ZTUNNEL_NAMESPACE, labelSelector: ZTUNNEL_SELECTOR }));
  const pod = agentPodOn(pods.items.map((p) => ({
    name: p.metadata?.name ?? '?',
    nodeName: p.spec?.nodeName,
    phase: p.status?.phase,
    ready: p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True') ?? false,
  })), chosen);
  return { cluster: name, node: chosen, pod, netns: nodeNetns(name, chosen) };
}

/** Fetches the dump of a local-cluster agent from inside its node's network namespace. */
export async function fetchLocalAgent(agent: LocalAgent, timeoutMs = FETCH_TIMEOUT_MS): Promise<FetchedDump> {
  const from = `the node agent on ${agent.node} (pod ${ZTUNNEL_NAMESPACE}/${agent.pod.name}, 127.0.0.1:15000 in netns ${agent.netns})`;
  try {
    return await fetchWithCommand(['ip', 'netns', 'exec', agent.netns], NODE_ADMIN_URL, from, timeoutMs);
  } catch (err) {
    if (!(err instanceof MeshError) || agent.pod.ready) throw err;
    throw new MeshError(err.code, `${err.message}; the pod is ${agent.pod.phase ?? 'in an unknown phase'} and not ready`);
  }
}
