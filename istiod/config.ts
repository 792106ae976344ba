// istiod's configuration: read once from the environment, validated whole (every bad variable is
// reported in one MeshError), and frozen. Durations accept Go-style strings ("24h", "1h30m",
// "90s") or plain seconds — except the xDS debounce settings, where a plain number is
// milliseconds (as Istio's PILOT_DEBOUNCE_*). Sizes are bytes or "<n>KiB" / "<n>MiB".

import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { trustDomainProblem } from '../pkg/identity/spiffe';
import { DEFAULT_PATH_NORMALIZATION, PATH_NORMALIZATIONS, type PathNormalization } from '../pkg/api/waypoint-security-types';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export type KubeAccess =
  | { readonly kind: 'kubeconfig'; readonly path: string }
  | { readonly kind: 'in-cluster' };

export interface IstiodConfig {
  readonly trustDomain: string;
  /** The cluster's name in workload uids and `Workload.cluster_id` (CLUSTER_ID, Istio's default `Kubernetes`). */
  readonly clusterId: string;
  /** The namespace istiod runs in: where `cacerts` / `istio-ca-secret` live. */
  readonly namespace: string;
  readonly grpcHost: string;
  /** 0 picks a free port (tests). */
  readonly grpcPort: number;
  readonly kube: KubeAccess;
  readonly defaultWorkloadCertTtlSeconds: number;
  readonly maxWorkloadCertTtlSeconds: number;
  /** Service accounts allowed to ask for other identities (node agents). */
  readonly trustedNodeAccounts: readonly ServiceAccountRef[];
  readonly selfSignedRootTtlSeconds: number;
  /** The audience CA callers' tokens must be issued for. */
  readonly tokenAudience: string;
  /** Lifetime of istiod's own TLS serving certificate. */
  readonly servingCertTtlSeconds: number;
  /** Per-caller CSR rate limit: bucket size and refill rate. */
  readonly caRateLimitBurst: number;
  readonly caRateLimitPerSecond: number;
  /** The HTTP listener for /metrics and /ready (MONITORING_ADDRESS). */
  readonly monitoringHost: string;
  /** 0 picks a free port (tests). */
  readonly monitoringPort: number;
  /** xDS push debounce: quiet period after the last change, and longest wait after the first. */
  readonly debounceAfterMs: number;
  readonly debounceMaxMs: number;
  /** Largest gRPC message istiod accepts (server-wide; CreateCertificate keeps its own 64 KiB). */
  readonly xdsMaxReceiveMessageBytes: number;
  /** Largest gRPC message istiod sends; bigger xDS updates are split over several responses. */
  readonly xdsMaxSendMessageBytes: number;
  /** How long a successful TokenReview of an xDS client's token is reused. */
  readonly xdsTokenCacheSeconds: number;
  /** How waypoints normalize request paths before L7 authorization (PATH_NORMALIZATION, like Istio's mesh option). */
  readonly pathNormalization: PathNormalization;
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export const CONFIG_DEFAULTS = Object.freeze({
  trustDomain: 'cluster.local',
  clusterId: 'Kubernetes',
  namespace: 'istio-system',
  grpcAddress: '0.0.0.0:15012',
  defaultWorkloadCertTtl: 24 * HOUR,
  maxWorkloadCertTtl: 90 * DAY,
  trustedNodeAccounts: 'istio-system/ztunnel',
  selfSignedRootTtl: 3650 * DAY,
  tokenAudience: 'istio-ca',
  servingCertTtl: 365 * DAY,
  caRateLimitBurst: 50,
  caRateLimitPerSecond: 10,
  monitoringAddress: '0.0.0.0:15014',
  debounceAfterMs: 100,
  debounceMaxMs: 1000,
  xdsMaxReceiveMessageBytes: 16 * 1024 * 1024,
  xdsMaxSendMessageBytes: 200 * 1024 * 1024,
  xdsTokenCacheSeconds: 60,
  pathNormalization: DEFAULT_PATH_NORMALIZATION,
} as const);

/** Bounds of the size settings: a CA request must fit; nothing beyond what ztunnel decodes (200 MiB). */
export const MIN_MESSAGE_BYTES = 64 * 1024;
export const MAX_MESSAGE_BYTES = 200 * 1024 * 1024;
/** Longest debounce setting accepted. */
export const MAX_DEBOUNCE_MS = 60_000;

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
const CLUSTER_ID_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]{0,61}[A-Za-z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const SA_NAME_RE = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;

/** Seconds in a duration ("24h", "1h30m", "1.5h", "90", "2160h"); undefined when malformed or < 1 s. */
export function parseDurationSeconds(text: string): number | undefined {
  const s = text.trim();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) && n >= 1 ? n : undefined;
  }
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h|d))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h|d)/g)) {
    ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  }
  const seconds = Math.floor(ms / 1000);
  return Number.isSafeInteger(seconds) && seconds >= 1 ? seconds : undefined;
}

/**
 * Milliseconds in a duration whose plain-number form is milliseconds ("100", "100ms", "1s",
 * "1.5s", "0"); undefined when malformed.
 */
export function parseDurationMs(text: string): number | undefined {
  const s = text.trim();
  if (/^[0-9]+$/.test(s)) {
    const n = Number(s);
    return Number.isSafeInteger(n) ? n : undefined;
  }
  if (!/^([0-9]+(\.[0-9]+)?(ms|s|m|h))+$/.test(s)) return undefined;
  let ms = 0;
  for (const m of s.matchAll(/([0-9]+(?:\.[0-9]+)?)(ms|s|m|h)/g)) ms += Number(m[1]) * (UNIT_MS[m[2] as string] as number);
  ms = Math.round(ms);
  return Number.isSafeInteger(ms) ? ms : undefined;
}

const SIZE_UNITS: Readonly<Record<string, number>> = { '': 1, b: 1, kib: 1024, mib: 1024 * 1024, kb: 1000, mb: 1_000_000 };

/** Bytes in "16777216", "16MiB", "64KiB", "10MB"; undefined when malformed. */
export function parseByteSize(text: string): number | undefined {
  const m = /^([0-9]+)\s*([a-zA-Z]*)$/.exec(text.trim());
  if (!m) return undefined;
  const unit = SIZE_UNITS[(m[2] as string).toLowerCase()];
  if (unit === undefined) return undefined;
  const n = Number(m[1]) * unit;
  return Number.isSafeInteger(n) ? n : undefined;
}

/** `host:port`, `[v6]:port` or `:port` (all interfaces). */
export function parseListenAddress(text: string): { host: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):([0-9]{1,5})$/.exec(text.trim());
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port > 65535) return undefined;
  const host = m[1] ?? (m[2] === '' ? '0.0.0.0' : (m[2] as string));
  return { host, port };
}

function parseAccounts(text: string): { accounts: ServiceAccountRef[]; bad: string[] } {
  const accounts: ServiceAccountRef[] = [];
  const bad: string[] = [];
  for (const raw of text.split(',')) {
    const entry = raw.trim();
    if (entry === '') continue;
    const parts = entry.split('/');
    const [namespace, serviceAccount] = parts;
    if (parts.length !== 2 || !namespace || !serviceAccount || namespace.length > 63 || !DNS_LABEL_RE.test(namespace)
      || serviceAccount.length > 253 || !SA_NAME_RE.test(serviceAccount)) {
      bad.push(entry);
      continue;
    }
    accounts.push(Object.freeze({ namespace, serviceAccount }));
  }
  return { accounts, bad };
}

/** Builds istiod's configuration from the environment; throws InvalidArgument listing every problem. */
export function loadConfig(env: NodeJS.ProcessEnv): IstiodConfig {
  const problems: string[] = [];
  const read = (name: string): string | undefined => {
    const v = env[name];
    return v === undefined || v.trim() === '' ? undefined : v.trim();
  };
  const duration = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const seconds = parseDurationSeconds(raw);
    if (seconds === undefined) {
      problems.push(`${name}=${JSON.stringify(raw)}: not a duration (use e.g. "24h", "90m", "30s" or plain seconds; at least 1s)`);
      return fallback;
    }
    return seconds;
  };

  const trustDomain = read('TRUST_DOMAIN') ?? CONFIG_DEFAULTS.trustDomain;
  const tdProblem = trustDomainProblem(trustDomain);
  if (tdProblem) problems.push(`TRUST_DOMAIN=${JSON.stringify(trustDomain)}: ${tdProblem}`);

  const clusterId = read('CLUSTER_ID') ?? CONFIG_DEFAULTS.clusterId;
  if (!CLUSTER_ID_RE.test(clusterId)) {
    problems.push(`CLUSTER_ID=${JSON.stringify(clusterId)}: use 1-63 letters, digits, '-', '_' or '.', starting and ending with a letter or digit`);
  }

  const namespace = read('POD_NAMESPACE') ?? CONFIG_DEFAULTS.namespace;
  if (namespace.length > 63 || !DNS_LABEL_RE.test(namespace)) {
    problems.push(`POD_NAMESPACE=${JSON.stringify(namespace)}: not a valid namespace name`);
  }

  const addressText = read('ISTIOD_GRPC_ADDRESS') ?? CONFIG_DEFAULTS.grpcAddress;
  const address = parseListenAddress(addressText);
  if (!address) problems.push(`ISTIOD_GRPC_ADDRESS=${JSON.stringify(addressText)}: expected host:port (port 0-65535), e.g. 0.0.0.0:15012`);

  const kubeconfig = read('KUBECONFIG');
  const kube: KubeAccess = kubeconfig ? { kind: 'kubeconfig', path: kubeconfig } : { kind: 'in-cluster' };

  const defaultTtl = duration('DEFAULT_WORKLOAD_CERT_TTL', CONFIG_DEFAULTS.defaultWorkloadCertTtl);
  const maxTtl = duration('MAX_WORKLOAD_CERT_TTL', CONFIG_DEFAULTS.maxWorkloadCertTtl);
  if (defaultTtl > maxTtl) {
    problems.push(`DEFAULT_WORKLOAD_CERT_TTL (${defaultTtl}s) is longer than MAX_WORKLOAD_CERT_TTL (${maxTtl}s)`);
  }
  const rootTtl = duration('CITADEL_SELF_SIGNED_CA_CERT_TTL', CONFIG_DEFAULTS.selfSignedRootTtl);

  const accountsText = env.CA_TRUSTED_NODE_ACCOUNTS ?? CONFIG_DEFAULTS.trustedNodeAccounts;
  const { accounts, bad } = parseAccounts(accountsText);
  if (bad.length > 0) {
    problems.push(`CA_TRUSTED_NODE_ACCOUNTS: ${bad.map((b) => JSON.stringify(b)).join(', ')} not of the form <namespace>/<service-account>`);
  }

  // An ephemeral gRPC port (tests) gets an ephemeral monitoring port too, unless one is named.
  const monitoringText = read('MONITORING_ADDRESS')
    ?? (address?.port === 0 ? `${address.host.includes(':') ? `[${address.host}]` : address.host}:0` : CONFIG_DEFAULTS.monitoringAddress);
  const monitoring = parseListenAddress(monitoringText);
  if (!monitoring) problems.push(`MONITORING_ADDRESS=${JSON.stringify(monitoringText)}: expected host:port (port 0-65535), e.g. 0.0.0.0:15014`);

  const millis = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const ms = parseDurationMs(raw);
    if (ms === undefined || ms > MAX_DEBOUNCE_MS) {
      problems.push(`${name}=${JSON.stringify(raw)}: not a duration up to ${MAX_DEBOUNCE_MS / 1000}s (use e.g. "100ms", "1s" or plain milliseconds)`);
      return fallback;
    }
    return ms;
  };
  const debounceAfterMs = millis('PILOT_DEBOUNCE_AFTER', CONFIG_DEFAULTS.debounceAfterMs);
  const debounceMaxMs = millis('PILOT_DEBOUNCE_MAX', CONFIG_DEFAULTS.debounceMaxMs);
  if (debounceAfterMs > debounceMaxMs) {
    problems.push(`PILOT_DEBOUNCE_AFTER (${debounceAfterMs}ms) is longer than PILOT_DEBOUNCE_MAX (${debounceMaxMs}ms)`);
  }

  const size = (name: string, fallback: number): number => {
    const raw = read(name);
    if (raw === undefined) return fallback;
    const bytes = parseByteSize(raw);
    if (bytes === undefined || bytes < MIN_MESSAGE_BYTES || bytes > MAX_MESSAGE_BYTES) {
      problems.push(`${name}=${JSON.stringify(raw)}: not a size between 64KiB and 200MiB (use bytes or e.g. "16MiB")`);
      return fallback;
    }
    return bytes;
  };
  const xdsMaxReceiveMessageBytes = size('XDS_MAX_RECEIVE_MESSAGE_SIZE', CONFIG_DEFAULTS.xdsMaxReceiveMessageBytes);
  const xdsMaxSendMessageBytes = size('XDS_MAX_SEND_MESSAGE_SIZE', CONFIG_DEFAULTS.xdsMaxSendMessageBytes);

  const pathText = read('PATH_NORMALIZATION') ?? CONFIG_DEFAULTS.pathNormalization;
  const pathNormalization = PATH_NORMALIZATIONS.find((m) => m === pathText);
  if (pathNormalization === undefined) {
    problems.push(`PATH_NORMALIZATION=${JSON.stringify(pathText)}: not one of ${PATH_NORMALIZATIONS.join(', ')}`);
  }

  if (problems.length > 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `invalid istiod configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({
    trustDomain,
    clusterId,
    namespace,
    grpcHost: (address as { host: string }).host,
    grpcPort: (address as { port: number }).port,
    kube: Object.freeze(kube),
    defaultWorkloadCertTtlSeconds: defaultTtl,
    maxWorkloadCertTtlSeconds: maxTtl,
    trustedNodeAccounts: Object.freeze(accounts),
    selfSignedRootTtlSeconds: rootTtl,
    tokenAudience: CONFIG_DEFAULTS.tokenAudience,
    servingCertTtlSeconds: CONFIG_DEFAULTS.servingCertTtl,
    caRateLimitBurst: CONFIG_DEFAULTS.caRateLimitBurst,
    caRateLimitPerSecond: CONFIG_DEFAULTS.caRateLimitPerSecond,
    monitoringHost: (monitoring as { host: string }).host,
    monitoringPort: (monitoring as { port: number }).port,
    debounceAfterMs,
    debounceMaxMs,
    xdsMaxReceiveMessageBytes,
    xdsMaxSendMessageBytes,
    xdsTokenCacheSeconds: CONFIG_DEFAULTS.xdsTokenCacheSeconds,
    pathNormalization: pathNormalization ?? CONFIG_DEFAULTS.pathNormalization,
  });
}
