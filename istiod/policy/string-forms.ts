// The string forms of Istio's security resources, checked strictly and turned into ambit's
// Authorization values: wildcard matches (`*` presence, `*suffix`, `prefix*`, else exact),
// principals (`<td>/ns/<ns>/sa/<sa>`, an optional `spiffe://` stripped, the `cluster.local` alias
// mapped to the mesh's trust domain), namespaces, service accounts (`ns/sa` or `sa`), label keys
// and values. Pure.

import type { ServiceAccountMatch, StringMatch } from '../../pkg/api/authorization-types';
import { parseSpiffeId, SPIFFE_PREFIX } from '../../pkg/identity/spiffe';
import { show } from './field-report';

export type Parsed<T> =
  | { readonly ok: true; readonly value: T; readonly warning?: string }
  | { readonly ok: false; readonly reason: string };

export const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
export const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
/** The trust domain Istio treats as "this mesh's trust domain, whatever it is". */
export const CLUSTER_LOCAL = 'cluster.local';
/** Istio's bound on one serviceAccounts entry. */
export const MAX_SERVICE_ACCOUNT_CHARS = 320;

const LABEL_NAME = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const IDENTITY_CHARS = /^[a-zA-Z0-9._/-]+$/;
const NAMESPACE_CHARS = /^[a-z0-9-]+$/;

const ok = <T>(value: T, warning?: string): Parsed<T> => (warning === undefined ? { ok: true, value } : { ok: true, value, warning });
const bad = <T>(reason: string): Parsed<T> => ({ ok: false, reason });

/** Istio's wildcard forms; a `*` anywhere but the whole value, the start or the end is refused. */
export function wildcardMatch(value: string): Parsed<StringMatch> {
  if (value === '*') return ok({ kind: 'presence' });
  const misplaced = `${show(value)}: a wildcard "*" is allowed only as the whole value, at the start or at the end`;
  if (value.startsWith('*')) {
    const rest = value.slice(1);
    return rest.includes('*') ? bad(misplaced) : ok({ kind: 'suffix', value: rest });
  }
  if (value.endsWith('*')) {
    const rest = value.slice(0, -1);
    return rest.includes('*') ? bad(misplaced) : ok({ kind: 'prefix', value: rest });
  }
  return value.includes('*') ? bad(misplaced) : ok({ kind: 'exact', value });
}

function withMeshTrustDomain(identity: string, trustDomain: string): string {
  const alias = `${CLUSTER_LOCAL}/`;
  return trustDomain !== CLUSTER_LOCAL && identity.startsWith(alias) ? `${trustDomain}/${identity.slice(alias.length)}` : identity;
}

/**
 * A `principals` / `source.principal` value. Exact values must be workload identities
 * `<trust-domain>/ns/<namespace>/sa/<service-account>`; `spiffe://` is stripped (ztunnel matches
 * identities without it); `cluster.local/...` means the mesh's own trust domain, as in Istio.
 */
export function principalMatch(raw: string, trustDomain: string): Parsed<StringMatch> {
  const value = raw.startsWith(SPIFFE_PREFIX) ? raw.slice(SPIFFE_PREFIX.length) : raw;
  if (value === '') return bad(`${show(raw)} names no identity`);
  const parsed = wildcardMatch(value);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.kind === 'presence') return parsed;
  if (m.kind === 'prefix' || m.kind === 'suffix') {
    if (!IDENTITY_CHARS.test(m.value)) return bad(`${show(raw)} has characters no workload identity contains`);
    return ok({ kind: m.kind, value: m.kind === 'prefix' ? withMeshTrustDomain(m.value, trustDomain) : m.value });
  }
  let id;
  try {
    id = parseSpiffeId(`${SPIFFE_PREFIX}${value}`);
  } catch (err) {
    const detail = err instanceof Error ? err.message.replace(/^invalid SPIFFE ID "[^"]*": /, '') : String(err);
    return bad(`${show(raw)} is not a workload identity <trust-domain>/ns/<namespace>/sa/<service-account> (${detail})`);
  }
  const exact = withMeshTrustDomain(value, trustDomain);
  if (id.trustDomain !== CLUSTER_LOCAL && id.trustDomain !== trustDomain) {
    return ok({ kind: 'exact', value: exact },
      `trust domain ${show(id.trustDomain)} is not the mesh's (${show(trustDomain)}): its peers are refused, so this value never matches`);
  }
  return ok({ kind: 'exact', value: exact });
}

/** A `namespaces` / `source.namespace` value: a namespace name or a wildcard form of one. */
export function namespaceMatch(raw: string): Parsed<StringMatch> {
  const parsed = wildcardMatch(raw);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.kind === 'presence') return parsed;
  const valid = m.kind === 'exact' ? m.value.length <= 63 && DNS_LABEL.test(m.value) : NAMESPACE_CHARS.test(m.value);
  return valid ? parsed : bad(`${show(raw)} is not a namespace name (lowercase letters, digits and "-", at most 63)`);
}

/** A `serviceAccounts` value: `namespace/name`, or `name` in the policy's own namespace; no wildcards. */
export function serviceAccountMatch(raw: string, policyNamespace: string): Parsed<ServiceAccountMatch> {
  if (raw.length > MAX_SERVICE_ACCOUNT_CHARS) return bad(`longer than ${MAX_SERVICE_ACCOUNT_CHARS} characters`);
  if (raw.includes('*')) return bad(`${show(raw)}: wildcards are not allowed in service accounts`);
  const parts = raw.split('/');
  if (parts.length > 2) return bad(`${show(raw)} is not "<namespace>/<service-account>" or "<service-account>"`);
  const [namespace, serviceAccount] = parts.length === 2 ? [parts[0] ?? '', parts[1] ?? ''] : [policyNamespace, parts[0] ?? ''];
  if (namespace.length > 63 || !DNS_LABEL.test(namespace)) return bad(`${show(namespace)} is not a namespace name`);
  if (serviceAccount.length > 253 || !DNS_SUBDOMAIN.test(serviceAccount)) return bad(`${show(serviceAccount)} is not a service account name`);
  return ok({ namespace, serviceAccount });
}

/** Why a label key is invalid (`[prefix/]name`, Kubernetes rules), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.lastIndexOf('/');
  const prefix = slash >= 0 ? key.slice(0, slash) : undefined;
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (prefix !== undefined && (prefix.length === 0 || prefix.length > 253 || !DNS_SUBDOMAIN.test(prefix))) {
    return `label key ${show(key)}: the prefix must be a DNS subdomain`;
  }
  if (name.length === 0 || name.length > 63 || !LABEL_NAME.test(name)) {
    return `label key ${show(key)}: the name must be 1-63 letters, digits, "-", "_" or ".", starting and ending alphanumeric`;
  }
  return undefined;
}

/** Why a label value is invalid (Kubernetes rules; wildcards are not selectors), or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value === '') return undefined;
  if (value.length > 63 || !LABEL_NAME.test(value)) {
    return `label value ${show(value)}: at most 63 letters, digits, "-", "_" or ".", starting and ending alphanumeric (no wildcards)`;
  }
  return undefined;
}
