// Test support: a settable StateView, and an in-memory CaptureSystem that behaves like iptables-restore/-save and `ip` for
// the subset of commands the capture uses (atomic restores, exact-match deletes, chains that must
// be empty and unreferenced to be deleted), with counters and injectable failures.

import type { Service, Workload } from '../../pkg/api/workload-types';
import type { Endpoint, StateView } from '../state/types';
import type { CaptureSystem } from './apply';

type Table = Map<string, string[]>;
const BUILTIN: Record<string, readonly string[]> = {
  mangle: ['PREROUTING', 'INPUT', 'FORWARD', 'OUTPUT', 'POSTROUTING'],
  nat: ['PREROUTING', 'INPUT', 'OUTPUT', 'POSTROUTING'],
};

export class FakeSystem implements CaptureSystem {
  readonly tables = new Map<string, Table>();
  ipRules: { pref: number; selector: string }[] = [];
  routes = new Map<string, string[]>();
  restores: string[] = [];
  /** The next this many restores fail (nothing applied). */
  failRestores = 0;
  restoreDelayMs = 0;
  /** What `ip -4 route show default` prints; undefined: the command fails. */
  defaultRoute: string | undefined = 'default via 198.18.0.1 dev eth0 \n';
  inFlight = 0;
  maxConcurrent = 0;

  constructor() {
    for (const name of Object.keys(BUILTIN)) this.tables.set(name, new Map(BUILTIN[name]!.map((c) => [c, []])));
  }

  nodeAddresses(): string[] {
    return ['198.18.0.11', '127.0.0.1'];
  }

  async iptablesSave(): Promise<string> {
    const out: string[] = [];
    for (const [name, table] of this.tables) {
      out.push(`*${name}`, ...[...table.keys()].map((c) => `:${c} - [0:0]`), ...[...table.values()].flat(), 'COMMIT');
    }
    return `${out.join('\n')}\n`;
  }

  async iptablesRestore(input: string): Promise<void> {
    this.inFlight += 1;
    this.maxConcurrent = Math.max(this.maxConcurrent, this.inFlight);
    try {
      if (this.restoreDelayMs) await new Promise((r) => setTimeout(r, this.restoreDelayMs));
      if (this.failRestores > 0) {
        this.failRestores -= 1;
        throw new Error('iptables-restore: line 3 failed');
      }
      const next = new Map([...this.tables].map(([n, t]) => [n, new Map([...t].map(([c, r]) => [c, [...r]]))]));
      let table: Table | undefined;
      for (const line of input.split('\n').filter((l) => l.length > 0)) {
        if (line.startsWith('*')) table = next.get(line.slice(1));
        else if (line === 'COMMIT') table = undefined;
        else if (!table) throw new Error(`line outside a table: ${line}`);
        else this.restoreLine(table, line);
      }
      for (const [n, t] of next) this.tables.set(n, t);
      this.restores.push(input);
    } finally {
      this.inFlight -= 1;
    }
  }

  private restoreLine(table: Table, line: string): void {
    const [op, chain = '', ...rest] = line.split(' ');
    if (op!.startsWith(':')) {
      table.set(op!.slice(1), []);
      return;
    }
    const rules = table.get(chain);
    if (!rules) throw new Error(`no chain ${chain}: ${line}`);
    if (op === '-A') rules.push(line);
    else if (op === '-I' && rest[0] === '1') rules.unshift(`-A ${chain} ${rest.slice(1).join(' ')}`);
    else if (op === '-D') {
      const i = rules.indexOf(`-A ${chain} ${rest.join(' ')}`);
      if (i < 0) throw new Error(`no such rule: ${line}`);
      rules.splice(i, 1);
    } else if (op === '-X') {
      if (rules.length) throw new Error(`chain ${chain} not empty`);
      if ([...table.values()].flat().some((r) => r.endsWith(`-j ${chain}`))) throw new Error(`chain ${chain} referenced`);
      table.delete(chain);
    } else throw new Error(`unsupported: ${line}`);
  }

  async ip(args: readonly string[]): Promise<string> {
    const a = args.join(' ');
    let m: RegExpExecArray | null;
    if (a === '-4 rule show') {
      const all = [{ pref: 0, selector: 'from all lookup local' }, ...this.ipRules, { pref: 32766, selector: 'from all lookup main' }];
      return all.sort((x, y) => x.pref - y.pref).map((r) => `${r.pref}:\t${r.selector}\n`).join('');
    }
    if ((m = /^-4 rule add pref (\d+) fwmark (\S+) lookup (\d+)$/.exec(a))) {
      this.ipRules.push({ pref: Number(m[1]), selector: `from all fwmark ${m[2]} lookup ${m[3]}` });
      return '';
    }
    if ((m = /^-4 rule del pref (\d+) fwmark (\S+) lookup (\d+)$/.exec(a))) {
      const i = this.ipRules.findIndex((r) => r.pref === Number(m![1]) && r.selector === `from all fwmark ${m![2]} lookup ${m![3]}`);
      if (i < 0) throw new Error('RTNETLINK answers: No such file or directory');
      this.ipRules.splice(i, 1);
      return '';
    }
    if (a === '-4 route show default') {
      if (this.defaultRoute === undefined) throw new Error("capture: 'ip -4 route show default' failed: Cannot open netlink socket");
      return this.defaultRoute;
    }
    if ((m = /^-4 route show table (\d+)$/.exec(a))) {
      const routes = this.routes.get(m[1]!) ?? [];
      if (!routes.length) throw new Error("'ip -4 route show' failed: Error: ipv4: FIB table does not exist.");
      return routes.map((r) => `${r} \n`).join('');
    }
    if ((m = /^-4 route replace local 0\.0\.0\.0\/0 dev lo table (\d+)$/.exec(a))) {
      const routes = (this.routes.get(m[1]!) ?? []).filter((r) => !r.startsWith('local default '));
      this.routes.set(m[1]!, [...routes, 'local default dev lo scope host']);
      return '';
    }
    if ((m = /^-4 route flush table (\d+)$/.exec(a))) {
      this.routes.delete(m[1]!);
      return '';
    }
    throw new Error(`unsupported ip command: ${a}`);
  }
}

/** A workload of `node` with HBONE (ambient) at `ip`. */
export function ambientWorkload(ip: string, node: string): Workload {
  return {
    uid: `Kubernetes//Pod/test/${ip}`, name: `pod-${ip}`, namespace: 'test', addresses: [ip], network: '', tunnelProtocol: 'HBONE',
    trustDomain: 'cluster.local', serviceAccount: 'default', node, canonicalName: 'app', canonicalRevision: 'v1',
    workloadType: 'POD', workloadName: 'app', services: {}, authorizationPolicies: [], status: 'HEALTHY', clusterId: 'Kubernetes',
  };
}

/** The part of a StateView the capture reads, over a settable list of workloads. */
export class FakeState implements StateView {
  version = 0;
  private workloads: Workload[] = [];
  private readonly listeners = new Set<(version: number) => void>();

  /** Replaces the workloads (one push); returns the new version. */
  set(workloads: readonly Workload[]): number {
    this.workloads = [...workloads];
    this.version += 1;
    for (const l of this.listeners) l(this.version);
    return this.version;
  }
  get listenerCount(): number {
    return this.listeners.size;
  }
  workloadByUid(uid: string): Workload | undefined {
    return this.workloads.find((w) => w.uid === uid);
  }
  workloadByAddress(ip: string): Workload | undefined {
    return this.workloads.find((w) => w.addresses.includes(ip));
  }
  serviceByVip(): undefined {
    return undefined;
  }
  serviceByKey(): undefined {
    return undefined;
  }
  endpointsOf(): readonly Endpoint[] {
    return [];
  }
  workloadsOnNode(node: string): readonly Workload[] {
    return this.workloads.filter((w) => w.node === node);
  }
  allWorkloads(): readonly Workload[] {
    return this.workloads;
  }
  allServices(): readonly Service[] {
    return [];
  }
  onChange(listener: (version: number) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
