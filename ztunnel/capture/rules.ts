// The capture rule set as data (pure): from the settings and this node's ambient pod IPs, the
// iptables chains of the mangle and nat tables (TPROXY to ztunnel's listeners, local delivery of
// packets owned by ztunnel's transparent sockets, no Service DNAT for captured packets), the
// policy-routing rule and route that deliver marked packets locally, and the connections of the
// node's host (kubelet probes) left alone. The restore input is made from this in
// iptables-plan.ts. Direct per-IP rules (no ipset: it is not on every machine).

import { isIPv4 } from 'node:net';
import type { Workload } from '../../pkg/api/workload-types';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { normalizeIpv4Cidr } from './host-sources';
import { CAPTURE_MARK, SOCKET_MARK_MATCH } from './marks';
import type { CaptureSettings } from './types';

export { CAPTURE_MARK, SOCKET_MARK, SOCKET_MARK_MATCH } from './marks';

/** Routing table holding `local 0.0.0.0/0 dev lo`, looked up for marked packets. */
export const ROUTE_TABLE = 133;
/** Priority of the `fwmark → table` rule (before `main` at 32766). */
export const RULE_PRIORITY = 32764;
/** TPROXY's socket lookup address; a listener on 0.0.0.0 or 127.0.0.1 matches it. */
export const TPROXY_IP = '127.0.0.1';

export const CaptureChain = {
  /** mangle: jumped to first from PREROUTING. */
  prerouting: 'ZTUNNEL-PRERT',
  /** mangle: jumped to first from OUTPUT; marks the connections of ztunnel's outgoing transparent sockets. */
  output: 'ZTUNNEL-OUTPUT',
  /** mangle: one rule per local ambient pod, traffic it sends (outbound first, DESIGN §5 (3)). */
  outbound: 'ZTUNNEL-OUTBOUND',
  /** mangle: two disjoint rules per local ambient pod, traffic it receives. */
  inbound: 'ZTUNNEL-INBOUND',
  /** nat: jumped to first from PREROUTING; captured packets skip Service DNAT. */
  nat: 'ZTUNNEL-NAT',
} as const;

/** Every chain ztunnel owns starts with this; anything else named so is a leftover of ours. */
export const CHAIN_PREFIX = 'ZTUNNEL-';

export const CAPTURE_TABLES = ['mangle', 'nat'] as const;
export type CaptureTable = (typeof CAPTURE_TABLES)[number];

export interface ChainSpec {
  readonly name: string;
  /**
   * `-A <name> ...` lines exactly as `iptables-save` prints them. `ordered`: the order matters and
   * the chain is rewritten whole when it differs; otherwise the rules are disjoint and are
   * added/deleted one by one.
   */
  readonly rules: readonly string[];
  readonly ordered: boolean;
}

export interface TableSpec {
  readonly chains: readonly ChainSpec[];
  /** Our chains jumped to from built-in chains, each as the first rule there. */
  readonly jumps: readonly { readonly from: string; readonly to: string }[];
}

export interface CaptureRuleSet {
  /** Captured pod IPs, sorted numerically. */
  readonly pods: readonly string[];
  /** Addresses not captured (IPv6, or an address of the node itself) with the reason. */
  readonly skipped: readonly { readonly address: string; readonly reason: string }[];
  /** Sources (CIDRs as iptables prints them) whose connections to pods are not captured. */
  readonly hostSources: readonly string[];
  readonly tables: Readonly<Record<CaptureTable, TableSpec>>;
  /** `ip -4 rule add <ipRule>` */
  readonly ipRule: readonly string[];
  /** `ip -4 route replace <route>` */
  readonly route: readonly string[];
  /** How `ip -4 rule show` prints ipRule (after `<priority>:\t`). */
  readonly ipRuleShown: string;
  /** How `ip -4 route show table <t>` prints route. */
  readonly routeShown: string;
}

function checkPort(port: number, what: string): void {
  if (!Number.isInteger(port) || port < 1 || port > 65535) {
    throw new MeshError(ErrorCode.InvalidArgument, `capture: ${what} port ${String(port)} is not a TCP port (1-65535)`);
  }
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** The addresses of this node's workloads that use HBONE (ambient), deduplicated. */
export function capturedAddresses(workloads: readonly Workload[], nodeName: string): string[] {
  const out = new Set<string>();
  for (const w of workloads) {
    if (w.node === nodeName && w.tunnelProtocol === 'HBONE') for (const a of w.addresses) out.add(a);
  }
  return [...out];
}

/**
 * Renders the rule set for these pod addresses. `nodeAddresses` (the node's own IPs) are never
 * captured: a host-network workload would otherwise pull all of the node's TCP into ztunnel.
 * Connections opened from `hostSources` (resolved IPv4 addresses/CIDRs; see host-sources.ts) are
 * left alone in both directions; an entry that is not an IPv4 address or CIDR is skipped.
 */
export function renderCaptureRules(
  settings: CaptureSettings,
  podAddresses: Iterable<string>,
  nodeAddresses: Iterable<string> = [],
  hostSources: Iterable<string> = [],
): CaptureRuleSet {
  const { outbound, inboundPlaintext, inbound } = settings.ports;
  checkPort(outbound, 'outbound');
  checkPort(inboundPlaintext, 'inbound plaintext');
  checkPort(inbound, 'inbound (HBONE)');
  const own = new Set(nodeAddresses);
  const pods = new Set<string>();
  const skipped: { address: string; reason: string }[] = [];
  for (const address of new Set(podAddresses)) {
    if (!isIPv4(address)) skipped.push({ address, reason: 'not an IPv4 address (IPv6 capture is not supported)' });
    else if (own.has(address)) skipped.push({ address, reason: 'an address of the node itself' });
    else pods.add(address);
  }
  const sorted = [...pods].sort((a, b) => ipv4Number(a) - ipv4Number(b));
  const sources = new Set<string>();
  for (const source of hostSources) {
    const cidr = normalizeIpv4Cidr(source);
    if (cidr === undefined) skipped.push({ address: source, reason: 'not an IPv4 address or CIDR (host probe source)' });
    else sources.add(cidr);
  }
  const hostCidrs = [...sources].sort();
  const tproxy = (port: number) => `-j TPROXY --on-port ${port} --on-ip ${TPROXY_IP} --tproxy-mark ${CAPTURE_MARK}`;
  const C = CaptureChain;
  const mangle: TableSpec = {
    jumps: [
      { from: 'PREROUTING', to: C.prerouting },
      { from: 'OUTPUT', to: C.output },
    ],
    chains: [
      {
        name: C.prerouting,
        ordered: true,
        rules: [
          // Loopback traffic is the node talking to itself: never captured.
          `-A ${C.prerouting} -i lo -j RETURN`,
          // (a) A packet for one of ztunnel's transparent sockets (a reply to a connection opened
          // with a pod's address, or a later packet of a captured one): mark → local delivery.
          // The connection mark (set in OUTPUT for ztunnel's marked outgoing sockets) also covers
          // replies whose source was DNAT'd (ztunnel dialled a Service VIP), which the socket match
          // cannot find; the socket match covers accepted (captured) connections.
          `-A ${C.prerouting} -m connmark --mark ${CAPTURE_MARK} -j MARK --set-xmark ${CAPTURE_MARK}`,
          `-A ${C.prerouting} -p tcp -m socket --transparent -j MARK --set-xmark ${CAPTURE_MARK}`,
          `-A ${C.prerouting} -m mark --mark ${CAPTURE_MARK} -j RETURN`,
          // (e) Connections the node's host opened (kubelet probes; conntrack's original source),
          // both directions: the probe is not TPROXY'd to 15006 (where STRICT mTLS would refuse it)
          // and the pod's replies are not taken for new outbound connections. Pods' own
          // connections to these addresses have the pod as original source and stay captured.
          // (iptables-save prints a /32 here without its length.)
          ...hostCidrs.map((cidr) => `-A ${C.prerouting} -p tcp -m conntrack --ctorigsrc ${cidr.replace(/\/32$/, '')} -j RETURN`),
          // (b) before (c): an ambient pod talking to an ambient pod on this node is outbound first.
          `-A ${C.prerouting} -p tcp -j ${C.outbound}`,
          `-A ${C.prerouting} -p tcp -j ${C.inbound}`,
        ],
      },
      {
        name: C.output,
        ordered: true,
        rules: [`-A ${C.output} -p tcp -m mark --mark ${SOCKET_MARK_MATCH} -j CONNMARK --set-xmark ${CAPTURE_MARK}`],
      },
      {
        name: C.outbound,
        ordered: false,
        // Not to the node's own addresses: replies to the node's own (non-transparent) connections
        // and pod → node traffic go straight.
        rules: sorted.map((ip) => `-A ${C.outbound} -s ${ip}/32 -p tcp -m addrtype ! --dst-type LOCAL ${tproxy(outbound)}`),
      },
      {
        name: C.inbound,
        ordered: false,
        rules: sorted.flatMap((ip) => [
          `-A ${C.inbound} -d ${ip}/32 -p tcp -m tcp --dport ${inbound} ${tproxy(inbound)}`,
          `-A ${C.inbound} -d ${ip}/32 -p tcp -m tcp ! --dport ${inbound} ${tproxy(inboundPlaintext)}`,
        ]),
      },
    ],
  };
  const nat: TableSpec = {
    jumps: [{ from: 'PREROUTING', to: C.nat }],
    // (d) ACCEPT ends nat PREROUTING: a TPROXY'd packet keeps its original destination (a Service
    // VIP), which the listener then sees as its local address.
    chains: [{ name: C.nat, ordered: true, rules: [`-A ${C.nat} -m mark --mark ${CAPTURE_MARK} -j ACCEPT`] }],
  };
  return {
    pods: sorted,
    skipped,
    hostSources: hostCidrs,
    tables: { mangle, nat },
    ipRule: ['pref', String(RULE_PRIORITY), 'fwmark', CAPTURE_MARK, 'lookup', String(ROUTE_TABLE)],
    ipRuleShown: `from all fwmark ${CAPTURE_MARK} lookup ${ROUTE_TABLE}`,
    route: ['local', '0.0.0.0/0', 'dev', 'lo', 'table', String(ROUTE_TABLE)],
    routeShown: 'local default dev lo scope host',
  };
}
