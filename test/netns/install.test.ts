// `ambit install` on the local cluster, as a user runs it: istiod comes up with its default token,
// the ztunnel pods wait for istio-ca-root-cert (a FailedMount event says so) and start once istiod
// publishes it, each with a projected istio-ca token bound to its pod and node and the mesh root
// at the paths its env names; a second install changes nothing; a ConfigMap volume of another pod
// follows its ConfigMap; `ambit local down` leaves nothing. Root only; block 1, own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { findLeftovers } from '../../localcluster/runtime';

const run = promisify(execFile);
const REPO = join(__dirname, '..', '..', '..');
const CLI = join(REPO, 'dist', 'cli', 'main.js');
const NAME = `i${Math.random().toString(36).slice(2, 6).replace(/[^a-z0-9]/g, 'x')}`;
const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (network namespaces)' : false;
let root = '';
let stateDir = '';
let kubeconfig = '';

const env = (): NodeJS.ProcessEnv => ({ ...process.env, AMBIT_STATE_ROOT: root, AMBIT_CLUSTER: NAME, KUBECONFIG: kubeconfig });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function ambit(...args: string[]): Promise<string> {
  try {
    return (await run(process.execPath, [CLI, ...args], { env: env(), timeout: 240_000 })).stdout;
  } catch (err) {
    const e = err as { stdout?: string; stderr?: string; message: string };
    throw new Error(`ambit ${args.join(' ')} failed: ${e.message}\n${e.stdout ?? ''}\n${e.stderr ?? ''}`);
  }
}

const kubectl = async (...args: string[]): Promise<string> => (await run('kubectl', args, { env: env(), timeout: 60_000 })).stdout;
const inPod = (ref: string, script: string): Promise<string> => ambit('local', 'exec', ref, '--', 'sh', '-c', script);

interface PodJson { metadata: { name: string; uid: string }; spec: { nodeName: string } }

before(async () => {
  if (skip) return;
  root = await mkdtemp(join(tmpdir(), 'ambit-install-'));
  stateDir = join(root, NAME);
  kubeconfig = join(stateDir, 'kubeconfig');
  await ambit('local', 'up', '--nodes', '2', '--block', '1');
});

after(async () => {
  if (skip) return;
  await run(process.execPath, [CLI, 'local', 'down'], { env: env(), timeout: 120_000 }).catch(() => undefined);
  await rm(root, { recursive: true, force: true });
});

test('install brings up istiod and a ready ztunnel on every node, with token and root certificate mounted', { skip }, async () => {
  const out = await ambit('install', '--timeout', '180s');
  assert.match(out, /daemonset istio-system\/ztunnel: 2 of 2 pod\(s\) ready/);
  assert.match(out, /installed and ready/);

  const events = await kubectl('get', 'events', '-n', 'istio-system', '-o', 'jsonpath={range .items[*]}{.reason}: {.message}{"\\n"}{end}');
  assert.match(events, /FailedMount: MountVolume.SetUp failed for volume "istiod-ca-cert" : configmap "istio-ca-root-cert" not found/,
    'the ztunnel pods started before istiod had published the root certificate and waited for it');

  const pods = (JSON.parse(await kubectl('get', 'pods', '-n', 'istio-system', '-l', 'app=ztunnel', '-o', 'json')) as { items: PodJson[] }).items;
  assert.deepEqual(pods.map((p) => p.spec.nodeName).sort(), ['node1', 'node2']);
  const zt = pods[0];
  const seen = await inPod(`istio-system/${zt.metadata.name}`,
    'cat "$TOKEN_PATH" | cut -d. -f2; cat "$ROOT_CERT_PATH"; echo "$NODE_NAME $INSTANCE_IP"; touch /var/run/secrets/istio/x 2>/dev/null && echo writable || echo read-only');
  const [payload, ...rest] = seen.split('\n');
  const claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as { aud: string[]; exp: number; iat: number; 'kubernetes.io': { serviceaccount: { name: string }; pod: { uid: string }; node: { name: string } } };
  assert.deepEqual(claims.aud, ['istio-ca']);
  assert.equal(claims.exp - claims.iat, 43200);
  assert.equal(claims['kubernetes.io'].serviceaccount.name, 'ztunnel');
  assert.equal(claims['kubernetes.io'].pod.uid, zt.metadata.uid);
  assert.equal(claims['kubernetes.io'].node.name, zt.spec.nodeName);
  const rootCert = await kubectl('get', 'configmap', '-n', 'istio-system', 'istio-ca-root-cert', '-o', 'jsonpath={.data.root-cert\\.pem}');
  assert.ok(rest.join('\n').startsWith(rootCert.trim()), 'the mounted root-cert.pem is the ConfigMap\'s');
  assert.match(rest.join('\n'), new RegExp(`\n${zt.spec.nodeName} 198\\.18\\.128\\.\\d+\nread-only\n$`));
});

test('a second install changes nothing', { skip }, async () => {
  const out = await ambit('install', '--timeout', '60s');
  const applied = out.split('\n').filter((l) => / (created|configured|unchanged)$/.test(l));
  assert.equal(applied.length, 21);
  assert.deepEqual(applied.filter((l) => !l.endsWith(' unchanged')), []);
});

test('a ConfigMap volume follows its ConfigMap while the pod runs', { skip }, async () => {
  const manifest = join(root, 'cm.yaml');
  const write = (greeting: string) => writeFile(manifest, `apiVersion: v1
kind: ConfigMap
metadata: { name: greeting }
data: { greeting.txt: "${greeting}" }
---
apiVersion: apps/v1
kind: Deployment
metadata: { name: reader }
spec:
  selector: { matchLabels: { app: reader } }
  template:
    metadata: { labels: { app: reader } }
    spec:
      containers:
        - name: main
          image: ambit/sleep
          volumeMounts: [{ name: cfg, mountPath: /etc/greeting }]
      volumes: [{ name: cfg, configMap: { name: greeting } }]
`);
  await write('hello');
  await kubectl('apply', '-f', manifest);
  await kubectl('rollout', 'status', 'deployment/reader', '--timeout=60s');
  assert.equal(await inPod('default/deploy/reader', 'cat /etc/greeting/greeting.txt'), 'hello');
  await write('bonjour');
  await kubectl('apply', '-f', manifest);
  const deadline = Date.now() + 20_000;
  let now = '';
  while (Date.now() < deadline && (now = await inPod('default/deploy/reader', 'cat /etc/greeting/greeting.txt')) !== 'bonjour') await sleep(200);
  assert.equal(now, 'bonjour');
});

test('down leaves nothing behind, mount points included', { skip }, async () => {
  await ambit('local', 'down');
  assert.deepEqual(await findLeftovers(NAME, stateDir), []);
});
