// L4 zero trust on the local cluster, as a user drives it: `kubectl apply` of Istio's
// AuthorizationPolicy and PeerAuthentication, and ztunnel admits or refuses real connections
// between pods accordingly — deny-all then allow by principal, deny from a namespace, a port-level
// allow, ipBlocks, STRICT against a non-mesh client (kubelet probes still pass) and PERMISSIVE, an
// open connection closed by a new DENY, and an invalid policy reported in status while traffic
// goes on. Denials show in ztunnel's metrics, its access log and `ambit ztunnel-config`. Root
// only; address block 1 and its own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { sleep } from './cluster-cli';
import { isReady, MeshCluster, pinned, service } from './mesh-cluster';

const mesh = new MeshCluster('z');
const kubectl = mesh.kubectl.bind(mesh);
const CLIENT = 'mesh/deploy/client';
const INTRUDER = 'other/deploy/intruder';
const OUTSIDER = 'plain/deploy/outsider';
const ECHO = 'http://echo.mesh/';
const API_URL = 'http://api.mesh/';
const API_ALT = 'http://api.mesh:9090/';
let clientIP = '';

/** One pod serving HTTP on two ports (8080 and 9090), for port-level rules. */
const API = `
apiVersion: apps/v1
kind: Deployment
metadata: { name: api }
spec:
  selector: { matchLabels: { app: api } }
  template:
    metadata: { labels: { app: api } }
    spec:
      terminationGracePeriodSeconds: 2
      nodeSelector: { kubernetes.io/hostname: node2 }
      containers:
        - { name: main, image: ambit/echo, env: [{ name: PORT, value: "8080" }], readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 } }
        - { name: alt, image: ambit/echo, env: [{ name: PORT, value: "9090" }] }
---
apiVersion: v1
kind: Service
metadata: { name: api }
spec:
  selector: { app: api }
  ports: [{ name: http, port: 80, targetPort: 8080 }, { name: alt, port: 9090, targetPort: 9090 }]
`;

/** Whether an HTTP request from a pod gets the echo server's answer. */
async function reaches(from: string, url: string): Promise<boolean> {
  try {
    await mesh.curl(from, url, '--max-time', '3');
    return true;
  } catch {
    return false;
  }
}

/** Waits until each pod's reachability of `url` is as expected (policies take a moment to arrive). */
async function expectAccess(url: string, want: Record<string, boolean>): Promise<void> {
  await mesh.until(`access to ${url}: ${JSON.stringify(want)}`, async () => {
    for (const [from, allowed] of Object.entries(want)) if ((await reaches(from, url)) !== allowed) return undefined;
    return true;
  }, 60_000);
}

let applied = 0;
async function apply(yaml: string): Promise<void> {
  const file = join(mesh.root, `policy-${++applied}.yaml`);
  await writeFile(file, yaml);
  await kubectl('apply', '-f', file);
}
const remove = (kind: string, namespace: string, name: string): Promise<string> => kubectl('delete', kind, '-n', namespace, name, '--ignore-not-found');

const policy = (name: string, namespace: string, spec: string): string =>
  `apiVersion: security.istio.io/v1\nkind: AuthorizationPolicy\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec:\n${spec}\n`;
const peerAuth = (name: string, namespace: string, mode: string): string =>
  `apiVersion: security.istio.io/v1\nkind: PeerAuthentication\nmetadata: { name: ${name}, namespace: ${namespace} }\nspec: { mtls: { mode: ${mode} } }\n`;

before(async () => {
  await mesh.up('ambit-authz-');
  for (const ns of ['mesh', 'other', 'plain']) await kubectl('create', 'namespace', ns);
  await kubectl('label', 'namespace', 'mesh', 'istio.io/dataplane-mode=ambient');
  await kubectl('label', 'namespace', 'other', 'istio.io/dataplane-mode=ambient');
  await kubectl('create', 'serviceaccount', 'client', '-n', 'mesh');
  await writeFile(join(mesh.root, 'mesh.yaml'), [
    pinned('client', 'node1', 'ambit/sleep', { sa: 'client' }),
    // An HTTP probe: under STRICT it fails unless the kubelet's probes bypass the mesh.
    pinned('echo', 'node2', 'ambit/echo', { port: 8080, httpProbe: true }),
    service('echo', 'echo', 80, 8080),
    API,
  ].join('\n---\n'));
  await kubectl('apply', '-n', 'mesh', '-f', join(mesh.root, 'mesh.yaml'));
  await writeFile(join(mesh.root, 'other.yaml'), pinned('intruder', 'node1', 'ambit/sleep'));
  await kubectl('apply', '-n', 'other', '-f', join(mesh.root, 'other.yaml'));
  await writeFile(join(mesh.root, 'plain.yaml'), pinned('outsider', 'node1', 'ambit/sleep'));
  await kubectl('apply', '-n', 'plain', '-f', join(mesh.root, 'plain.yaml'));
  clientIP = (await mesh.waitReady('mesh', 'app=client', 1))[0]?.status.podIP ?? '';
  await mesh.waitReady('mesh', 'app=echo', 1);
  await mesh.waitReady('mesh', 'app=api', 1);
  await mesh.waitReady('other', 'app=intruder', 1);
  await mesh.waitReady('plain', 'app=outsider', 1);
  // Everyone is captured (or not) before the first check.
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: true, [OUTSIDER]: true });
});

after(async () => {
  await mesh.down();
});

test('namespace-wide deny-all, then an allow by principal lets only that identity in', async () => {
  await apply(policy('deny-all', 'mesh', '  {}'));
  await expectAccess(ECHO, { [CLIENT]: false, [INTRUDER]: false, [OUTSIDER]: false });
  const table = await mesh.ambit('ztunnel-config', 'policies', '--node', 'node2');
  assert.match(table, /^mesh\s+deny-all\s+ALLOW\s+NAMESPACE\s/m, table);

  await apply(policy('allow-client', 'mesh', '  rules:\n    - from: [{ source: { principals: ["cluster.local/ns/mesh/sa/client"] } }]'));
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: false, [OUTSIDER]: false });

  const metrics = await mesh.metricsOf('node2');
  assert.match(metrics, /istio_tcp_connections_failed_total\{[^}]*reporter="destination"[^}]*response_flags="DENY"[^}]*\} [1-9]/);

  // Removing the policies restores access.
  await remove('authorizationpolicy', 'mesh', 'allow-client');
  await remove('authorizationpolicy', 'mesh', 'deny-all');
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: true, [OUTSIDER]: true });
});

test('a DENY from one namespace refuses only that namespace', async () => {
  await apply(policy('deny-other', 'mesh', '  action: DENY\n  rules:\n    - from: [{ source: { namespaces: ["other"] } }]'));
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: false });
  // The deciding policy is named in node2's metrics and in its access log line for the refusal.
  const metrics = await mesh.metricsOf('node2');
  assert.match(metrics, /ztunnel_authorization_decisions_total\{[^}]*decision="deny"[^}]*policy="mesh\/deny-other"[^}]*\} [1-9]/);
  const [zt] = (await mesh.pods('istio-system', 'app=ztunnel')).filter((p) => p.spec.nodeName === 'node2');
  const log = await mesh.ambit('local', 'logs', `istio-system/${zt?.metadata.name ?? ''}`);
  const line = log.split('\n').find((l) => l.includes('authz.policy="mesh/deny-other"'));
  assert.ok(line, `an access log line names the DENY policy:\n${log.split('\n').slice(-20).join('\n')}`);
  assert.match(line, /src\.identity="spiffe:\/\/cluster\.local\/ns\/other\/sa\/default"/);
  assert.match(line, /dst\.workload=echo/);
  assert.match(line, /authz\.result="deny"/);
  await remove('authorizationpolicy', 'mesh', 'deny-other');
  await expectAccess(ECHO, { [INTRUDER]: true });
});

test('a port-level allow admits that port only', async () => {
  await expectAccess(API_ALT, { [CLIENT]: true });
  await apply(policy('only-8080', 'mesh', '  selector: { matchLabels: { app: api } }\n  rules:\n    - to: [{ operation: { ports: ["8080"] } }]'));
  await expectAccess(API_ALT, { [CLIENT]: false });
  await expectAccess(API_URL, { [CLIENT]: true });
  await remove('authorizationpolicy', 'mesh', 'only-8080');
  await expectAccess(API_ALT, { [CLIENT]: true });
});

test('ipBlocks admit the listed source address only', async () => {
  await apply(policy('from-client-ip', 'mesh', `  rules:\n    - from: [{ source: { ipBlocks: ["${clientIP}/32"] } }]`));
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: false });
  await remove('authorizationpolicy', 'mesh', 'from-client-ip');
  await expectAccess(ECHO, { [INTRUDER]: true });
});

test('STRICT refuses a client outside the mesh (kubelet probes still pass); PERMISSIVE admits it', async () => {
  await apply(peerAuth('mtls', 'mesh', 'STRICT'));
  await expectAccess(ECHO, { [CLIENT]: true, [OUTSIDER]: false });
  // Readiness probes (1 s period, 3 failures) come from the node, not through the mesh.
  await sleep(5000);
  assert.ok((await mesh.pods('mesh', 'app=echo')).every(isReady), 'the echo pod stays ready under STRICT');
  await apply(peerAuth('mtls', 'mesh', 'PERMISSIVE'));
  await expectAccess(ECHO, { [OUTSIDER]: true });
  await remove('peerauthentication', 'mesh', 'mtls');
});

test('a new DENY closes an open connection it matches', async () => {
  // One line every 250 ms for 15 s over one connection; prints how it ended.
  const script = "const s=require('net').connect(9090,'api.mesh');let n=0,got=0,err='';"
    + "s.on('data',d=>{got+=d.length});s.on('error',e=>{err=e.code||String(e)});"
    + "s.on('close',()=>{console.log('closed got='+got+' sent='+n+' err='+err);process.exit(0)});"
    + "s.on('connect',()=>{const t=setInterval(()=>{if(n++<60)s.write('GET / HTTP/1.1\\r\\nHost: x\\r\\n\\r\\n');else{clearInterval(t);s.end()}},250)});";
  const running = mesh.ambit('local', 'exec', CLIENT, '--', process.execPath, '-e', script);
  await sleep(2500);
  await apply(policy('deny-client', 'mesh', '  selector: { matchLabels: { app: api } }\n  action: DENY\n  rules:\n    - from: [{ source: { principals: ["cluster.local/ns/mesh/sa/client"] } }]'));
  const outcome = await running;
  const sent = Number(/sent=(\d+)/.exec(outcome)?.[1]);
  assert.ok(sent > 2 && sent < 60, `the connection carried data, then was closed before its end: ${outcome}`);
  assert.ok(Number(/got=(\d+)/.exec(outcome)?.[1]) > 0, outcome);
  await expectAccess(API_URL, { [CLIENT]: false });
  await remove('authorizationpolicy', 'mesh', 'deny-client');
  await expectAccess(API_URL, { [CLIENT]: true });
});

test('an invalid policy is reported in its status and does not disturb traffic', async () => {
  await apply(policy('broken', 'mesh', '  rules:\n    - from: [{ source: { ipBlocks: ["198.18.0.0/99"] } }]'));
  const message = await mesh.until('the rejection in status', async () => {
    const out = await kubectl('get', 'authorizationpolicy', '-n', 'mesh', 'broken', '-o', 'jsonpath={.status.conditions[?(@.type=="Accepted")].message}');
    return out.includes('Rejected') ? out : undefined;
  });
  assert.match(message, /spec\.rules\[0\]\.from\[0\]\.source\.ipBlocks\[0\]/);
  // Not enforced: an ALLOW would otherwise refuse everyone but its sources.
  await expectAccess(ECHO, { [CLIENT]: true, [INTRUDER]: true });
  await remove('authorizationpolicy', 'mesh', 'broken');
});
