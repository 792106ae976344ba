// Root-only test of ztunnel's traffic capture on real network namespaces: a node netns with three
// pod netns (veth + /32 routes, as the local cluster builds them) and a kube-proxy-like DNAT chain
// for a Service VIP. The capture and transparent listeners run in the node netns in a helper
// process (ztunnel-capture-helper.ts); pods connect with a small Node client.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { randomInt } from 'node:crypto';
import { resolve } from 'node:path';
import { createInterface } from 'node:readline';
import { CaptureChain, renderCaptureRules } from '../../ztunnel/capture';

const skip = typeof process.getuid === 'function' && process.getuid() !== 0 ? 'needs root (network namespaces, iptables)' : false;
const HELPER = resolve(__dirname, 'ztunnel-capture-helper.js');
const PREFIX = `ztc${Array.from({ length: 4 }, () => 'abcdefghijkmnpqrstuvwxyz'[randomInt(24)]).join('')}`;
const NODE = `${PREFIX}-node`;
const GATEWAY = '198.18.250.1';
const UPLINK = '198.18.250.254';
const POD = { a: '198.18.250.2', b: '198.18.250.3', c: '198.18.250.4' } as const;
const VIP = '198.19.250.10';
const SETTINGS = { nodeName: 'test-node', ports: { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 } };
const podNs = (p: keyof typeof POD) => `${PREFIX}-${p}`;

function run(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((done, fail) => {
    const child = execFile(cmd, args, { timeout: 20_000 }, (err, stdout, stderr) => (err ? fail(new Error(`${cmd} ${args.join(' ')}: ${stderr || err.message}`)) : done(stdout)));
    child.stdin?.on('error', () => undefined); // a command that exits without reading its input
    child.stdin?.end(input ?? '');
  });
}
const inNode = (cmd: string, args: readonly string[], input?: string) => run('ip', ['netns', 'exec', NODE, cmd, ...args], input);

const CLIENT = `const s=require('net').connect(+process.argv[2],process.argv[1]);let b='';s.setTimeout(4000,()=>{process.stdout.write('ERROR TIMEOUT');s.destroy()});
s.on('data',d=>b+=d);s.on('end',()=>process.stdout.write(b));s.on('error',e=>process.stdout.write('ERROR '+e.code));`;
const SERVER = `require('net').createServer(s=>s.end('served remote='+s.remoteAddress)).listen(8080,'0.0.0.0',()=>console.log('listening'));`;

/** What a pod gets back from host:port ('ERROR <code>' on failure). */
const request = (from: keyof typeof POD, host: string, port: number) => run('ip', ['netns', 'exec', podNs(from), process.execPath, '-e', CLIENT, host, String(port)]);

type HelperEvent = { event: string; [key: string]: unknown };

/** The helper process in the node netns: its events, and commands to it. */
class Helper {
  readonly events: HelperEvent[] = [];
  private waiters: (() => void)[] = [];
  readonly child: ChildProcess;
  constructor(resyncMs: number, pods: readonly string[]) {
    this.child = spawn('ip', ['netns', 'exec', NODE, process.execPath, HELPER, String(resyncMs), pods.join(',')], { stdio: ['pipe', 'pipe', 'inherit'] });
    this.child.stdin!.on('error', () => undefined);
    createInterface({ input: this.child.stdout! }).on('line', (line) => {
      this.events.push(JSON.parse(line) as HelperEvent);
      for (const w of this.waiters.splice(0)) w();
    });
  }
  async waitFor(what: string, match: (e: HelperEvent) => boolean, from = 0, limitMs = 20_000): Promise<HelperEvent> {
    const deadline = Date.now() + limitMs;
    while (true) {
      const found = this.events.slice(from).find(match);
      if (found) return found;
      const fatal = this.events.find((e) => e.event === 'fatal');
      if (fatal) throw new Error(`helper failed: ${String(fatal.message)}`);
      if (Date.now() > deadline) throw new Error(`gave up waiting for ${what}; events: ${JSON.stringify(this.events.slice(-10))}`);
      await new Promise<void>((r) => {
        const t = setTimeout(r, 200);
        this.waiters.push(() => { clearTimeout(t); r(); });
      });
    }
  }
  send(cmd: Record<string, unknown>): void {
    this.child.stdin!.write(`${JSON.stringify(cmd)}\n`);
  }
  accepted(from: number): HelperEvent[] {
    return this.events.slice(from).filter((e) => e.event === 'accepted');
  }
  kill(): void {
    if (this.child.exitCode === null && this.child.pid) process.kill(this.child.pid, 'SIGKILL');
  }
}

/** Chains → rules of one table from iptables-save of the node netns. */
async function savedTable(table: 'mangle' | 'nat'): Promise<Map<string, string[]>> {
  const out = new Map<string, string[]>();
  for (const line of (await inNode('iptables-save', ['-t', table])).split('\n')) {
    if (line.startsWith(':')) out.set(line.slice(1).split(' ')[0]!, []);
    if (line.startsWith('-A ')) out.get(line.split(' ')[1]!)?.push(line);
  }
  return out;
}

async function ourRouting(): Promise<{ rules: string[]; routes: string[] }> {
  const rules = (await inNode('ip', ['-4', 'rule', 'show'])).split('\n').filter((l) => l.includes('lookup 133'));
  const shown = await inNode('ip', ['-4', 'route', 'show', 'table', '133']).catch((e: Error) => (/table does not exist/.test(e.message) ? '' : Promise.reject(e)));
  const routes = shown.split('\n').map((l) => l.trim()).filter(Boolean);
  return { rules, routes };
}

/** Asserts the node netns holds exactly the rule set for `pods`, each jump once and first. */
async function assertInstalled(pods: readonly string[]): Promise<void> {
  const want = renderCaptureRules(SETTINGS, pods);
  const mangle = await savedTable('mangle');
  const nat = await savedTable('nat');
  assert.deepEqual(mangle.get('PREROUTING'), [`-A PREROUTING -j ${CaptureChain.prerouting}`]);
  assert.deepEqual(mangle.get('OUTPUT'), [`-A OUTPUT -j ${CaptureChain.output}`]);
  assert.deepEqual(nat.get('PREROUTING'), [`-A PREROUTING -j ${CaptureChain.nat}`, '-A PREROUTING -j AMBIT-SERVICES']);
  for (const [table, saved] of [['mangle', mangle], ['nat', nat]] as const) {
    const ours = [...saved.keys()].filter((c) => c.startsWith('ZTUNNEL-')).sort();
    assert.deepEqual(ours, want.tables[table].chains.map((c) => c.name).sort(), `${table} chains`);
    for (const chain of want.tables[table].chains) assert.deepEqual([...saved.get(chain.name)!].sort(), [...chain.rules].sort(), chain.name);
  }
  assert.deepEqual(await ourRouting(), { rules: ['32764:\tfrom all fwmark 0x100/0x100 lookup 133'], routes: ['local default dev lo scope host'] });
}

async function buildTopology(): Promise<void> {
  await run('ip', ['netns', 'add', NODE]);
  // lo, and an uplink stand-in carrying the default route (Service VIPs are routed before DNAT).
  await run('ip', ['-n', NODE, '-batch', '-'], ['link set lo up', 'link add up0 type veth peer name up1', `addr add ${UPLINK}/32 dev up0`, 'link set up0 up', 'link set up1 up', 'route add default dev up0'].join('\n'));
  for (const p of ['a', 'b', 'c'] as const) {
    const ns = podNs(p);
    await run('ip', ['netns', 'add', ns]);
    await run('ip', ['-n', NODE, '-batch', '-'], [
      `link add v${p} type veth peer name eth0 netns ${ns}`, `addr add ${GATEWAY}/32 dev v${p}`, `link set v${p} up`, `route replace ${POD[p]}/32 dev v${p} scope link`,
    ].join('\n'));
    await run('ip', ['-n', ns, '-batch', '-'], [
      `addr add ${POD[p]}/32 dev eth0`, 'link set lo up', 'link set eth0 up', `route replace ${GATEWAY}/32 dev eth0 scope link`, `route replace default via ${GATEWAY} dev eth0`,
    ].join('\n'));
  }
  // Forwarding on; strict reverse-path filtering, the harder case for policy routing.
  await inNode('sysctl', ['-q', '-w', 'net.ipv4.ip_forward=1', 'net.ipv4.conf.all.rp_filter=1', 'net.ipv4.conf.default.rp_filter=1']);
  // A kube-proxy stand-in like the local cluster's: its own nat chain jumped to from PREROUTING and OUTPUT.
  await inNode('iptables-restore', ['--noflush'], [
    '*nat', ':AMBIT-SERVICES - [0:0]', '-I PREROUTING 1 -j AMBIT-SERVICES', '-I OUTPUT 1 -j AMBIT-SERVICES',
    `-A AMBIT-SERVICES -d ${VIP}/32 -p tcp -m tcp --dport 80 -j DNAT --to-destination ${POD.b}:8080`, 'COMMIT', '',
  ].join('\n'));
}

/** What a previous, differently-built run could have left: stray chains, duplicate and misplaced jumps, rules, routes. */
async function plantLeftovers(): Promise<void> {
  await inNode('iptables-restore', ['--noflush'], [
    '*mangle', ':ZTUNNEL-PRERT - [0:0]', ':ZTUNNEL-OLD - [0:0]', '-A PREROUTING -j ZTUNNEL-PRERT', '-A PREROUTING -j ZTUNNEL-PRERT',
    '-A PREROUTING -p tcp -j ZTUNNEL-OLD', '-A ZTUNNEL-PRERT -p tcp -j ZTUNNEL-OLD', `-A ZTUNNEL-OLD -s ${POD.c}/32 -p tcp -j MARK --set-xmark 0x100/0x100`, 'COMMIT',
    '*nat', ':ZTUNNEL-NAT - [0:0]', '-A PREROUTING -j ZTUNNEL-NAT', '-A PREROUTING -j ZTUNNEL-NAT', 'COMMIT', '',
  ].join('\n'));
  await inNode('ip', ['-4', 'rule', 'add', 'pref', '100', 'fwmark', '0x100/0x100', 'lookup', '133']);
  await inNode('ip', ['-4', 'route', 'add', 'unreachable', '198.18.251.0/24', 'table', '133']);
}

describe('ztunnel capture on network namespaces', { skip }, () => {
  const processes: ChildProcess[] = [];
  let helper: Helper;

  before(async () => {
    await buildTopology();
    const server = spawn('ip', ['netns', 'exec', podNs('b'), process.execPath, '-e', SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
    processes.push(server);
    await new Promise<void>((r) => server.stdout!.once('data', () => r()));
    // A run that crashes after installing its rules, leftovers of a differently-built run on top,
    // then the run under test.
    const crashed = new Helper(10_000, [POD.a, POD.c]);
    processes.push(crashed.child);
    await crashed.waitFor('first run ready', (e) => e.event === 'ready');
    crashed.kill();
    await new Promise((r) => crashed.child.once('exit', r));
    await plantLeftovers();
    helper = new Helper(300, [POD.a, POD.b]);
    processes.push(helper.child);
    await helper.waitFor('ready', (e) => e.event === 'ready');
  });

  after(async () => {
    for (const p of processes) if (p.exitCode === null && p.signalCode === null && p.pid) process.kill(p.pid, 'SIGKILL');
    for (const ns of [NODE, podNs('a'), podNs('b'), podNs('c')]) await run('ip', ['netns', 'del', ns]).catch(() => undefined);
  });

  test('a restart over leftovers and a crashed run converges: one jump each, first, nothing stale', async () => {
    await assertInstalled([POD.a, POD.b]);
    const from = helper.events.length;
    await new Promise((r) => setTimeout(r, 1_000)); // a few resync periods: an unchanged rule set is left alone
    assert.deepEqual(helper.events.slice(from).filter((e) => e.event === 'log' && /updated|failed/.test(String(e.line))), []);
  });

  test('a pod dialling a Service VIP is captured with the VIP as local address; the server sees the pod', async () => {
    const from = helper.events.length;
    const got = await request('a', VIP, 80);
    assert.equal(got, `served remote=${POD.a}`, JSON.stringify(helper.events.slice(from)));
    assert.deepEqual(helper.accepted(from).map((e) => [e.listener, e.local, e.remote]), [[15001, `${VIP}:80`, POD.a]]);
  });

  test('ambient → ambient on the same node is outbound first; other pods → ambient pod are captured inbound', async () => {
    let from = helper.events.length;
    assert.equal(await request('a', POD.b, 8080), `served remote=${POD.a}`);
    assert.deepEqual(helper.accepted(from).map((e) => [e.listener, e.local, e.remote]), [[15001, `${POD.b}:8080`, POD.a]]);
    from = helper.events.length;
    assert.equal(await request('c', POD.b, 8080), `captured 15006 local=${POD.b}:8080 remote=${POD.c}`);
    assert.equal(await request('c', POD.b, 15008), `captured 15008 local=${POD.b}:15008 remote=${POD.c}`);
    assert.equal(helper.accepted(from).length, 2);
  });

  test("the node's own connections to an ambient pod are neither captured nor broken", async () => {
    const from = helper.events.length;
    assert.equal(await inNode(process.execPath, ['-e', CLIENT, POD.b, '8080']), `served remote=${GATEWAY}`);
    assert.equal(helper.accepted(from).length, 0);
  });

  test('our nat jump is moved back to first when another agent inserts its own above it', async () => {
    const from = helper.events.length;
    await inNode('iptables', ['-t', 'nat', '-I', 'PREROUTING', '1', '-j', 'AMBIT-SERVICES']);
    await helper.waitFor('drift repaired', (e) => e.event === 'log' && /repaired drift/.test(String(e.line)), from);
    const nat = (await savedTable('nat')).get('PREROUTING')!;
    assert.deepEqual(nat, [`-A PREROUTING -j ${CaptureChain.nat}`, '-A PREROUTING -j AMBIT-SERVICES', '-A PREROUTING -j AMBIT-SERVICES']);
    await inNode('iptables', ['-t', 'nat', '-D', 'PREROUTING', '-j', 'AMBIT-SERVICES']);
    assert.equal(await request('a', VIP, 80), `served remote=${POD.a}`);
    assert.equal(helper.accepted(from).length, 1);
  });

  test('a workload removed from the state is no longer captured', async () => {
    let from = helper.events.length;
    helper.send({ cmd: 'pods', pods: [POD.a] });
    const applied = await helper.waitFor('applied', (e) => e.event === 'applied', from);
    assert.deepEqual((applied.status as { pods: string[] }).pods, [POD.a]);
    from = helper.events.length;
    assert.equal(await request('c', POD.b, 8080), `served remote=${POD.c}`);
    assert.equal(helper.accepted(from).length, 0);
    assert.equal(await request('a', POD.b, 8080), `served remote=${POD.a}`); // a is still ambient
    assert.equal(helper.accepted(from).length, 1);
    helper.send({ cmd: 'pods', pods: [] });
    await helper.waitFor('applied', (e) => e.event === 'applied', from);
    from = helper.events.length;
    assert.equal(await request('a', POD.b, 8080), `served remote=${POD.a}`);
    assert.equal(await request('a', VIP, 80), `served remote=${POD.a}`);
    assert.equal(helper.accepted(from).length, 0);
  });

  test('shutdown removes every chain, jump, rule and route it installed and nothing else', async () => {
    helper.send({ cmd: 'pods', pods: [POD.a, POD.b] });
    await helper.waitFor('applied', (e) => e.event === 'applied' && (e.status as { pods: string[] }).pods.length === 2);
    helper.send({ cmd: 'shutdown' });
    await helper.waitFor('stopped', (e) => e.event === 'stopped');
    await new Promise((r) => (helper.child.exitCode === null ? helper.child.once('exit', r) : r(null)));
    const all = await inNode('iptables-save', []);
    assert.doesNotMatch(all, /ZTUNNEL/);
    assert.deepEqual(await ourRouting(), { rules: [], routes: [] });
    assert.deepEqual((await savedTable('nat')).get('PREROUTING'), ['-A PREROUTING -j AMBIT-SERVICES']);
    assert.equal(await request('c', VIP, 80), `served remote=${POD.c}`);
  });
});
