// `ambit install [--dry-run] [--timeout 120s] [--kubeconfig PATH] [--no-wait]`: applies
// manifests/crds (then waits until every CRD is Established) and manifests/install (istiod,
// ztunnel) to the cluster of the current kubeconfig, then waits until the istiod Deployment is
// available and every ztunnel pod is ready, printing progress; at the timeout it says which pod is
// not ready and why. Idempotent: objects that exist are server-side applied, unchanged ones say so.

import { readdir, readFile } from 'node:fs/promises';
import { join, relative } from 'node:path';
import { clusterConfig, statePaths } from '../localcluster/cluster/config';
import { runningDaemon } from '../localcluster/cluster/control';
import { ParsedArgs, parseArgs, stringFlag, UsageError } from './args';
import { daemonSetReadiness, deploymentReadiness, isPodReady, parseDuration, podProblem, type Json, type Readiness } from './install-status';
import {
  Applier, createApplier, crdEstablished, describeObject, installOrder, kubeconfigSource, loadClientNode, loadKubeConfig,
  ManifestObject, parseManifests,
} from './kube-apply';

export const INSTALL_USAGE = `install [--dry-run] [--timeout 120s] [--kubeconfig PATH] [--no-wait]
                       install the mesh (CRDs, istiod, ztunnel) into the current kubeconfig's cluster
                       and wait until it is ready; --dry-run prints the YAML, --no-wait only applies`;

export const INSTALL_FLAGS = { 'dry-run': 'bool', timeout: 'value', kubeconfig: 'value', 'no-wait': 'bool' } as const;

/** The repository's manifests directory (dist/cli/install.js → manifests/). */
export const MANIFESTS_DIR = join(__dirname, '..', '..', 'manifests');
const NAMESPACE = 'istio-system';
const POLL_MS = 1000;

export interface ManifestFile { path: string; text: string; objects: ManifestObject[] }

/** The YAML files of `dir` (sorted by name), parsed. */
export async function readManifestDir(dir: string): Promise<ManifestFile[]> {
  const names = (await readdir(dir)).filter((n) => /\.ya?ml$/.test(n)).sort();
  const files: ManifestFile[] = [];
  for (const n of names) {
    const path = join(dir, n);
    const text = await readFile(path, 'utf8');
    files.push({ path, text, objects: parseManifests(text, path) });
  }
  return files;
}

/** Every manifest file as one YAML stream, each introduced by a `# Source:` comment. */
export function combinedYaml(files: readonly ManifestFile[], root: string): string {
  return files.map((f) => `---\n# Source: ${relative(root, f.path)}\n${f.text.replace(/^---\s*\n/, '').trimEnd()}\n`).join('');
}

export interface InstallOptions {
  manifestsDir?: string;
  dryRun?: boolean;
  wait?: boolean;
  timeoutMs?: number;
  kubeconfig?: string;
  out?: (line: string) => void;
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/** The kubeconfig to use: the flag, the usual places, else a running local cluster's. */
async function chooseKubeconfig(flag: string | undefined, out: (s: string) => void): Promise<{ kind: 'file'; path: string } | { kind: 'default' }> {
  const source = kubeconfigSource(flag);
  if (source.kind !== 'none') return source;
  const local = clusterConfig({ name: process.env.AMBIT_CLUSTER });
  if (await runningDaemon(local.stateDir)) {
    const path = statePaths(local.stateDir).kubeconfig;
    out(`no KUBECONFIG and no ~/.kube/config: using local cluster '${local.name}' (${path})`);
    return { kind: 'file', path };
  }
  throw new UsageError('no cluster to install into: set KUBECONFIG or pass --kubeconfig PATH (`ambit local up` starts a local cluster and prints its kubeconfig)');
}

async function waitForCrds(api: Applier, crds: readonly ManifestObject[], deadline: number): Promise<void> {
  for (;;) {
    const pending: string[] = [];
    for (const crd of crds) if (!crdEstablished(await api.read(crd))) pending.push(crd.metadata.name);
    if (!pending.length) return;
    if (Date.now() > deadline) throw new Error(`CustomResourceDefinitions not Established in time: ${pending.join(', ')}`);
    await sleep(200);
  }
}

/** Why the workloads are not ready: each unready pod's problem lines, its log if the API serves it, hints. */
async function diagnose(api: Applier): Promise<string[]> {
  const pods = await api.list('v1', 'Pod', NAMESPACE, 'app in (istiod,ztunnel)').catch(() => [] as Json[]);
  const events = await api.list('v1', 'Event', NAMESPACE).catch(() => [] as Json[]);
  const lines: string[] = [];
  if (!pods.length) lines.push(`no istiod or ztunnel pods exist in ${NAMESPACE} (see: kubectl get deployment,daemonset,events -n ${NAMESPACE})`);
  for (const pod of pods.filter((p) => !isPodReady(p))) {
    lines.push(...podProblem(pod, events));
    const name = String((pod.metadata as Json | undefined)?.name ?? '');
    const container = String(((pod.spec as Json | undefined)?.containers as Json[] | undefined)?.[0]?.name ?? '');
    const log = await api.podLog(NAMESPACE, name, container, 5).catch(() => undefined);
    if (log?.trim()) lines.push(`  last log lines:\n${log.trimEnd().split('\n').slice(-5).map((l) => `    ${l}`).join('\n')}`);
    lines.push(`  logs: kubectl logs -n ${NAMESPACE} ${name}   (local cluster: ambit local logs ${NAMESPACE}/${name})`);
  }
  return lines;
}

/** The whole install; resolves when ready (or applied, without waiting). */
export async function install(opts: InstallOptions): Promise<void> {
  const out = opts.out ?? ((s: string) => process.stdout.write(`${s}\n`));
  const dir = opts.manifestsDir ?? MANIFESTS_DIR;
  const crdFiles = await readManifestDir(join(dir, 'crds'));
  const installFiles = await readManifestDir(join(dir, 'install'));
  if (opts.dryRun) {
    process.stdout.write(combinedYaml([...crdFiles, ...installFiles], join(dir, '..')));
    return;
  }
  const timeoutMs = opts.timeoutMs ?? 120_000;
  const deadline = Date.now() + timeoutMs;
  const k8s = await loadClientNode();
  const kc = loadKubeConfig(k8s, await chooseKubeconfig(opts.kubeconfig, out));
  out(`installing into ${kc.getCurrentCluster()?.server ?? '?'} (context ${kc.getCurrentContext()})`);
  const api = createApplier(kc);
  const crds = installOrder(crdFiles.flatMap((f) => f.objects));
  for (const obj of crds) out(`${describeObject(obj)} ${await api.apply(obj)}`);
  await waitForCrds(api, crds.filter((o) => o.kind === 'CustomResourceDefinition'), deadline);
  for (const obj of installOrder(installFiles.flatMap((f) => f.objects))) out(`${describeObject(obj)} ${await api.apply(obj)}`);
  if (opts.wait === false) return;

  const workloads: { kind: string; apiVersion: string; name: string; check: (o: Json) => Readiness }[] = [
    { kind: 'Deployment', apiVersion: 'apps/v1', name: 'istiod', check: deploymentReadiness },
    { kind: 'DaemonSet', apiVersion: 'apps/v1', name: 'ztunnel', check: daemonSetReadiness },
  ];
  out(`waiting up to ${Math.round(timeoutMs / 1000)} s for istiod and ztunnel to be ready ...`);
  const printed = new Map<string, string>();
  for (;;) {
    const states: Readiness[] = [];
    for (const w of workloads) {
      const obj = await api.read({ apiVersion: w.apiVersion, kind: w.kind, metadata: { name: w.name, namespace: NAMESPACE } });
      states.push(obj ? w.check(obj) : { ready: false, summary: `${w.kind.toLowerCase()} ${NAMESPACE}/${w.name}: not found` });
    }
    states.forEach((s, i) => {
      if (printed.get(workloads[i].name) !== s.summary) out(`  ${s.summary}`);
      printed.set(workloads[i].name, s.summary);
    });
    if (states.every((s) => s.ready)) break;
    if (Date.now() > deadline) {
      const why = await diagnose(api);
      throw new Error(`not ready after ${Math.round(timeoutMs / 1000)} s:\n  ${states.filter((s) => !s.ready).map((s) => s.summary).join('\n  ')}\n${why.join('\n')}`);
    }
    await sleep(POLL_MS);
  }
  out('the mesh is installed and ready: istiod is available and every node runs a ready ztunnel');
  out('enroll a namespace: kubectl label namespace <ns> istio.io/dataplane-mode=ambient');
}

/** `ambit install ...` from the command line. */
export async function installCommand(argv: string[]): Promise<void> {
  const args: ParsedArgs = parseArgs(argv, INSTALL_FLAGS);
  if (args.positionals.length || args.rest.length) throw new UsageError(`unexpected arguments: ${[...args.positionals, ...args.rest].join(' ')}\nusage: ambit ${INSTALL_USAGE}`);
  const timeoutText = stringFlag(args, 'timeout');
  const timeoutMs = timeoutText === undefined ? undefined : parseDuration(timeoutText);
  if (timeoutMs === undefined && timeoutText !== undefined) throw new UsageError(`--timeout ${timeoutText}: not a duration (examples: 120s, 2m, 1m30s)`);
  await install({
    dryRun: args.flags.has('dry-run'),
    wait: !args.flags.has('no-wait'),
    ...(timeoutMs !== undefined ? { timeoutMs } : {}),
    ...(stringFlag(args, 'kubeconfig') ? { kubeconfig: stringFlag(args, 'kubeconfig') } : {}),
  });
}
