// The ambient L4 mesh end to end on the local cluster, as a user drives it: `ambit install`, then
// `kubectl label namespace ... istio.io/dataplane-mode=ambient` and, with no restart, the pods'
// connections cross the wire only inside HBONE (TLS to port 15008) — checked with tcpdump on the
// bridge between the nodes — while the apps keep working and see their real peers. Also: unlabel,
// late pods, mesh ↔ non-mesh in both directions, Service spreading, metrics, a ztunnel restart and
// istiod going away. Root only; address block 1 and its own state root.

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { run, sleep } from './cluster-cli';
import { isReady, MeshCluster, pinned, service, type Echo } from './mesh-cluster';

const mesh = new MeshCluster('m');
const kubectl = mesh.kubectl.bind(mesh);
const ambit = mesh.ambit.bind(mesh);
const until = mesh.until.bind(mesh);
const pods = mesh.pods.bind(mesh);
const waitReady = mesh.waitReady.bind(mesh);
const curl = (from: string, url: string): Promise<Echo> => mesh.curl(from, url);
const onNode = mesh.onNode.bind(mesh);
const metricsOf = mesh.metricsOf.bind(mesh);

/** Everything that crossed node1's link to the bridge (the client's node) while `fn` ran, as tcpdump -A text. */
async function onTheWire(fn: () => Promise<void>): Promise<string> {
  const file = join(mesh.root, `wire-${Date.now()}.pcap`);
  const dump = spawn('tcpdump', ['-i', `${mesh.name}n1`, '-nn', '-U', '--immediate-mode', '-s', '0', '-w', file, 'tcp'], { stdio: ['ignore', 'ignore', 'pipe'] });
  let err = '';
  dump.stderr.on('data', (d: Buffer) => { err += d.toString(); });
  await until('tcpdump to start', async () => (err.includes('listening on') ? true : undefined), 10_000);
  await sleep(200);
  try {
    await fn();
    await sleep(300);
  } finally {
    dump.kill('SIGINT');
    await new Promise((r) => dump.once('exit', r));
  }
  const { stdout, stderr } = await run('tcpdump', ['-nn', '-A', '-r', file], { maxBuffer: 64 * 1024 * 1024 });
  if (process.env.AMBIT_DEBUG_WIRE) process.stderr.write(`wire capture: ${stdout.length} bytes; tcpdump said: ${err.trim()} / ${stderr.trim()}\n${stdout.split('\n').filter((l) => / IP /.test(l)).slice(0, 8).join('\n')}\n`);
  return stdout;
}

let clientIP = '';

before(async () => {
  await mesh.up('ambit-mesh-');
  await kubectl('create', 'namespace', 'mesh');
  await kubectl('create', 'namespace', 'plain');
  await kubectl('create', 'serviceaccount', 'client', '-n', 'mesh');
  const meshYaml = join(mesh.root, 'mesh.yaml');
  await writeFile(meshYaml, [
    pinned('client', 'node1', 'ambit/sleep', { sa: 'client' }),
    pinned('echo', 'node2', 'ambit/echo', { replicas: 2, port: 8080 }),
    service('echo', 'echo', 80, 8080),
    pinned('tcp-echo', 'node2', 'ambit/tcp-echo', { port: 9000 }),
    `apiVersion: v1\nkind: Service\nmetadata: { name: tcp-echo }\nspec:\n  selector: { app: tcp-echo }\n  ports: [{ name: tcp, port: 9000, targetPort: 9000 }]\n`,
  ].join('\n---\n'));
  await kubectl('apply', '-n', 'mesh', '-f', meshYaml);
  const plainYaml = join(mesh.root, 'plain.yaml');
  await writeFile(plainYaml, [pinned('outsider', 'node1', 'ambit/sleep'), pinned('web', 'node2', 'ambit/echo', { port: 8080 }), service('web', 'web', 80, 8080)].join('\n---\n'));
  await kubectl('apply', '-n', 'plain', '-f', plainYaml);
  clientIP = (await waitReady('mesh', 'app=client', 1))[0].status.podIP ?? '';
  await waitReady('mesh', 'app=echo', 2);
  await waitReady('mesh', 'app=tcp-echo', 1);
  await waitReady('plain', 'app=outsider', 1);
  await waitReady('plain', 'app=web', 1);
});

after(async () => {
  await mesh.down();
});

const MARKER = 'x-ambit-marker: wire-check-5b1f';

async function curlMarked(from: string, url: string): Promise<Echo> {
  return mesh.curl(from, url, '-H', MARKER);
}

/** Waits until node1's ztunnel captures the client (its config shows the client as HBONE and captured). */
async function clientCaptured(want: boolean): Promise<void> {
  await until(`client ${want ? '' : 'not '}captured by node1's ztunnel`, async () => {
    const dump = JSON.parse(await onNode('node1', 'curl', '-sS', '--max-time', '3', 'http://127.0.0.1:15000/config_dump')) as { capture?: { pods?: string[] } };
    return (dump.capture?.pods ?? []).includes(clientIP) === want ? true : undefined;
  });
}

test('before enrolment the request crosses the wire in clear text', async () => {
  const wire = await onTheWire(async () => {
    const r = await curlMarked('mesh/deploy/client', 'http://echo.mesh/');
    assert.match(r.pod, /^echo-/);
  });
  assert.ok(wire.includes(MARKER), 'the HTTP request is visible on the bridge');
});

test('labelling the namespace ambient moves its traffic into HBONE with no restart', async () => {
  await kubectl('label', 'namespace', 'mesh', 'istio.io/dataplane-mode=ambient');
  await clientCaptured(true);
  let reply: Echo | undefined;
  const wire = await onTheWire(async () => { reply = await curlMarked('mesh/deploy/client', 'http://echo.mesh/'); });
  assert.ok(reply && /^echo-/.test(reply.pod));
  assert.ok(!wire.includes(MARKER), 'not one byte of the HTTP request in clear on the wire');
  const ports = new Set([...wire.matchAll(/ IP \d+\.\d+\.\d+\.\d+\.(\d+) > \d+\.\d+\.\d+\.\d+\.(\d+):/g)].map((m) => Math.min(Number(m[1]), Number(m[2]))));
  assert.ok(ports.has(15008), `HBONE on port 15008 crossed the wire (ports seen: ${[...ports].join(', ')})`);
  assert.ok(!ports.has(8080) && !ports.has(80), 'no plaintext connection to the app port');
  assert.equal(reply.source.replace(/^::ffff:/, '').split(':')[0], clientIP, 'the echo server sees the client pod address');
});

test('metrics on both ztunnels name the source and destination workloads', async () => {
  await curl('mesh/deploy/client', 'http://echo.mesh/');
  const src = await metricsOf('node1');
  const dst = await metricsOf('node2');
  const opened = (text: string, reporter: string) => text.split('\n').filter((l) => l.startsWith('istio_tcp_connections_opened_total{')
    && l.includes(`reporter="${reporter}"`) && l.includes('source_workload="client"') && l.includes('destination_workload="echo"'));
  assert.ok(opened(src, 'source').length > 0, `node1 reports the outbound connection:\n${src.slice(0, 2000)}`);
  assert.ok(opened(dst, 'destination').length > 0, `node2 reports the inbound connection:\n${dst.slice(0, 2000)}`);
  assert.ok(opened(dst, 'destination').some((l) => l.includes('source_principal="spiffe://cluster.local/ns/mesh/sa/client"')));
  assert.match(dst, /istio_tcp_received_bytes_total\{[^}]*reporter="destination"[^}]*\} [1-9]/);
});

test('a Service VIP spreads connections over its endpoints', async () => {
  const seen = new Set<string>();
  for (let i = 0; i < 12 && seen.size < 2; i++) seen.add((await curl('mesh/deploy/client', 'http://echo.mesh/')).pod);
  assert.equal(seen.size, 2, `both echo pods answered: ${[...seen].join(', ')}`);
});

test('mesh and non-mesh pods still reach each other both ways', async () => {
  const outsider = await curl('plain/deploy/outsider', 'http://echo.mesh/');
  assert.match(outsider.pod, /^echo-/, 'a non-ambient client reaches an ambient server (inbound plaintext)');
  const web = await curl('mesh/deploy/client', 'http://web.plain/');
  assert.match(web.pod, /^web-/, 'an ambient client reaches a non-mesh server (passthrough)');
  assert.equal(web.source.replace(/^::ffff:/, '').split(':')[0], clientIP, 'passthrough keeps the client address');
});

test('a pod created after labelling is enrolled', async () => {
  const late = join(mesh.root, 'late.yaml');
  await writeFile(late, pinned('late', 'node1', 'ambit/sleep'));
  await kubectl('apply', '-n', 'mesh', '-f', late);
  const [pod] = await waitReady('mesh', 'app=late', 1);
  await until('the late pod captured', async () => {
    const dump = JSON.parse(await onNode('node1', 'curl', '-sS', 'http://127.0.0.1:15000/config_dump')) as { capture?: { pods?: string[] } };
    return dump.capture?.pods?.includes(pod.status.podIP ?? '') ? true : undefined;
  });
  const wire = await onTheWire(async () => { await curlMarked('mesh/deploy/late', 'http://echo.mesh/'); });
  assert.ok(!wire.includes(MARKER));
  await kubectl('delete', '-n', 'mesh', '-f', late);
});

test('a ztunnel restart resumes traffic with no duplicate or stale rules', async () => {
  const [zt] = (await pods('istio-system', 'app=ztunnel')).filter((p) => p.spec.nodeName === 'node1');
  await kubectl('delete', 'pod', '-n', 'istio-system', zt.metadata.name, '--wait=true');
  await until('a new ztunnel on node1', async () => {
    const list = (await pods('istio-system', 'app=ztunnel')).filter((p) => p.spec.nodeName === 'node1' && p.metadata.name !== zt.metadata.name && isReady(p));
    return list.length === 1 ? true : undefined;
  }, 120_000);
  await clientCaptured(true);
  const r = await curl('mesh/deploy/client', 'http://echo.mesh/');
  assert.match(r.pod, /^echo-/);
  const rules = (await onNode('node1', 'iptables-save')).split('\n').filter((l) => l.startsWith('-A') && /ZTUNNEL/i.test(l));
  assert.ok(rules.length > 0, 'capture rules are in place');
  assert.equal(new Set(rules).size, rules.length, `no duplicated rule:\n${rules.join('\n')}`);
});

test('with istiod gone, known pods keep talking on the last config', async () => {
  // A long-lived connection through the mesh: one line every 300 ms for ~6 s over tcp-echo.
  const script = "const s=require('net').connect(9000,'tcp-echo.mesh');let n=0,got=0;s.on('data',d=>{got+=String(d).split('\\n').length-1});"
    + "const t=setInterval(()=>{if(n++<20)s.write('ping '+n+'\\n');else{clearInterval(t);setTimeout(()=>{console.log('echoed '+got);s.end()},500)}},300);";
  const longLived = ambit('local', 'exec', 'mesh/deploy/client', '--', process.execPath, '-e', script);
  await sleep(500);
  await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=0');
  await until('istiod gone', async () => ((await pods('istio-system', 'app=istiod')).length === 0 ? true : undefined));
  const r = await curl('mesh/deploy/client', 'http://echo.mesh/');
  assert.match(r.pod, /^echo-/, 'a new connection works without istiod');
  assert.match(await longLived, /echoed 20/, 'the connection open while istiod left carried every line');
  await kubectl('scale', 'deployment', 'istiod', '-n', 'istio-system', '--replicas=1');
  await waitReady('istio-system', 'app=istiod', 1);
});

test('removing the label releases the namespace back to plaintext', async () => {
  await kubectl('label', 'namespace', 'mesh', 'istio.io/dataplane-mode-');
  await clientCaptured(false);
  const wire = await onTheWire(async () => { await curlMarked('mesh/deploy/client', 'http://echo.mesh/'); });
  assert.ok(wire.includes(MARKER), 'plaintext again');
});
