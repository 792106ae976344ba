// `ambit local up|down|status|exec|logs|images`: drive the single-machine Kubernetes stand-in.

import { spawn } from 'node:child_process';
import { access, readdir, readFile, rm } from 'node:fs/promises';
import { join } from 'node:path';
import { AppsV1Api, CoreV1Api, KubeConfig, V1Pod } from '@kubernetes/client-node';
import { ClusterConfig, clusterConfig, DEFAULT_STATE_ROOT, statePaths } from '../localcluster/cluster/config';
import { crashedBefore, daemonScriptPath, runningDaemon, savedConfig, startDaemon, stopDaemon, DaemonRecord } from '../localcluster/cluster/control';
import { missingPrerequisites } from '../localcluster/cluster/prereqs';
import { IMAGE_TABLE, describeEntrypoint } from '../localcluster/images/image-map';
import { ClusterRuntime, findLeftovers } from '../localcluster/runtime';
import { killRecordedLeftovers } from '../localcluster/runtime/pid-records';
import { logDir, logFileName, nodeNetnsName, pidDir, pidFileName, podNetnsName } from '../localcluster/runtime/names';
import { readProcStat } from '../localcluster/runtime/proc-stat';
import { intFlag, parseArgs, ParsedArgs, stringFlag, UsageError } from './args';

export const DIST_DIR = join(__dirname, '..');

const out = (s: string): void => { process.stdout.write(`${s}\n`); };

/** The cluster the flags name; settings not given come from its last run (kept in its state directory). */
async function configFrom(args: ParsedArgs): Promise<ClusterConfig> {
  const name = stringFlag(args, 'name') ?? process.env.AMBIT_CLUSTER;
  const saved = await savedConfig(clusterConfig({ name }).stateDir);
  return clusterConfig({
    name,
    nodes: intFlag(args, 'nodes') ?? saved?.nodes,
    block: intFlag(args, 'block') ?? saved?.block,
    apiPort: saved && intFlag(args, 'block') === undefined ? saved.apiPort : undefined,
  });
}

/** Other running clusters on this machine (other state directories with a live supervisor). */
async function otherClusters(me: ClusterConfig): Promise<DaemonRecord[]> {
  const root = process.env.AMBIT_STATE_ROOT ?? DEFAULT_STATE_ROOT;
  const names = await readdir(root).catch(() => [] as string[]);
  const found: DaemonRecord[] = [];
  for (const n of names) {
    const dir = join(root, n);
    if (dir === me.stateDir) continue;
    const rec = await runningDaemon(dir);
    if (rec) found.push(rec);
  }
  return found;
}

export async function localUp(args: ParsedArgs): Promise<ClusterConfig> {
  const missing = await missingPrerequisites();
  if (missing.length) throw new UsageError(`the local cluster cannot start on this machine:\n  ${missing.join('\n  ')}`);
  let cfg = await configFrom(args);
  const running = await runningDaemon(cfg.stateDir);
  if (running) {
    if (args.flags.has('nodes') && running.config.nodes !== cfg.nodes) {
      out(`local cluster '${cfg.name}' is already up with ${running.config.nodes} node(s); run 'ambit local down' first to change the node count`);
    } else out(`local cluster '${cfg.name}' is already up (${running.config.nodes} node(s))`);
    cfg = running.config;
  } else {
    const clash = (await otherClusters(cfg)).find((r) => r.config.block === cfg.block);
    if (clash) throw new UsageError(`local cluster '${clash.config.name}' already uses address block ${cfg.block}; pick another with --block ${1 - cfg.block}`);
    if (await crashedBefore(cfg.stateDir)) out(`local cluster '${cfg.name}' did not shut down cleanly last time: cleaning up and restoring its state`);
    out(`starting local cluster '${cfg.name}' with ${cfg.nodes} node(s) ...`);
    await startDaemon(cfg, daemonScriptPath(DIST_DIR));
  }
  const p = statePaths(cfg.stateDir);
  out(`local cluster '${cfg.name}' is up.\n  kubeconfig: ${p.kubeconfig}\n  use it:     export KUBECONFIG=${p.kubeconfig}\n  logs:       ${p.logs}`);
  return cfg;
}

export async function localDown(args: ParsedArgs): Promise<void> {
  const cfg = await configFrom(args);
  const rec = await runningDaemon(cfg.stateDir);
  if (rec) {
    out(`stopping local cluster '${cfg.name}' ...`);
    if ((await stopDaemon(rec)) === 'killed') out('the supervisor did not stop in time and was killed; cleaning up after it');
  }
  const live = rec?.config ?? cfg;
  const runtime = new ClusterRuntime({ cluster: live.name, block: live.block, nodeCount: live.nodes, stateDir: live.stateDir });
  let left = await findLeftovers(live.name, live.stateDir);
  if (left.length) {
    await killRecordedLeftovers(live.stateDir);
    await runtime.tearDown();
    left = await findLeftovers(live.name, live.stateDir);
  }
  if (left.length) throw new Error(`could not remove everything of local cluster '${live.name}':\n  ${left.join('\n  ')}`);
  if (!args.flags.has('keep-state')) await rm(live.stateDir, { recursive: true, force: true });
  out(`local cluster '${live.name}' is down; checked: no network namespaces, interfaces, processes or mounts of it are left${args.flags.has('keep-state') ? ` (state kept in ${live.stateDir})` : ''}`);
}

export function kubeClient(cfg: ClusterConfig): KubeConfig {
  const kc = new KubeConfig();
  kc.loadFromFile(statePaths(cfg.stateDir).kubeconfig);
  return kc;
}

async function localStatus(args: ParsedArgs): Promise<void> {
  const cfg = await configFrom(args);
  const rec = await runningDaemon(cfg.stateDir);
  if (!rec) {
    out(`local cluster '${cfg.name}' is not running${(await crashedBefore(cfg.stateDir)) ? ' (its last run did not shut down cleanly; `ambit local up` recovers it)' : ''}`);
    process.exitCode = 1;
    return;
  }
  const core = kubeClient(rec.config).makeApiClient(CoreV1Api);
  const nodes = await core.listNode();
  const pods = await core.listPodForAllNamespaces();
  out(`local cluster '${rec.config.name}' is up (supervisor pid ${rec.pid}); kubeconfig ${statePaths(rec.config.stateDir).kubeconfig}`);
  for (const n of nodes.items) {
    const ip = n.status?.addresses?.find((a) => a.type === 'InternalIP')?.address ?? '';
    const count = pods.items.filter((p) => p.spec?.nodeName === n.metadata?.name).length;
    out(`  node ${n.metadata?.name}  ${ip}  pod CIDR ${n.spec?.podCIDR ?? ''}  ${count} pod(s)`);
  }
  const notReady = pods.items.filter((p) => !p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
  out(`  pods: ${pods.items.length} (${notReady.length} not ready)`);
}

/** `ns/pod`, `pod` (namespace default) or `ns/deploy/name` (a ready pod of that Deployment). */
export async function findPod(cfg: ClusterConfig, ref: string): Promise<V1Pod> {
  const parts = ref.split('/');
  const kc = kubeClient(cfg);
  const core = kc.makeApiClient(CoreV1Api);
  if (parts.length === 3 && /^(deploy|deployment|deployments)$/.test(parts[1])) {
    const [namespace, , name] = parts;
    const d = await kc.makeApiClient(AppsV1Api).readNamespacedDeployment({ name, namespace });
    const sel = Object.entries(d.spec?.selector?.matchLabels ?? {}).map(([k, v]) => `${k}=${v}`).join(',');
    const pods = await core.listNamespacedPod({ namespace, labelSelector: sel });
    const ready = pods.items.find((p) => p.status?.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'));
    const pod = ready ?? pods.items[0];
    if (!pod) throw new UsageError(`deployment ${namespace}/${name} has no pods`);
    return pod;
  }
  if (parts.length > 2 || !parts.every(Boolean)) throw new UsageError(`'${ref}' is not <namespace>/<pod>, <pod> or <namespace>/deploy/<name>`);
  const [namespace, name] = parts.length === 2 ? parts : ['default', parts[0]];
  return core.readNamespacedPod({ name, namespace });
}

export function podNetns(cfg: ClusterConfig, pod: V1Pod): string {
  if (pod.spec?.hostNetwork) {
    const index = Number(/(\d+)$/.exec(pod.spec.nodeName ?? '')?.[1]);
    return nodeNetnsName(cfg.name, index);
  }
  return podNetnsName(cfg.name, pod.metadata?.uid ?? '');
}

async function runningConfig(args: ParsedArgs): Promise<ClusterConfig> {
  const cfg = await configFrom(args);
  const rec = await runningDaemon(cfg.stateDir);
  if (!rec) throw new UsageError(`local cluster '${cfg.name}' is not running: start it with 'ambit local up'`);
  return rec.config;
}

/**
 * How to run a command inside a pod, like `kubectl exec`: when the container's process is running,
 * enter its mount and network namespaces (its hosts file and service-account mount) with its
 * environment; otherwise fall back to the pod's network namespace.
 */
export async function podExecPrefix(cfg: ClusterConfig, pod: V1Pod, container?: string): Promise<{ argv: string[]; env: NodeJS.ProcessEnv }> {
  const name = container ?? pod.spec?.containers[0]?.name ?? '';
  const recPath = join(pidDir(cfg.stateDir), pidFileName(pod.metadata?.uid ?? '', name));
  const rec = await readFile(recPath, 'utf8').then((t) => JSON.parse(t) as { pid: number; startTime: string }, () => undefined);
  const stat = rec ? await readProcStat(rec.pid) : null;
  if (rec && stat && stat.startTime === rec.startTime) {
    const environ = await readFile(`/proc/${rec.pid}/environ`, 'utf8').catch(() => '');
    const env: NodeJS.ProcessEnv = {};
    for (const kv of environ.split('\0')) {
      const eq = kv.indexOf('=');
      if (eq > 0) env[kv.slice(0, eq)] = kv.slice(eq + 1);
    }
    return { argv: ['nsenter', '--target', String(rec.pid), '--mount', '--net', '--'], env };
  }
  return { argv: ['ip', 'netns', 'exec', podNetns(cfg, pod)], env: process.env };
}

/** Runs a command inside a pod (see podExecPrefix); resolves to its exit code and, when piped, its output. */
export async function execInPod(cfg: ClusterConfig, pod: V1Pod, command: string[], stdio: 'inherit' | 'pipe' = 'inherit', container?: string): Promise<{ code: number; stdout: string }> {
  const prefix = await podExecPrefix(cfg, pod, container);
  return new Promise((resolve, reject) => {
    const [cmd, ...args] = [...prefix.argv, ...command];
    const child = spawn(cmd, args, { env: prefix.env, stdio: stdio === 'inherit' ? 'inherit' : ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout?.on('data', (d: Buffer) => { stdout += d.toString(); });
    child.once('error', reject);
    child.once('exit', (code, signal) => resolve({ code: code ?? (signal ? 128 : 1), stdout }));
  });
}

async function localExec(args: ParsedArgs): Promise<void> {
  const [ref] = args.positionals;
  if (!ref || args.rest.length === 0) throw new UsageError('usage: ambit local exec <namespace>/<pod> [-c container] -- <command...>');
  const cfg = await runningConfig(args);
  const pod = await findPod(cfg, ref);
  const { code } = await execInPod(cfg, pod, args.rest, 'inherit', stringFlag(args, 'container'));
  process.exitCode = code;
}

async function localLogs(args: ParsedArgs): Promise<void> {
  const [ref] = args.positionals;
  if (!ref) throw new UsageError('usage: ambit local logs <namespace>/<pod> [-c container] [-f]');
  const cfg = await runningConfig(args).catch(() => configFrom(args));
  const pod = await findPod(cfg, ref);
  const containers = pod.spec?.containers.map((c) => c.name) ?? [];
  const container = stringFlag(args, 'container') ?? containers[0];
  if (!container || !containers.includes(container)) throw new UsageError(`pod has containers [${containers.join(', ')}]; pick one with -c`);
  const file = join(logDir(cfg.stateDir), logFileName(pod.metadata?.namespace ?? '', pod.metadata?.name ?? '', container));
  await access(file).catch(() => { throw new UsageError(`no log yet for ${ref} container ${container} (${file})`); });
  const child = spawn('tail', ['-n', '+1', ...(args.flags.has('follow') ? ['-f'] : []), file], { stdio: 'inherit' });
  await new Promise((r) => child.once('exit', r));
}

function localImages(): void {
  out('container images the local cluster can run (image → command on this machine):');
  for (const e of IMAGE_TABLE) out(`  ${e.image.padEnd(22)} ${describeEntrypoint(e)}`);
}

const LOCAL_FLAGS = { name: 'value', nodes: 'value', block: 'value', 'keep-state': 'bool', container: 'value', follow: 'bool' } as const;

export const LOCAL_USAGE = `ambit local <command>   a single-machine Kubernetes stand-in (root, Linux)
  up [--nodes N] [--name NAME] [--block 0|1]   start it (idempotent; default 2 nodes)
  down [--keep-state]                          stop it and remove everything it created
  status                                       nodes and pods
  exec <ns>/<pod> [-c C] -- <cmd...>           run a command inside a pod (also <ns>/deploy/<name>)
  logs <ns>/<pod> [-c CONTAINER] [-f]          a container's output
  images                                       the image → command table`;

export async function localCommand(argv: string[]): Promise<void> {
  const [sub, ...rest] = argv;
  const args = parseArgs(rest, LOCAL_FLAGS, { '-c': 'container', '-f': 'follow' });
  switch (sub) {
    case 'up': await localUp(args); return;
    case 'down': await localDown(args); return;
    case 'status': await localStatus(args); return;
    case 'exec': await localExec(args); return;
    case 'logs': await localLogs(args); return;
    case 'images': localImages(); return;
    default: throw new UsageError(LOCAL_USAGE);
  }
}
