// Which sources' connections to pods the capture leaves alone: the node's host, so the kubelet's
// health probes keep working when a pod's PeerAuthentication is STRICT (plaintext inbound denied).
// Pure: the setting, the default gateways read from `ip -4 route show default`, CIDR checks.
//
// How it maps onto Kubernetes: the kubelet probes a pod from the node itself. In a real cluster
// with node-level capture that traffic leaves the node through OUTPUT, never passes PREROUTING and
// so is never captured; Istio (capture inside the pod) SNATs host-originated traffic to a fixed
// link-local address and skips that address. In the local cluster ztunnel's "node" is a network
// namespace and the kubelet runs on the machine behind it: the probe arrives through the bridge
// with the machine's bridge address as source, which is the node namespace's default gateway —
// hence the default `default-gateway`. Operators can list the sources instead, or turn it off.
//
// Trade-off (Istio has the same property): every connection from those sources to a pod bypasses
// ztunnel — no mTLS, no L4 policy, no telemetry — so any process on the node's host (or whatever
// hides behind the gateway address, e.g. a router that masquerades outside traffic) reaches pods
// directly. Connections from pods to those addresses are still captured as outbound.

import { isIPv4 } from 'node:net';

/** Where the host's connections come from: the default gateway(s) found at run time, or a fixed list (empty = none). */
export type HostSources = 'default-gateway' | readonly string[];

/** The IPv4 gateways of `ip -4 route show default` output (ECMP `nexthop via` lines included), deduplicated. */
export function parseDefaultGateways(text: string): string[] {
  const out = new Set<string>();
  for (const m of text.matchAll(/\bvia (\d{1,3}(?:\.\d{1,3}){3})\b/g)) {
    if (isIPv4(m[1]!)) out.add(m[1]!);
  }
  return [...out];
}

function ipv4Number(ip: string): number {
  return ip.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

function ipv4Text(n: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(n / 2 ** shift) % 256).join('.');
}

/**
 * An IPv4 address or CIDR in the form iptables prints it (`198.18.0.1/32`, `198.18.0.0/24`: host
 * bits cleared); undefined when it is neither.
 */
export function normalizeIpv4Cidr(text: string): string | undefined {
  const m = /^([0-9.]+)(?:\/(\d{1,2}))?$/.exec(text.trim());
  if (!m || !isIPv4(m[1]!)) return undefined;
  const length = m[2] === undefined ? 32 : Number(m[2]);
  if (length > 32) return undefined;
  const size = 2 ** (32 - length);
  const network = Math.floor(ipv4Number(m[1]!) / size) * size;
  return `${ipv4Text(network)}/${length}`;
}
