// `ambit demo`: brings the local cluster up, installs the mesh (`ambit install`), deploys the
// samples with kubectl, shows requests from the client pod to the echo Service by name, then labels
// the namespace ambient and shows the same requests carried across nodes in HBONE (the ztunnels'
// metrics name both workloads and the client's SPIFFE identity; with tcpdump installed, what
// crossed the wire), then deploys a waypoint with a 90/10 canary route and counts who answered
// (demo-waypoint.ts), then what to try next.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api } from '@kubernetes/client-node';
import { statePaths } from '../localcluster/cluster/config';
import { hostVethName, nodeNetnsName } from '../localcluster/runtime/names';
import { install } from './install';
import { wireCheck } from './demo-wire';
import { waypointDemo } from './demo-waypoint';
import { ParsedArgs, UsageError } from './args';
import { DIST_DIR, execInPod, findPod, kubeClient, localUp } from './local';

const run = promisify(execFile);
const out = (s: string): void => { process.stdout.write(`${s}\n`); };
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const REPO = join(DIST_DIR, '..');

async function kubectl(kubeconfig: string, args: string[]): Promise<string> {
  try {
    const { stdout } = await run('kubectl', args, { env: { ...process.env, KUBECONFIG: kubeconfig } });
    return stdout;
  } catch (err) {
    const e = err as NodeJS.ErrnoException & { stderr?: string };
    if (e.code === 'ENOENT') throw new UsageError('kubectl is not installed; the demo applies manifests with it (install kubectl v1.32)');
    throw new Error(`kubectl ${args.join(' ')} failed: ${e.stderr ?? e.message}`);
  }
}

export async function demo(args: ParsedArgs): Promise<void> {
  const cfg = await localUp(args);
  const kubeconfig = statePaths(cfg.stateDir).kubeconfig;
  out('\n$ ambit install');
  await install({ kubeconfig, timeoutMs: 180_000 });
  const samples = ['echo.yaml', 'echo-versions.yaml', 'tcp-echo.yaml', 'client.yaml'];
  out(`\n$ kubectl apply -f manifests/crds/ ${samples.map((f) => `-f manifests/samples/${f}`).join(' ')}`);
  out((await kubectl(kubeconfig, ['apply', '-f', join(REPO, 'manifests', 'crds'), ...samples.flatMap((f) => ['-f', join(REPO, 'manifests', 'samples', f)])])).trimEnd());

  const apps = kubeClient(cfg).makeApiClient(AppsV1Api);
  const wanted = ['echo-v1', 'echo-v2', 'tcp-echo', 'client'];
  out(`\nwaiting for deployments ${wanted.join(', ')} to be available ...`);
  const deadline = Date.now() + 120_000;
  for (;;) {
    const list = await apps.listNamespacedDeployment({ namespace: 'default' });
    const pending = wanted.filter((n) => {
      const d = list.items.find((x) => x.metadata?.name === n);
      return !d || (d.status?.availableReplicas ?? 0) < (d.spec?.replicas ?? 1);
    });
    if (!pending.length) break;
    if (Date.now() > deadline) throw new Error(`deployments not available after 120 s: ${pending.join(', ')}; see 'kubectl get pods -o wide' and 'ambit local logs'`);
    await sleep(500);
  }
  out((await kubectl(kubeconfig, ['get', 'pods', '-o', 'wide'])).trimEnd());

  const client = await findPod(cfg, 'default/deploy/client');
  const ask = async (show: boolean): Promise<Set<string>> => {
    const seen = new Set<string>();
    for (let i = 0; i < 6; i++) {
      const cmd = ['curl', '-sS', '--max-time', '5', 'http://echo/?from=demo'];
      if (show && i === 0) out(`\n$ ambit local exec default/${client.metadata?.name} -- ${cmd.join(' ')}`);
      const res = await execInPod(cfg, client, cmd, 'pipe');
      if (res.code !== 0) throw new Error(`curl from the client pod failed with exit code ${res.code}`);
      const body = JSON.parse(res.stdout) as { pod: string; version: string; source: string; node: string };
      if (show && i === 0) out(JSON.stringify(body, null, 2));
      seen.add(`${body.version} (pod ${body.pod} on ${body.node}, saw client ${body.source.replace(/^::ffff:/, '')})`);
    }
    return seen;
  };
  out(`\nsix requests to http://echo/ from the client pod (${client.spec?.nodeName}) were answered by:\n  ${[...(await ask(true))].join('\n  ')}`);

  out('\n$ kubectl label namespace default istio.io/dataplane-mode=ambient');
  out((await kubectl(kubeconfig, ['label', 'namespace', 'default', 'istio.io/dataplane-mode=ambient', '--overwrite'])).trimEnd());
  const clientIP = client.status?.podIP ?? '';
  const node = client.spec?.nodeName ?? '';
  await waitCaptured(nodeNetnsName(cfg.name, Number(node.replace(/\D/g, '')) || 1), clientIP);
  out(`node ${node}'s ztunnel now captures the client pod (${clientIP}); no pod was restarted`);
  const wire = await wireCheck(hostVethName(cfg.name, Number(node.replace(/\D/g, '')) || 1), () => ask(false));
  out(`\nthe same six requests, now through the mesh, were answered by:\n  ${[...wire.result].join('\n  ')}`);
  if (wire.summary) out(wire.summary);
  out('\nztunnel metrics (the echo side, reporter=destination):');
  for (const line of await ztunnelMetrics(cfg)) out(`  ${line}`);
  await waypointDemo(cfg, kubeconfig, client, (a) => kubectl(kubeconfig, a));
  out(`
What to try next:
  export KUBECONFIG=${kubeconfig}
  kubectl get pods,svc,endpointslices -A
  bin/ambit local exec default/deploy/client -- curl -s http://echo.default.svc.cluster.local/
  ip netns exec ${nodeNetnsName(cfg.name, 1)} curl -s localhost:15000/config_dump   # a ztunnel's view
  bin/ambit waypoint status -n default                          # the waypoint, its pods and what binds to it
  kubectl delete httproute echo-canary                          # back to the Service's own balancing
  kubectl label namespace default istio.io/dataplane-mode-      # back to plaintext, no restart
  bin/ambit local logs istio-system/daemonset/ztunnel
  bin/ambit local down      # removes everything the cluster created`);
}

/** Waits until the ztunnel in `netns` reports the pod IP among the pods it captures. */
async function waitCaptured(netns: string, podIP: string): Promise<void> {
  const deadline = Date.now() + 30_000;
  for (;;) {
    try {
      const { stdout } = await run('ip', ['netns', 'exec', netns, 'curl', '-sS', '--max-time', '2', 'http://127.0.0.1:15000/config_dump']);
      const dump = JSON.parse(stdout) as { capture?: { pods?: string[] } };
      if (dump.capture?.pods?.includes(podIP)) return;
    } catch {
      // ztunnel not answering yet
    }
    if (Date.now() > deadline) throw new Error(`ztunnel in ${netns} did not capture ${podIP} within 30 s; see 'ambit local logs istio-system/daemonset/ztunnel'`);
    await sleep(300);
  }
}

/** The echo side's inbound TCP connection counts, from every node's ztunnel. */
async function ztunnelMetrics(cfg: { name: string; nodes: number }): Promise<string[]> {
  const lines: string[] = [];
  for (let i = 1; i <= cfg.nodes; i++) {
    const { stdout } = await run('ip', ['netns', 'exec', nodeNetnsName(cfg.name, i), 'curl', '-sS', '--max-time', '2', 'http://127.0.0.1:15020/metrics']).catch(() => ({ stdout: '' }));
    for (const l of stdout.split('\n')) {
      if (!l.startsWith('istio_tcp_connections_opened_total{') || !l.includes('reporter="destination"')) continue;
      const label = (k: string): string => new RegExp(`${k}="([^"]*)"`).exec(l)?.[1] ?? '?';
      lines.push(`istio_tcp_connections_opened_total{source_workload="${label('source_workload')}", source_principal="${label('source_principal')}", destination_workload="${label('destination_workload')}", connection_security_policy="${label('connection_security_policy')}"} ${l.split(' ').pop()}`);
    }
  }
  return lines.length ? lines : ['(none found)'];
}
