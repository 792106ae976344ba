// Service load balancing as iptables rules (pure): renders ClusterIP Services into our own
// chains of the nat and filter tables, and the `iptables-restore --noflush` input that replaces
// those chains (and removes stale ones) without touching anybody else's rules.

import { createHash } from 'node:crypto';
import { ipv4ToNumber, parseIPv4 } from './address-plan';

export interface ServiceEndpoint {
  ip: string;
  port: number;
}

export interface ServicePortRule {
  name?: string;
  protocol: 'TCP' | 'UDP';
  port: number;
  /** Ready endpoints; targetPort already resolved to a number by the caller. */
  endpoints: ServiceEndpoint[];
}

export interface ServiceRule {
  namespace: string;
  name: string;
  /** Services whose clusterIP is not an IPv4 address (headless `None`, empty) are skipped. */
  clusterIP: string;
  ports: ServicePortRule[];
}

/** Packet mark (bit) that asks AMBIT-POSTROUTING to MASQUERADE: set for hairpin connections. */
export const MASQUERADE_MARK = '0x4000';

export const Chain = {
  /** nat: jumped to from PREROUTING and OUTPUT; filter: from FORWARD and OUTPUT. */
  services: 'AMBIT-SERVICES',
  postrouting: 'AMBIT-POSTROUTING',
  markMasq: 'AMBIT-MARK-MASQ',
  servicePrefix: 'AMBIT-SVC-',
  endpointPrefix: 'AMBIT-SEP-',
} as const;

/** Jumps from built-in chains into ours, per table. */
export const Jumps = {
  nat: [
    { from: 'PREROUTING', to: Chain.services },
    { from: 'OUTPUT', to: Chain.services },
    { from: 'POSTROUTING', to: Chain.postrouting },
  ],
  filter: [
    { from: 'FORWARD', to: Chain.services },
    { from: 'OUTPUT', to: Chain.services },
  ],
} as const;

export type TableName = keyof typeof Jumps;

export interface TableRules {
  /** Our chains, in declaration order. */
  chains: string[];
  /** `-A ...` lines for our chains. */
  rules: string[];
}

export type RenderedRules = Record<TableName, TableRules>;

/** What `iptables-save` reports for one table. */
export interface TableState {
  chains: Set<string>;
  rules: string[];
}

export type SavedTables = Partial<Record<TableName, TableState>>;

function chainSuffix(key: string): string {
  return createHash('sha256').update(key).digest('hex').slice(0, 16).toUpperCase();
}

function safeComment(text: string): string {
  return text.replace(/[^A-Za-z0-9._:/>+ -]/g, '_');
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw new Error(`${what}: invalid port ${String(port)}`);
}

function byText(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/** Renders all Services; the same input in any order gives the same output. */
export function renderServiceRules(services: readonly ServiceRule[]): RenderedRules {
  const nat: TableRules = {
    chains: [Chain.services, Chain.postrouting, Chain.markMasq],
    rules: [
      `-A ${Chain.markMasq} -j MARK --or-mark ${MASQUERADE_MARK}`,
      `-A ${Chain.postrouting} -m mark ! --mark ${MASQUERADE_MARK}/${MASQUERADE_MARK} -j RETURN`,
      `-A ${Chain.postrouting} -j MARK --xor-mark ${MASQUERADE_MARK}`,
      `-A ${Chain.postrouting} -j MASQUERADE`,
    ],
  };
  const filter: TableRules = { chains: [Chain.services], rules: [] };
  const sorted = [...services]
    .filter((s) => parseIPv4(s.clusterIP) !== null)
    .sort((a, b) => byText(`${a.namespace}/${a.name}`, `${b.namespace}/${b.name}`) || byText(a.clusterIP, b.clusterIP));
  for (const svc of sorted) {
    const ports = [...svc.ports].sort((a, b) => byText(a.protocol, b.protocol) || a.port - b.port || byText(a.name ?? '', b.name ?? ''));
    for (const port of ports) renderPort(svc, port, nat, filter);
  }
  return { nat, filter };
}

function renderPort(svc: ServiceRule, port: ServicePortRule, nat: TableRules, filter: TableRules): void {
  const label = `${svc.namespace}/${svc.name}:${port.name || port.port}`;
  checkPort(port.port, `service ${label}`);
  if (port.protocol !== 'TCP' && port.protocol !== 'UDP') throw new Error(`service ${label}: unsupported protocol ${String(port.protocol)}`);
  const proto = port.protocol === 'TCP' ? 'tcp' : 'udp';
  const match = `-d ${svc.clusterIP}/32 -p ${proto} -m ${proto} --dport ${port.port}`;
  const endpoints = uniqueEndpoints(port.endpoints, label);
  if (endpoints.length === 0) {
    // No ready endpoint: refuse at once (TCP reset / ICMP port unreachable), so clients see
    // "connection refused" rather than a timeout.
    const reject = proto === 'tcp' ? 'tcp-reset' : 'icmp-port-unreachable';
    filter.rules.push(`-A ${Chain.services} ${match} -m comment --comment "${safeComment(`${label} has no endpoints`)}" -j REJECT --reject-with ${reject}`);
    return;
  }
  const key = `${svc.namespace}/${svc.name}/${svc.clusterIP}/${proto}/${port.port}`;
  const svcChain = `${Chain.servicePrefix}${chainSuffix(key)}`;
  nat.chains.push(svcChain);
  nat.rules.push(`-A ${Chain.services} ${match} -m comment --comment "${safeComment(label)}" -j ${svcChain}`);
  endpoints.forEach((ep, k) => {
    const epChain = `${Chain.endpointPrefix}${chainSuffix(`${key}/${ep.ip}:${ep.port}`)}`;
    const target = `${ep.ip}:${ep.port}`;
    const remaining = endpoints.length - k;
    const pick = remaining > 1 ? ` -m statistic --mode random --probability ${(1 / remaining).toFixed(10)}` : '';
    nat.chains.push(epChain);
    nat.rules.push(`-A ${svcChain} -m comment --comment "${safeComment(`${label} -> ${target}`)}"${pick} -j ${epChain}`);
    nat.rules.push(`-A ${epChain} -s ${ep.ip}/32 -j ${Chain.markMasq}`);
    nat.rules.push(`-A ${epChain} -p ${proto} -m ${proto} -j DNAT --to-destination ${target}`);
  });
}

function uniqueEndpoints(endpoints: readonly ServiceEndpoint[], label: string): ServiceEndpoint[] {
  const seen = new Map<string, ServiceEndpoint>();
  for (const ep of endpoints) {
    if (parseIPv4(ep.ip) === null) throw new Error(`service ${label}: endpoint address '${ep.ip}' is not IPv4`);
    checkPort(ep.port, `service ${label} endpoint ${ep.ip}`);
    seen.set(`${ep.ip}:${ep.port}`, { ip: ep.ip, port: ep.port });
  }
  return [...seen.values()].sort((a, b) => ipv4ToNumber(a.ip) - ipv4ToNumber(b.ip) || a.port - b.port);
}

/** The rendered rules as one string, to compare with what was applied last time. */
export function renderedText(rendered: RenderedRules): string {
  return (['nat', 'filter'] as const).map((t) => [`*${t}`, ...rendered[t].chains, ...rendered[t].rules].join('\n')).join('\n');
}

/** Parses `iptables-save` output into chains and rules per table (only nat and filter). */
export function parseIptablesSave(text: string): SavedTables {
  const out: SavedTables = {};
  let current: TableState | null = null;
  for (const line of text.split('\n')) {
    if (line.startsWith('*')) {
      const name = line.slice(1).trim();
      current = null;
      if (name === 'nat' || name === 'filter') {
        current = { chains: new Set(), rules: [] };
        out[name] = current;
      }
    } else if (current && line.startsWith(':')) {
      current.chains.add(line.slice(1).split(' ')[0] ?? '');
    } else if (current && line.startsWith('-A ')) {
      current.rules.push(line.trim());
    }
  }
  return out;
}

/**
 * `iptables-restore --noflush` input that makes our chains equal to `rendered`: declaring a
 * chain flushes it, missing jumps from built-in chains are inserted first in their chain, and
 * service/endpoint chains that are no longer wanted are emptied and deleted.
 */
export function buildRestoreInput(rendered: RenderedRules, saved: SavedTables): string {
  const lines: string[] = [];
  for (const table of ['nat', 'filter'] as const) {
    const want = rendered[table];
    const have = saved[table] ?? { chains: new Set<string>(), rules: [] };
    const wanted = new Set(want.chains);
    const stale = [...have.chains]
      .filter((c) => (c.startsWith(Chain.servicePrefix) || c.startsWith(Chain.endpointPrefix)) && !wanted.has(c))
      .sort(byText);
    lines.push(`*${table}`);
    for (const c of [...want.chains, ...stale]) lines.push(`:${c} - [0:0]`);
    for (const jump of Jumps[table]) {
      if (!have.rules.includes(`-A ${jump.from} -j ${jump.to}`)) lines.push(`-I ${jump.from} 1 -j ${jump.to}`);
    }
    lines.push(...want.rules);
    for (const c of stale) lines.push(`-X ${c}`);
    lines.push('COMMIT');
  }
  return `${lines.join('\n')}\n`;
}
