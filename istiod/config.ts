// istiod's configuration: read once from the environment, validated whole (every bad variable is
// reported in one MeshError), and frozen. Durations accept Go-style strings ("24h", "1h30m",
// "90s") or plain seconds.

import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { trustDomainProblem } from '../pkg/identity/spiffe';

export interface ServiceAccountRef {
  readonly namespace: string;
  readonly serviceAccount: string;
}

export type KubeAccess =
  | { readonly kind: 'kubeconfig'; readonly path: string }
  | { readonly kind: 'in-cluster' };

export interface IstiodConfig {
  readonly trustDomain: string;
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
}

const HOUR = 3600;
const DAY = 24 * HOUR;

export const CONFIG_DEFAULTS = Object.freeze({
  trustDomain: 'cluster.local',
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
} as const);

const UNIT_MS: Readonly<Record<string, number>> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };
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

  if (problems.length > 0) {
    throw new MeshError(ErrorCode.InvalidArgument, `invalid istiod configuration: ${problems.join('; ')}`);
  }
  return Object.freeze({
    trustDomain,
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
  });
}
