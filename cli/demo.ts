// `ambit demo`: brings the local cluster up, deploys the samples with kubectl, shows a request from
// the client pod to the echo Service by name (both versions answering), then what to try next.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { AppsV1Api } from '@kubernetes/client-node';
import { statePaths } from '../localcluster/cluster/config';
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
  out('\n$ kubectl apply -f manifests/crds/ -f manifests/samples/');
  out((await kubectl(kubeconfig, ['apply', '-f', join(REPO, 'manifests', 'crds'), '-f', join(REPO, 'manifests', 'samples')])).trimEnd());

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
  const seen = new Set<string>();
  for (let i = 0; i < 6; i++) {
    const cmd = ['curl', '-sS', '--max-time', '5', 'http://echo/?from=demo'];
    if (i === 0) out(`\n$ ambit local exec default/${client.metadata?.name} -- ${cmd.join(' ')}`);
    const res = await execInPod(cfg, client, cmd, 'pipe');
    if (res.code !== 0) throw new Error(`curl from the client pod failed with exit code ${res.code}`);
    const body = JSON.parse(res.stdout) as { pod: string; version: string; source: string; node: string };
    if (i === 0) out(JSON.stringify(body, null, 2));
    seen.add(`${body.version} (pod ${body.pod} on ${body.node})`);
  }
  out(`\nsix requests to http://echo/ from the client pod were answered by: ${[...seen].join(', ')}`);
  out(`
What to try next:
  export KUBECONFIG=${kubeconfig}
  kubectl get pods,svc,endpointslices -A
  bin/ambit local exec default/deploy/client -- curl -s http://echo.default.svc.cluster.local/
  bin/ambit local logs default/deploy/echo-v1 -f
  kubectl scale deployment echo-v2 --replicas=3
  bin/ambit local status
  bin/ambit local down      # removes everything the cluster created`);
}
