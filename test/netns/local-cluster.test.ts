// The local cluster end to end, as a user drives it: `ambit local up`, kubectl apply, pods on two
// nodes talking through a Service by name, a supervisor crash and recovery, and `ambit local down`
// leaving nothing behind. Root only; uses address block 1 and its own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findLeftovers } from '../../localcluster/runtime';
import { readProcStat } from '../../localcluster/runtime/proc-stat';
import { CLI, clusterCli, run, sleep } from './cluster-cli';

const NAME = `t${Math.random().toString(36).slice(2, 6).replace(/[^a-z0-9]/g, 'x')}`;
let root = '';
let stateDir = '';
let kubeconfig = '';

const env = (): NodeJS.ProcessEnv => ({ ...process.env, AMBIT_STATE_ROOT: root, AMBIT_CLUSTER: NAME, KUBECONFIG: kubeconfig });
const { ambit, kubectl } = clusterCli(env, 180_000);




async function waitAvailable(names: string[], timeoutMs = 90_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const list = JSON.parse(await kubectl('get', 'deployments', '-o', 'json')) as { items: { metadata: { name: string }; spec: { replicas: number }; status?: { availableReplicas?: number } }[] };
    const pending = names.filter((n) => {
      const d = list.items.find((x) => x.metadata.name === n);
      return !d || (d.status?.availableReplicas ?? 0) < d.spec.replicas;
    });
    if (!pending.length) return;
    if (Date.now() > deadline) {
      throw new Error(`not available: ${pending.join(', ')}\n${await kubectl('get', 'pods', '-o', 'wide')}\n${await readFile(join(stateDir, 'logs', 'cluster.log'), 'utf8').catch(() => '')}`);
    }
    await sleep(300);
  }
}

/** Runs curl inside the client pod (its network namespace and hosts file) and parses the echo JSON. */
async function curlFromClient(url: string): Promise<{ pod: string; node: string; version: string; source: string }> {
  const stdout = await ambit('local', 'exec', 'default/deploy/pinned-client', '--', 'curl', '-sS', '--max-time', '5', url);
  return JSON.parse(stdout) as { pod: string; node: string; version: string; source: string };
}

const PINNED = (name: string, node: string, image: string, extra: string) => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: 1
  selector: { matchLabels: { app: ${name} } }
  template:
    metadata: { labels: { app: ${name} } }
    spec:
      nodeSelector: { kubernetes.io/hostname: ${node} }
      containers:
        - name: main
          image: ${image}
          env:
            - { name: VERSION, value: pinned }
            - name: POD_NAME
              valueFrom: { fieldRef: { fieldPath: metadata.name } }
            - name: NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
${extra}`;

before(async () => {
  root = await mkdtemp(join(tmpdir(), 'ambit-lc-'));
  stateDir = join(root, NAME);
  kubeconfig = join(stateDir, 'kubeconfig');
  const out = await ambit('local', 'up', '--nodes', '2', '--block', '1');
  assert.match(out, new RegExp(`local cluster '${NAME}' is up`));
});

after(async () => {
  // Whatever happened above, leave nothing behind.
  await run(process.execPath, [CLI, 'local', 'down'], { env: env(), timeout: 120_000 }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

test('up is idempotent and kubectl sees two ready nodes', async () => {
  assert.match(await ambit('local', 'up'), /already up/);
  const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string }; status: { conditions: { type: string; status: string }[] } }[] };
  assert.deepEqual(nodes.items.map((n) => n.metadata.name), ['node1', 'node2']);
  for (const n of nodes.items) assert.ok(n.status.conditions.some((c) => c.type === 'Ready' && c.status === 'True'));
});

test('pods on two different nodes reach each other by Service name', async () => {
  const manifest = join(root, 'pinned.yaml');
  await writeFile(manifest, [
    PINNED('pinned-echo', 'node2', 'ambit/echo', `          readinessProbe: { httpGet: { path: /healthz, port: 8080 }, periodSeconds: 1 }`),
    '---', PINNED('pinned-client', 'node1', 'ambit/sleep', ''),
    '---', 'apiVersion: v1\nkind: Service\nmetadata: { name: pinned }\nspec:\n  selector: { app: pinned-echo }\n  ports: [{ name: http, port: 80, targetPort: 8080 }]\n',
  ].join('\n'));
  await kubectl('apply', '-f', manifest);
  await waitAvailable(['pinned-echo', 'pinned-client']);
  const pods = JSON.parse(await kubectl('get', 'pods', '-o', 'json')) as { items: { metadata: { name: string }; spec: { nodeName: string }; status: { podIP: string } }[] };
  const client = pods.items.find((p) => p.metadata.name.startsWith('pinned-client-'))!;
  for (const url of ['http://pinned/', 'http://pinned.default/', 'http://pinned.default.svc.cluster.local/']) {
    const body = await curlFromClient(url);
    assert.equal(body.node, 'node2', `${url} answered from node2`);
    assert.match(body.pod, /^pinned-echo-/);
    assert.equal(body.source.split(':')[0], client.status.podIP, 'the echo pod sees the client pod\'s own address');
  }
  assert.equal(client.spec.nodeName, 'node1');
});

test('a Service with no ready endpoints refuses connections quickly', async () => {
  await writeFile(join(root, 'nobody.yaml'), 'apiVersion: v1\nkind: Service\nmetadata: { name: nobody }\nspec:\n  selector: { app: nobody }\n  ports: [{ port: 80, targetPort: 8080 }]\n');
  await kubectl('apply', '-f', join(root, 'nobody.yaml'));
  await sleep(300);
  const r = await run(process.execPath, [CLI, 'local', 'exec', 'default/deploy/pinned-client', '--', 'curl', '-sS', '--max-time', '5', 'http://nobody/'], { env: env() })
    .then(() => 'ok', (err: { stderr?: string }) => err.stderr ?? '');
  assert.match(r, /refused|Couldn't connect/i);
});

test('a container gets its downward-API env and a service-account token that the API server accepts', async () => {
  const sh = (script: string) => ambit('local', 'exec', 'default/deploy/pinned-client', '--', 'sh', '-c', script);
  const envOut = await sh('echo "$POD_NAME $NODE_NAME $KUBERNETES_SERVICE_HOST"; cat /var/run/secrets/kubernetes.io/serviceaccount/namespace');
  assert.match(envOut, /^pinned-client-\S+ node1 198\.19\.128\.1\ndefault$/);
  // In-cluster access as a real client does it: the kubernetes Service VIP, the mounted CA and token.
  const body = await sh('D=/var/run/secrets/kubernetes.io/serviceaccount; curl -sS --max-time 5 --cacert $D/ca.crt -H "Authorization: Bearer $(cat $D/token)" https://kubernetes.default.svc.cluster.local/api/v1/namespaces/default/services/pinned');
  assert.equal((JSON.parse(body) as { metadata: { name: string } }).metadata.name, 'pinned');
  const token = (await sh('cat /var/run/secrets/kubernetes.io/serviceaccount/token')).trim();
  const review = join(root, 'review.json');
  await writeFile(review, JSON.stringify({ apiVersion: 'authentication.k8s.io/v1', kind: 'TokenReview', spec: { token } }));
  const status = (JSON.parse(await kubectl('create', '-f', review, '-o', 'json')) as { status: { authenticated: boolean; user: { username: string } } }).status;
  assert.equal(status.authenticated, true);
  assert.equal(status.user.username, 'system:serviceaccount:default:default');
});

test('a hostNetwork DaemonSet runs one pod per node on the node address', async () => {
  const manifest = join(root, 'ds.yaml');
  await writeFile(manifest, `apiVersion: apps/v1
kind: DaemonSet
metadata: { name: node-echo }
spec:
  selector: { matchLabels: { app: node-echo } }
  template:
    metadata: { labels: { app: node-echo } }
    spec:
      hostNetwork: true
      containers:
        - name: echo
          image: ambit/echo
          env:
            - { name: PORT, value: "18080" }
            - name: NODE_NAME
              valueFrom: { fieldRef: { fieldPath: spec.nodeName } }
          readinessProbe: { tcpSocket: { port: 18080 }, periodSeconds: 1 }
`);
  await kubectl('apply', '-f', manifest);
  const deadline = Date.now() + 60_000;
  let pods: { spec: { nodeName: string }; status: { podIP?: string; conditions?: { type: string; status: string }[] } }[] = [];
  while (Date.now() < deadline) {
    pods = (JSON.parse(await kubectl('get', 'pods', '-l', 'app=node-echo', '-o', 'json')) as { items: typeof pods }).items;
    if (pods.length === 2 && pods.every((p) => p.status.conditions?.some((c) => c.type === 'Ready' && c.status === 'True'))) break;
    await sleep(300);
  }
  const nodes = JSON.parse(await kubectl('get', 'nodes', '-o', 'json')) as { items: { metadata: { name: string }; status: { addresses: { type: string; address: string }[] } }[] };
  assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['node1', 'node2']);
  for (const p of pods) {
    const node = nodes.items.find((n) => n.metadata.name === p.spec.nodeName)!;
    const nodeIP = node.status.addresses.find((a) => a.type === 'InternalIP')!.address;
    assert.equal(p.status.podIP, nodeIP, 'a hostNetwork pod has its node address');
    const body = await curlFromClient(`http://${nodeIP}:18080/`);
    assert.equal(body.node, p.spec.nodeName);
  }
  await kubectl('delete', '-f', manifest);
});

test('after a supervisor crash, up recovers the cluster with its objects and traffic', async () => {
  const rec = JSON.parse(await readFile(join(stateDir, 'daemon.json'), 'utf8')) as { pid: number };
  process.kill(rec.pid, 'SIGKILL');
  await sleep(300);
  const out = await ambit('local', 'up');
  assert.match(out, /did not shut down cleanly/);
  await waitAvailable(['pinned-echo', 'pinned-client']);
  const body = await curlFromClient('http://pinned/');
  assert.equal(body.node, 'node2');
});

test('down leaves no namespaces, interfaces, processes or mounts behind', async () => {
  const rec = JSON.parse(await readFile(join(stateDir, 'daemon.json'), 'utf8')) as { pid: number };
  const out = await ambit('local', 'down');
  assert.match(out, /is down/);
  assert.deepEqual(await findLeftovers(NAME, stateDir), []);
  const netns = spawnSync('ip', ['netns', 'list'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(netns, new RegExp(`^${NAME}-`, 'm'));
  const links = spawnSync('ip', ['-o', 'link', 'show'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(links, new RegExp(`: ${NAME}[0-9n]`));
  const mounts = await readFile('/proc/self/mountinfo', 'utf8');
  assert.doesNotMatch(mounts, new RegExp(`${NAME}|${root}`));
  assert.equal(await readProcStat(rec.pid), null, 'the supervisor is gone (or only a zombie awaiting its reaper)');
  const ps = spawnSync('ps', ['-eo', 'args'], { encoding: 'utf8' }).stdout;
  assert.doesNotMatch(ps, new RegExp(`ip netns exec ${NAME}-`));
});
