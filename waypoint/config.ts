// The waypoint's configuration: read once from the environment istiod's waypoint Deployment sets,
// validated whole — every bad variable reported in one MeshError(InvalidArgument) — and frozen.
// Durations accept Go-style strings ("5s", "500ms", "24h") or plain seconds; ports may be 0 (tests).
// The small parsers are here too (the waypoint imports no other component).

import { isIP } from 'node:net';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { formatSpiffeId, spiffeId, trustDomainProblem } from '../pkg/identity/spiffe';

export interface HostPort {
  readonly host: string;
  readonly port: number;
}

export interface WaypointSettings {
  readonly podName: string;
  readonly podNamespace: string;
  /** This pod's IP (INSTANCE_IP). */
  readonly instanceIP: string;
  readonly serviceAccount: string;
  /** The Gateway this waypoint serves (GATEWAY_NAME, default the service account). */
  readonly gatewayName: string;
  /** The WaypointConfig xDS resource to subscribe to: "<namespace>/<gateway>". */
  readonly configName: string;
  /** This waypoint's own identity, spiffe://<td>/ns/<namespace>/sa/<service account>. */
  readonly identity: string;
  readonly xdsAddress: string;
  readonly caAddress: string;
  readonly xdsServerName: string;
  readonly trustDomain: string;
  readonly clusterId: string;
  readonly rootCertPath: string;
  readonly tokenPath: string;
  /** Host the HBONE listener binds (LISTEN_HOST, default 0.0.0.0). */
  readonly listenHost: string;
  /** HBONE listen port (HBONE_PORT). */
  readonly hbonePort: number;
  /** Port HBONE is dialled on at endpoints (UPSTREAM_HBONE_PORT, default 15008). */
  readonly upstreamHbonePort: number;
  readonly adminAddress: HostPort;
  readonly statsAddress: HostPort;
  readonly readinessAddress: HostPort;
  readonly secretTtlSeconds: number;
  readonly drainTimeoutMs: number;
  readonly connectTimeoutMs: number;
}

export const WAYPOINT_DEFAULTS = Object.freeze({
  xdsAddress: 'istiod.istio-system.svc:15012',
  xdsServerName: 'istiod.istio-system.svc',
  trustDomain: 'cluster.local',
  clusterId: 'Kubernetes',
  rootCertPath: '/var/run/secrets/istio/root-cert.pem',
  tokenPath: '/var/run/secrets/tokens/istio-token',
  listenHost: '0.0.0.0',
  hbonePort: 15008,
  upstreamHbonePort: 15008,
  adminAddress: '127.0.0.1:15000',
  statsAddress: '0.0.0.0:15020',
  readinessAddress: '0.0.0.0:15021',
  secretTtl: '24h',
  drainTimeout: '5s',
  connectTimeout: '10s',
} as const);

const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const PRINTABLE_RE = /^[\x21-\x7e]+$/;
const HOST_RE = /^[A-Za-z0-9]([A-Za-z0-9.-]*[A-Za-z0-9])?$/;
const UNIT_MS: Readonly<Record<string, number>> = { ns: 1e-6, us: 1e-3, 'µs': 1e-3, ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/** Milliseconds in a Go duration ("1h30m", "250ms") or plain seconds ("90", "0.5"); undefined when malformed. */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  let ms = 0;
  if (/^[0-9]+(\.[0-9]+)?$/.test(s)) ms = Number(s) * 1000;
  else if (/^([0-9]+(\.[0-9]+)?(ns|us|µs|ms|s|m|h))+$/.test(s)) {
    for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ns|us|µs|ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  } else return undefined;
  ms = Math.round(ms);
  return Number.isSafeInteger(ms) && ms <= 100 * 365 * 86_400_000 ? ms : undefined;
}

function splitHostPort(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]/\s]*)):([0-9]{1,5})$/.exec(text);
  return m ? { host: m[1] ?? (m[2] as string), port: Number(m[3]) } : undefined;
}

/** `host:port` to dial (an `https://` prefix tolerated), port 1-65535; formatted back as host:port. */
export function parseDialAddress(text: string): string | undefined {
  const hp = splitHostPort(text.trim().replace(/^https?:\/\//, '').replace(/\/+$/, ''));
  if (!hp || hp.port < 1 || hp.port > 65535 || hp.host === '') return undefined;
  if (isIP(hp.host) === 0 && !HOST_RE.test(hp.host)) return undefined;
  return isIP(hp.host) === 6 ? `[${hp.host}]:${hp.port}` : `${hp.host}:${hp.port}`;
}

/** A local `ip:port` (or `:port`, `localhost:port`) to listen on; port 0-65535. */
export function parseListenAddress(text: string): HostPort | undefined {
  const hp = splitHostPort(text.trim());
  if (!hp || hp.port > 65535) return undefined;
  const host = hp.host === '' ? '0.0.0.0' : hp.host;
  return host === 'localhost' || isIP(host) !== 0 ? { host, port: hp.port } : undefined;
}

/** Builds the waypoint's configuration from the environment; throws InvalidArgument listing every problem. */
export function loadConfig(env: Readonly<Record<string, string | undefined>>): WaypointSettings {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const bad = (name: string, value: string, why: string): void => {
    problems.push(`${name}=${JSON.stringify(value.length > 200 ? `${value.slice(0, 200)}...` : value)}: ${why}`);
  };
  const checked = (name: string, fallback: string | undefined, what: string, check: (v: string) => string | undefined): string => {
    const v = read(name) ?? fallback;
    if (v === undefined) {
      problems.push(`${name} is required (${what})`);
      return '';
    }
    const why = check(v);
    if (why) bad(name, v, why);
    return v;
  };
  const port = (name: string, fallback: number, min: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const p = /^[0-9]{1,5}$/.test(raw) ? Number(raw) : NaN;
    if (!(p >= min && p <= 65535)) bad(name, raw, `not a port (${min}-65535)`);
    return p >= min && p <= 65535 ? p : fallback;
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
    return a ?? raw;
  };
  const duration = (name: string, fallback: string, min: number): number => {
    const raw = read(name);
    const ms = parseDurationMs(raw ?? fallback);
    if (raw !== undefined && (ms === undefined || ms < min)) {
      bad(name, raw, `not a duration (use e.g. "24h", "5s", "500ms" or plain seconds${min > 0 ? `; at least ${min} ms` : ''})`);
      return parseDurationMs(fallback) as number;
    }
    return ms as number;
  };

  const podName = checked('POD_NAME', undefined, "this pod's name, from the downward API metadata.name", (v) => (v.length <= 253 && DNS_SUBDOMAIN_RE.test(v) ? undefined : 'not a valid pod name'));
  const podNamespace = checked('POD_NAMESPACE', undefined, "this pod's namespace, from the downward API metadata.namespace", (v) => (v.length <= 63 && DNS_LABEL_RE.test(v) ? undefined : 'not a valid namespace name'));
  const instanceIP = checked('INSTANCE_IP', undefined, "this pod's IP, from the downward API status.podIP", (v) => (isIP(v) ? undefined : 'not an IPv4 or IPv6 address'));
  const serviceAccount = checked('SERVICE_ACCOUNT', undefined, "this pod's service account, from spec.serviceAccountName", (v) => (v.length <= 253 && DNS_SUBDOMAIN_RE.test(v) ? undefined : 'not a valid service account name'));
  const gatewayName = checked('GATEWAY_NAME', read('SERVICE_ACCOUNT'), 'the waypoint Gateway name; defaults to SERVICE_ACCOUNT', (v) => (v.length <= 253 && DNS_SUBDOMAIN_RE.test(v) ? undefined : 'not a valid Gateway name'));

  const xdsRaw = read('XDS_ADDRESS') ?? WAYPOINT_DEFAULTS.xdsAddress;
  const xdsAddress = dial('XDS_ADDRESS', xdsRaw);
  const caAddress = dial('CA_ADDRESS', read('CA_ADDRESS') ?? xdsRaw);
  const xdsServerName = checked('XDS_SERVER_NAME', WAYPOINT_DEFAULTS.xdsServerName, '', (v) => (PRINTABLE_RE.test(v) && !/[:/]/.test(v) ? undefined : 'not a TLS server name'));
  const trustDomain = checked('TRUST_DOMAIN', WAYPOINT_DEFAULTS.trustDomain, '', trustDomainProblem);
  const clusterId = checked('CLUSTER_ID', WAYPOINT_DEFAULTS.clusterId, '', (v) => (PRINTABLE_RE.test(v) && v.length <= 253 ? undefined : 'must be printable ASCII without spaces'));
  const rootCertPath = read('ROOT_CERT_PATH') ?? WAYPOINT_DEFAULTS.rootCertPath;
  const tokenPath = read('TOKEN_PATH') ?? WAYPOINT_DEFAULTS.tokenPath;
  const listenHost = checked('LISTEN_HOST', WAYPOINT_DEFAULTS.listenHost, '', (v) => (isIP(v) ? undefined : 'not an IP address'));

  const hbonePort = port('HBONE_PORT', WAYPOINT_DEFAULTS.hbonePort, 0);
  const upstreamHbonePort = port('UPSTREAM_HBONE_PORT', WAYPOINT_DEFAULTS.upstreamHbonePort, 1);
  const adminAddress = listen('ADMIN_ADDRESS', WAYPOINT_DEFAULTS.adminAddress);
  const statsAddress = listen('STATS_ADDRESS', WAYPOINT_DEFAULTS.statsAddress);
  const readinessAddress = listen('READINESS_ADDRESS', WAYPOINT_DEFAULTS.readinessAddress);
  const byPort = new Map<number, string[]>();
  for (const [name, p] of [['HBONE_PORT', hbonePort], ['ADMIN_ADDRESS', adminAddress.port], ['STATS_ADDRESS', statsAddress.port], ['READINESS_ADDRESS', readinessAddress.port]] as const) {
    if (p !== 0) byPort.set(p, [...(byPort.get(p) ?? []), name]);
  }
  for (const [p, names] of byPort) if (names.length > 1) problems.push(`${names.join(', ')} all use port ${p}; each listener needs its own port`);

  const secretTtlMs = duration('SECRET_TTL', WAYPOINT_DEFAULTS.secretTtl, 1000);
  const drainTimeoutMs = duration('DRAIN_TIMEOUT', WAYPOINT_DEFAULTS.drainTimeout, 0);
  const connectTimeoutMs = duration('CONNECT_TIMEOUT', WAYPOINT_DEFAULTS.connectTimeout, 1);

  if (problems.length > 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `invalid waypoint configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({
    podName,
    podNamespace,
    instanceIP,
    serviceAccount,
    gatewayName,
    configName: `${podNamespace}/${gatewayName}`,
    identity: formatSpiffeId(spiffeId(trustDomain, podNamespace, serviceAccount)),
    xdsAddress,
    caAddress,
    xdsServerName,
    trustDomain,
    clusterId,
    rootCertPath,
    tokenPath,
    listenHost,
    hbonePort,
    upstreamHbonePort,
    adminAddress,
    statsAddress,
    readinessAddress,
    secretTtlSeconds: Math.max(1, Math.floor(secretTtlMs / 1000)),
    drainTimeoutMs,
    connectTimeoutMs,
  });
}
