// Root-only tests of localcluster/runtime on real network namespaces: a 2-node cluster in block 1
// with pods, Services (incl. hairpin and no-endpoint refusal), hosts-file DNS, container processes
// (service-account mount, restarts, stop), teardown, and recovery after a supervisor crash.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { randomInt } from 'node:crypto';
import { ClusterRuntime, findLeftovers, killRecordedLeftovers, tearDownCluster, type ContainerState, type RunningContainer } from '../../localcluster/runtime';

const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (network namespaces)' : false;
const RUNTIME_MODULE = resolve(__dirname, '../../localcluster/runtime/index.js');

/** A cluster name unlikely to clash with anyone's: rtt + 3 letters (never ending in n<digits>). */
function clusterName(): string {
  const letters = 'abcdefghijklmopqrstuvwxyz';
  return `rtt${Array.from({ length: 3 }, () => letters[randomInt(letters.length)]).join('')}`;
}

async function waitFor<T>(what: string, probe: () => Promise<T | undefined> | T | undefined, limitMs = 20_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  while (true) {
    const value = await probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** Connects, optionally sends a line, returns what the server sent before closing (or 'ERROR <code>'). */
function request(host: string, port: number, line?: string, giveUpMs = 5_000): Promise<string> {
  return new Promise((done) => {
    const socket = connect({ host, port });
    let data = '';
    socket.setTimeout(giveUpMs, () => {
      socket.destroy();
      done('ERROR TIMEOUT');
    });
    socket.on('connect', () => {
      if (line !== undefined) socket.write(`${line}\n`);
    });
    socket.on('data', (d) => (data += d.toString()));
    socket.on('end', () => done(data));
    socket.on('error', (e: NodeJS.ErrnoException) => done(`ERROR ${e.code ?? e.message}`));
  });
}

const CLIENT = `const s=require('net').connect(+process.argv[2],process.argv[1]);let b='';s.setTimeout(+process.argv[3],()=>{process.stdout.write('ERROR TIMEOUT');s.destroy()});
s.on('data',d=>b+=d);s.on('end',()=>process.stdout.write(b));s.on('error',e=>process.stdout.write('ERROR '+e.code));`;

/** Runs the TCP client above inside `netns`. */
function requestFrom(netns: string, host: string, port: number, giveUpMs = 5_000): Promise<string> {
  return new Promise((done, fail) => {
    execFile('ip', ['netns', 'exec', netns, process.execPath, '-e', CLIENT, host, String(port), String(giveUpMs)], { timeout: 15_000 }, (err, stdout) =>
      err ? fail(err) : done(stdout),
    );
  });
}

const SERVER = `const fs=require('fs');require('net').createServer(s=>{let token;
try{token=fs.readFileSync('/var/run/secrets/kubernetes.io/serviceaccount/token','utf8')}catch(e){token='ERR '+e.code}
s.end(JSON.stringify({greeting:process.env.GREETING,cwd:process.cwd(),token,remote:s.remoteAddress}))}).listen(8080,'0.0.0.0',()=>console.log('listening on 8080'));`;

const RESOLVER = `require('net').createServer(s=>s.once('data',d=>require('dns').lookup(d.toString().trim(),{family:4},(e,a)=>s.end(e?'ERROR '+e.code:a)))).listen(9000,'0.0.0.0');`;

const hostMounts = (): string => execFileSync('findmnt', ['-rn', '-o', 'TARGET'], { encoding: 'utf8' });

describe('cluster runtime on network namespaces', { skip }, () => {
  const cluster = clusterName();
  const stateDir = mkdtempSync(join(tmpdir(), `ambit-${cluster}-`));
  const saDir = join(stateDir, 'sa');
  const secretsExistedBefore = existsSync('/run/secrets');
  const rt = new ClusterRuntime({ cluster, block: 1, nodeCount: 2, stateDir });
  const containers: RunningContainer[] = [];
  const uidA = `pod-a-${cluster}`;
  const uidB = `pod-b-${cluster}`;
  let a = { podIP: '', netns: '' };
  let b = { podIP: '', netns: '' };
  const start = (podUID: string, netns: string, name: string, code: string, extra: { env?: Record<string, string>; sa?: boolean } = {}) => {
    const states: ContainerState[] = [];
    const c = rt.startContainer(
      { podUID, namespace: 'shop', podName: podUID, containerName: name, netns, command: [process.execPath, '-e', code], env: extra.env ?? {}, cwd: stateDir, serviceAccountDir: extra.sa ? saDir : undefined },
      (s) => states.push(s),
    );
    containers.push(c);
    return { c, states };
  };

  before(async () => {
    mkdirSync(saDir);
    writeFileSync(join(saDir, 'token'), 'token-for-b');
    writeFileSync(join(saDir, 'namespace'), 'shop');
    await rt.setUp();
    await rt.setUp(); // idempotent
    a = await rt.ensurePodNetwork({ uid: uidA, nodeIndex: 1, hostNetwork: false });
    b = await rt.ensurePodNetwork({ uid: uidB, nodeIndex: 2, hostNetwork: false });
  });

  after(async () => {
    await Promise.allSettled(containers.map((c) => c.stop(500)));
    await rt.tearDown().catch(() => tearDownCluster(cluster, stateDir));
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('pods get addresses from their node\'s pod CIDR, stably', async () => {
    assert.match(a.podIP, /^198\.18\.129\.\d+$/);
    assert.match(b.podIP, /^198\.18\.130\.\d+$/);
    assert.deepEqual(await rt.ensurePodNetwork({ uid: uidA, nodeIndex: 1, hostNetwork: false }), a);
    assert.deepEqual(await rt.ensurePodNetwork({ uid: 'host-pod', nodeIndex: 2, hostNetwork: true }), { podIP: '198.18.128.12', netns: rt.nodeNetns(2) });
  });

  test('a second cluster in the same block is refused and leaves nothing', async () => {
    const other = clusterName();
    const rival = new ClusterRuntime({ cluster: other, block: 1, nodeCount: 1, stateDir });
    await assert.rejects(rival.setUp(), /block 1 .* is already used by interface/);
    assert.deepEqual(await findLeftovers(other), []);
  });

  test('a server in pod B answers the host, pod A directly and through a Service VIP', async () => {
    const server = start(uidB, b.netns, 'server', SERVER, { env: { GREETING: 'hello from b' }, sa: true });
    const fromHost = await waitFor('the server in pod B', async () => {
      const r = await request(b.podIP, 8080);
      return r.startsWith('{') ? r : undefined;
    });
    assert.deepEqual(JSON.parse(fromHost), { greeting: 'hello from b', cwd: stateDir, token: 'token-for-b', remote: '198.18.128.1' });
    assert.ok(server.states.some((s) => s.state === 'running'));
    assert.match(readFileSync(server.c.logFile, 'utf8'), /listening on 8080/);
    assert.doesNotMatch(hostMounts(), /serviceaccount/, 'the service-account mount stays inside the container');

    const direct = JSON.parse(await requestFrom(a.netns, b.podIP, 8080));
    assert.equal(direct.remote, a.podIP, 'pod to pod is not NATed');

    await rt.syncServices([
      { namespace: 'shop', name: 'web', clusterIP: '198.19.128.20', ports: [{ name: 'http', protocol: 'TCP', port: 80, endpoints: [{ ip: b.podIP, port: 8080 }] }] },
      { namespace: 'shop', name: 'gone', clusterIP: '198.19.128.21', ports: [{ protocol: 'TCP', port: 80, endpoints: [] }] },
    ]);
    const viaVip = JSON.parse(await requestFrom(a.netns, '198.19.128.20', 80));
    assert.equal(viaVip.greeting, 'hello from b');
    assert.equal(viaVip.remote, a.podIP);

    const hairpin = JSON.parse(await requestFrom(b.netns, '198.19.128.20', 80));
    assert.equal(hairpin.greeting, 'hello from b');
    assert.equal(hairpin.remote, '198.18.130.1', 'hairpin traffic is masqueraded to the node gateway');

    assert.equal(await requestFrom(a.netns, '198.19.128.21', 80), 'ERROR ECONNREFUSED');
  });

  test('syncing Services is idempotent and removes what is no longer wanted', async () => {
    const save = (): string => execFileSync('ip', ['netns', 'exec', rt.nodeNetns(1), 'iptables-save'], { encoding: 'utf8' });
    await rt.syncServices([{ namespace: 'shop', name: 'gone', clusterIP: '198.19.128.21', ports: [{ protocol: 'TCP', port: 80, endpoints: [] }] }]);
    await rt.syncServices([{ namespace: 'shop', name: 'gone', clusterIP: '198.19.128.21', ports: [{ protocol: 'TCP', port: 80, endpoints: [] }] }]);
    const rules = save();
    assert.equal(rules.match(/^-A PREROUTING -j AMBIT-SERVICES$/gm)?.length, 1);
    assert.equal(rules.match(/^-A FORWARD -j AMBIT-SERVICES$/gm)?.length, 1);
    assert.doesNotMatch(rules, /AMBIT-SVC-|AMBIT-SEP-/);
    assert.equal(await requestFrom(a.netns, '198.19.128.20', 80, 1_500), 'ERROR TIMEOUT', 'the VIP no longer leads anywhere');
  });

  test('the hosts file names Services, and running processes see it rewritten', async () => {
    const services = [
      { namespace: 'shop', name: 'web', clusterIP: '198.19.128.20' },
      { namespace: 'default', name: 'kubernetes', clusterIP: '198.19.128.1' },
    ];
    await rt.writeHosts({ netns: a.netns, namespace: 'shop', hostname: 'pod-a', ip: a.podIP }, services);
    const getent = (name: string): string => execFileSync('ip', ['netns', 'exec', a.netns, 'getent', 'hosts', name], { encoding: 'utf8' }).split(/\s+/)[0]!;
    assert.equal(getent('web.shop.svc.cluster.local'), '198.19.128.20');
    assert.equal(getent('web'), '198.19.128.20');
    assert.equal(getent('kubernetes.default'), '198.19.128.1');
    assert.match(readFileSync(`/etc/netns/${a.netns}/resolv.conf`, 'utf8'), /^search shop\.svc\.cluster\.local /m);

    start(uidA, a.netns, 'resolver', RESOLVER);
    await waitFor('the resolver in pod A', async () => ((await request(a.podIP, 9000, 'web')) === '198.19.128.20' ? true : undefined));
    assert.match(await request(a.podIP, 9000, 'late'), /^ERROR/);
    await rt.writeHosts({ netns: a.netns, namespace: 'shop', hostname: 'pod-a', ip: a.podIP }, [...services, { namespace: 'shop', name: 'late', clusterIP: '198.19.128.30' }]);
    assert.equal(await request(a.podIP, 9000, 'late'), '198.19.128.30');
  });

  test('a container that exits is restarted, and stop escalates to SIGKILL', async () => {
    const crashing = start(uidA, a.netns, 'crasher', `console.log('tick');process.exit(3)`);
    await waitFor('a restarted run to end', () => (crashing.states.some((s) => s.state === 'terminated' && s.restartCount >= 1) ? true : undefined));
    assert.ok(crashing.states.some((s) => s.state === 'running' && s.restartCount === 1));
    assert.ok(crashing.states.some((s) => s.state === 'terminated' && s.exitCode === 3));
    assert.ok(crashing.states.some((s) => s.state === 'waiting' && s.reason === 'CrashLoopBackOff'));
    await crashing.c.stop(500);
    assert.ok((readFileSync(crashing.c.logFile, 'utf8').match(/tick/g)?.length ?? 0) >= 2);

    const stubborn = start(uidA, a.netns, 'stubborn', `process.on('SIGTERM',()=>console.log('ignoring SIGTERM'));console.log('up');setInterval(()=>{},1000)`);
    await waitFor('the stubborn container', () => (existsSync(stubborn.c.logFile) && readFileSync(stubborn.c.logFile, 'utf8').includes('up') ? true : undefined));
    await stubborn.c.stop(300);
    const last = stubborn.states.at(-1);
    assert.equal(last?.state, 'terminated');
    assert.equal(last?.state === 'terminated' ? last.signal : null, 'SIGKILL');
  });

  test('removing a pod frees its network', async () => {
    await rt.removePodNetwork(uidA);
    assert.equal(await request(a.podIP, 9000, 'web', 1_500), 'ERROR TIMEOUT');
    const left = await findLeftovers(cluster, stateDir);
    assert.ok(!left.some((l) => l.includes(a.netns)), left.join(', '));
  });

  test('teardown leaves nothing behind', async () => {
    await rt.tearDown();
    assert.deepEqual(await findLeftovers(cluster, stateDir), []);
    assert.doesNotMatch(execFileSync('ip', ['route'], { encoding: 'utf8' }), /198\.18\.1(29|30)\./);
    assert.equal(existsSync('/run/secrets'), secretsExistedBefore);
    assert.doesNotMatch(hostMounts(), /serviceaccount/);
  });
});

describe('recovery after a supervisor crash', { skip }, () => {
  const cluster = clusterName();
  const stateDir = mkdtempSync(join(tmpdir(), `ambit-${cluster}-`));
  let helper: ChildProcess | null = null;

  after(async () => {
    if (helper?.exitCode === null) helper.kill('SIGKILL');
    await killRecordedLeftovers(stateDir).catch(() => 0);
    await tearDownCluster(cluster, stateDir).catch(() => undefined);
    rmSync(stateDir, { recursive: true, force: true });
  });

  test('a new runtime kills the orphans and tears everything down', async () => {
    const script = `const { ClusterRuntime } = require(${JSON.stringify(RUNTIME_MODULE)});
(async () => {
  const rt = new ClusterRuntime({ cluster: ${JSON.stringify(cluster)}, block: 1, nodeCount: 1, stateDir: ${JSON.stringify(stateDir)} });
  await rt.setUp();
  const pod = await rt.ensurePodNetwork({ uid: 'crash-pod', nodeIndex: 1, hostNetwork: false });
  const spec = { podUID: 'crash-pod', namespace: 'default', podName: 'p', env: {}, command: [process.execPath, '-e', 'setInterval(() => {}, 1000)'] };
  rt.startContainer({ ...spec, containerName: 'in-pod', netns: pod.netns }, () => {});
  rt.startContainer({ ...spec, containerName: 'on-node', netns: rt.nodeNetns(1) }, () => {});
})().catch((e) => { console.error(e); process.exit(1); });`;
    helper = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'inherit', 'inherit'] });
    const pidDir = join(stateDir, 'pids');
    const pidFiles = await waitFor('two pid files', () => {
      const files = existsSync(pidDir) ? readdirSync(pidDir) : [];
      return files.length === 2 ? files : undefined;
    });
    helper.kill('SIGKILL');
    await waitFor('the helper to die', () => (helper?.exitCode !== null || helper.signalCode !== null ? true : undefined));
    const pids = pidFiles.map((f) => (JSON.parse(readFileSync(join(pidDir, f), 'utf8')) as { pid: number }).pid);
    const alive = (pid: number): boolean => {
      try {
        process.kill(pid, 0);
        return !readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.startsWith('Z');
      } catch {
        return false;
      }
    };
    assert.ok(pids.every(alive), 'containers outlive their crashed supervisor');
    assert.ok((await findLeftovers(cluster, stateDir)).some((l) => l.startsWith('process ')));

    const rt = new ClusterRuntime({ cluster, block: 1, nodeCount: 1, stateDir });
    assert.equal(await killRecordedLeftovers(stateDir), 2);
    assert.ok(!pids.some(alive));
    await rt.tearDown();
    assert.deepEqual(await findLeftovers(cluster, stateDir), []);
  });
});
