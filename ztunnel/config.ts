// ztunnel's configuration: read once from the environment (the DaemonSet's variables), validated
// whole — every bad variable is reported in one MeshError(InvalidArgument) — and frozen.
// Durations accept Go-style strings ("24h", "5s", "500ms") or plain seconds; ports may be 0 (tests).

import { isIP } from 'node:net';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { trustDomainProblem } from '../pkg/identity/spiffe';
import { normalizeIpv4Cidr, type HostSources } from './capture/host-sources';
import { formatHostPort, parseBoolean, parseDialAddress, parseDurationMs, parseListenAddress, parsePort, type HostPort } from './config-parse';

export type CaptureMode = 'tproxy' | 'none';

export interface ZtunnelConfig {
  /** Kubernetes node this agent serves (NODE_NAME). */
  readonly nodeName: string;
  /** This node's IP (INSTANCE_IP). */
  readonly nodeIP: string;
  readonly podName: string;
  readonly podNamespace: string;
  /** istiod's xDS endpoint, `host:port`. */
  readonly xdsAddress: string;
  /** istiod's CA endpoint, `host:port` (defaults to the xDS one). */
  readonly caAddress: string;
  /** The TLS name istiod's serving certificate carries. */
  readonly xdsServerName: string;
  readonly trustDomain: string;
  readonly clusterId: string;
  readonly rootCertPath: string;
  readonly tokenPath: string;
  readonly capture: CaptureMode;
  /**
   * Connections the node's host opens to pods (kubelet probes) that capture leaves alone
   * (HOST_PROBE_SOURCES): `default-gateway` (read at run time), a list of IPv4 CIDRs, or [] (none).
   */
  readonly hostProbeSources: HostSources;
  /** Host the capture listeners bind. */
  readonly listenHost: string;
  readonly ports: {
    readonly outbound: number;
    readonly inboundPlaintext: number;
    readonly inbound: number;
    /** undefined = SOCKS5 off. */
    readonly socks5?: number;
  };
  /** Port HBONE is dialled on at destinations. */
  readonly hbonePort: number;
  readonly adminAddress: HostPort;
  readonly statsAddress: HostPort;
  readonly readinessAddress: HostPort;
  /** Certificate lifetime asked of the CA. */
  readonly secretTtlSeconds: number;
  /** How long open connections get on shutdown. */
  readonly drainTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export const CONFIG_DEFAULTS = Object.freeze({
  podName: 'ztunnel',
  podNamespace: 'istio-system',
  xdsAddress: 'istiod.istio-system.svc:15012',
  xdsServerName: 'istiod.istio-system.svc',
  trustDomain: 'cluster.local',
  clusterId: 'Kubernetes',
  rootCertPath: '/var/run/secrets/istio/root-cert.pem',
  tokenPath: '/var/run/secrets/tokens/istio-token',
  capture: 'tproxy',
  hostProbeSources: 'default-gateway',
  listenHost: '0.0.0.0',
  outboundPort: 15001,
  inboundPlaintextPort: 15006,
  inboundPort: 15008,
  hbonePort: 15008,
  adminAddress: '127.0.0.1:15000',
  statsAddress: '0.0.0.0:15020',
  readinessAddress: '0.0.0.0:15021',
  socks5Port: 15080,
  secretTtl: '24h',
  drainTimeout: '5s',
  connectTimeout: '10s',
} as const);

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRINTABLE_RE = /^[\x21-\x7e]+$/;

/** Builds ztunnel's configuration from the environment; throws InvalidArgument listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): ZtunnelConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, value: string, why: string): void => {
    const shown = value.length > 200 ? `${value.slice(0, 200)}...` : value;
    problems.push(`${name}=${JSON.stringify(shown)}: ${why}`);
  };
  const required = (name: string, what: string): string => {
    const v = read(name);
    if (v === undefined) problems.push(`${name} is required (${what})`);
    return v ?? '';
  };
  const text = (name: string, fallback: string, check: (v: string) => string | undefined): string => {
    const v = read(name) ?? fallback;
    const why = check(v);
    if (why) bad(name, v, why);
    return v;
  };
  const port = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const p = parsePort(raw);
    if (p === undefined) bad(name, raw, 'not a port (0-65535)');
    return p ?? fallback;
  };
  const listen = (name: string, fallback: string): HostPort => {
    const raw = read(name) ?? fallback;
    const a = parseListenAddress(raw);
    if (!a) bad(name, raw, 'expected ip:port (port 0-65535), e.g. 127.0.0.1:15000');
    return Object.freeze(a ?? { host: '127.0.0.1', port: 0 });
  };
  const dial = (name: string, raw: string): string => {
    const a = parseDialAddress(raw);
    if (!a) bad(name, raw, 'expected host:port (port 1-65535), e.g. istiod.istio-system.svc:15012');
    return a ? formatHostPort(a) : raw;
  };
  const duration = (names: readonly string[], fallback: string, min: number): number => {
    const given = names.map((n) => [n, read(n)] as const).filter((e): e is readonly [string, string] => e[1] !== undefined);
    const parsed = given.map(([n, raw]) => {
      const ms = parseDurationMs(raw);
      if (ms === undefined || ms < min) bad(n, raw, `not a duration (use e.g. "24h", "5s", "500ms" or plain seconds${min > 0 ? `; at least ${min} ms` : ''})`);
      return ms !== undefined && ms >= min ? ms : undefined;
    });
    const ok = parsed.filter((ms): ms is number => ms !== undefined);
    if (ok.length > 1 && ok.some((ms) => ms !== ok[0])) problems.push(`${names.join(' and ')} are both set and disagree; set one`);
    return ok[0] ?? (parseDurationMs(fallback) as number);
  };

  const nodeName = required('NODE_NAME', "this node's Kubernetes name, from the downward API spec.nodeName");
  if (nodeName && (nodeName.length > 253 || !DNS_SUBDOMAIN_RE.test(nodeName))) bad('NODE_NAME', nodeName, 'not a valid Kubernetes node name');
  const nodeIP = required('INSTANCE_IP', "this node's IP, from the downward API status.podIP");
  if (nodeIP && isIP(nodeIP) === 0) bad('INSTANCE_IP', nodeIP, 'not an IPv4 or IPv6 address');
  const podName = text('POD_NAME', CONFIG_DEFAULTS.podName, (v) => (v.length <= 253 && DNS_SUBDOMAIN_RE.test(v) ? undefined : 'not a valid pod name'));
  const podNamespace = text('POD_NAMESPACE', CONFIG_DEFAULTS.podNamespace, (v) => (v.length <= 63 && DNS_LABEL_RE.test(v) ? undefined : 'not a valid namespace name'));

  const xdsRaw = read('XDS_ADDRESS') ?? CONFIG_DEFAULTS.xdsAddress;
  const xdsAddress = dial('XDS_ADDRESS', xdsRaw);
  const caAddress = dial('CA_ADDRESS', read('CA_ADDRESS') ?? xdsRaw);
  const xdsServerName = text('XDS_SERVER_NAME', CONFIG_DEFAULTS.xdsServerName, (v) => (PRINTABLE_RE.test(v) && !/[:/]/.test(v) ? undefined : 'not a TLS server name'));
  const trustDomain = text('TRUST_DOMAIN', CONFIG_DEFAULTS.trustDomain, trustDomainProblem);
  const clusterId = text('CLUSTER_ID', CONFIG_DEFAULTS.clusterId, (v) => (PRINTABLE_RE.test(v) && v.length <= 253 ? undefined : 'must be printable ASCII without spaces'));
  const rootCertPath = read('ROOT_CERT_PATH') ?? CONFIG_DEFAULTS.rootCertPath;
  const tokenPath = read('TOKEN_PATH') ?? CONFIG_DEFAULTS.tokenPath;

  const captureRaw = read('CAPTURE') ?? CONFIG_DEFAULTS.capture;
  const capture = captureRaw.toLowerCase();
  if (capture !== 'tproxy' && capture !== 'none') bad('CAPTURE', captureRaw, 'expected "tproxy" (node-level capture) or "none" (no rules, plain sockets)');
  const hostProbeSources = parseHostSources(read('HOST_PROBE_SOURCES') ?? CONFIG_DEFAULTS.hostProbeSources, bad);
  const listenHost = text('LISTEN_HOST', CONFIG_DEFAULTS.listenHost, (v) => (isIP(v) ? undefined : 'not an IP address'));

  const outbound = port('OUTBOUND_PORT', CONFIG_DEFAULTS.outboundPort);
  const inboundPlaintext = port('INBOUND_PLAINTEXT_PORT', CONFIG_DEFAULTS.inboundPlaintextPort);
  const inbound = port('INBOUND_PORT', CONFIG_DEFAULTS.inboundPort);
  const hbonePort = port('HBONE_PORT', CONFIG_DEFAULTS.hbonePort);
  if (read('HBONE_PORT') !== undefined && hbonePort === 0) problems.push('HBONE_PORT=0: the port dialled at destinations must be 1-65535');
  const socks5Raw = read('UNSTABLE_ENABLE_SOCKS5');
  const socks5On = socks5Raw === undefined ? false : parseBoolean(socks5Raw);
  if (socks5On === undefined) bad('UNSTABLE_ENABLE_SOCKS5', socks5Raw as string, 'expected true or false');
  const socks5Port = port('SOCKS5_PORT', CONFIG_DEFAULTS.socks5Port);
  const adminAddress = listen('ADMIN_ADDRESS', CONFIG_DEFAULTS.adminAddress);
  const statsAddress = listen('STATS_ADDRESS', CONFIG_DEFAULTS.statsAddress);
  const readinessAddress = listen('READINESS_ADDRESS', CONFIG_DEFAULTS.readinessAddress);

  const listeners: [string, number][] = [
    ['OUTBOUND_PORT', outbound], ['INBOUND_PLAINTEXT_PORT', inboundPlaintext], ['INBOUND_PORT', inbound],
    ['ADMIN_ADDRESS', adminAddress.port], ['STATS_ADDRESS', statsAddress.port], ['READINESS_ADDRESS', readinessAddress.port],
  ];
  if (socks5On) listeners.push(['SOCKS5_PORT', socks5Port]);
  const byPort = new Map<number, string[]>();
  for (const [name, p] of listeners) if (p !== 0) byPort.set(p, [...(byPort.get(p) ?? []), name]);
  for (const [p, names] of byPort) if (names.length > 1) problems.push(`${names.join(', ')} all use port ${p}; each listener needs its own port`);

  const secretTtlMs = duration(['SECRET_TTL'], CONFIG_DEFAULTS.secretTtl, 1000);
  const drainTimeoutMs = duration(['CONNECTION_TERMINATION_DEADLINE', 'DRAIN_TIMEOUT'], CONFIG_DEFAULTS.drainTimeout, 0);
  const connectTimeoutMs = duration(['CONNECT_TIMEOUT'], CONFIG_DEFAULTS.connectTimeout, 1);

  if (problems.length > 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `invalid ztunnel configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({
    nodeName,
    nodeIP,
    podName,
    podNamespace,
    xdsAddress,
    caAddress,
    xdsServerName,
    trustDomain,
    clusterId,
    rootCertPath,
    tokenPath,
    capture: capture as CaptureMode,
    hostProbeSources,
    listenHost,
    ports: Object.freeze({ outbound, inboundPlaintext, inbound, ...(socks5On ? { socks5: socks5Port } : {}) }),
    hbonePort,
    adminAddress,
    statsAddress,
    readinessAddress,
    secretTtlSeconds: Math.max(1, Math.floor(secretTtlMs / 1000)),
    drainTimeoutMs,
    connectTimeoutMs,
  });
}

/** HOST_PROBE_SOURCES: `default-gateway`, `none`, or comma-separated IPv4 addresses/CIDRs. */
function parseHostSources(raw: string, bad: (name: string, value: string, why: string) => void): HostSources {
  const lower = raw.toLowerCase();
  if (lower === 'default-gateway') return 'default-gateway';
  if (lower === 'none') return Object.freeze([]);
  const cidrs: string[] = [];
  for (const entry of raw.split(',').map((e) => e.trim())) {
    const cidr = normalizeIpv4Cidr(entry);
    if (cidr === undefined) {
      bad('HOST_PROBE_SOURCES', raw, `${JSON.stringify(entry)} is not an IPv4 address or CIDR (expected "default-gateway", "none" or e.g. "198.18.0.1,198.18.0.0/24")`);
      return Object.freeze([]);
    }
    if (!cidrs.includes(cidr)) cidrs.push(cidr);
  }
  return Object.freeze(cidrs);
}
