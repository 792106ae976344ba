// PeerAuthentications → the DENY Authorizations ztunnel enforces them with, and which of them each
// workload lists (pure; Istio's ambient semantics). The effective mode of a workload comes from
// the oldest matching workload-selector policy, else its namespace's oldest namespace-wide policy
// (unless UNSET), else the mesh's (root namespace, no selector); oldest = creationTimestamp, then
// name. STRICT → the static `<root>/istio_converted_static_strict` (deny any connection without a
// peer identity). A workload policy whose ports differ from its effective mode →
// `<ns>/converted_peer_authentication_<name>`: deny no-identity connections on the STRICT ports
// only. PERMISSIVE, UNSET and DISABLE (treated as PERMISSIVE) need no policy.

import type { Authorization, AuthorizationMatch } from '../../pkg/api/authorization-types';
import { authorizationResourceName, EMPTY_MATCH } from '../../pkg/api/authorization-types';
import type { ConversionOptions } from './authorization-policy';
import { show } from './field-report';
import {
  CONVERTED_PEER_AUTHENTICATION_PREFIX, type MtlsMode, type PeerAuthenticationResult, type PeerAuthenticationView,
  readPeerAuthentication,
} from './peer-authentication';
import { selectorMatches, type Labels } from './selector';

export const STATIC_STRICT_POLICY_NAME = 'istio_converted_static_strict';

export interface SelectorPolicy {
  readonly name: string;
  readonly selector: Labels;
  /** Resource name of this policy's converted Authorization, when its ports need one. */
  readonly converted?: string;
  /** Strict on every port: the static strict policy applies. */
  readonly strict: boolean;
}

export interface PeerAuthenticationIndex {
  readonly rootNamespace: string;
  /** `<root>/istio_converted_static_strict`. */
  readonly staticStrict: string;
  readonly meshMode: MtlsMode;
  /** Mode of the winning namespace-wide policy of each (non-root) namespace. */
  readonly namespaceModes: ReadonlyMap<string, MtlsMode>;
  /** Workload-selector policies of each (non-root) namespace, oldest first. */
  readonly selectorPolicies: ReadonlyMap<string, readonly SelectorPolicy[]>;
}

export interface PeerAuthenticationConversion {
  /** The Authorizations to push: the static strict policy (when any PeerAuthentication is valid) and converted ones. */
  readonly policies: readonly Authorization[];
  readonly index: PeerAuthenticationIndex;
  /** One per input, in input order: problems and warnings for status. */
  readonly results: readonly PeerAuthenticationResult[];
}

const PRESENCE_DENIED: AuthorizationMatch = { ...EMPTY_MATCH, notPrincipals: [{ kind: 'presence' }] };

function oldestFirst(a: PeerAuthenticationView, b: PeerAuthenticationView): number {
  const ta = a.createdAt ?? Number.POSITIVE_INFINITY;
  const tb = b.createdAt ?? Number.POSITIVE_INFINITY;
  if (ta !== tb) return ta < tb ? -1 : 1;
  if (a.name !== b.name) return a.name < b.name ? -1 : 1;
  return a.namespace < b.namespace ? -1 : a.namespace > b.namespace ? 1 : 0;
}

const isStrict = (mode: MtlsMode): boolean => mode === 'STRICT';

/** Whether workloads of `namespace` are STRICT before any workload policy (mesh, then namespace unless UNSET). */
function inheritedStrict(index: Pick<PeerAuthenticationIndex, 'meshMode' | 'namespaceModes'>, namespace: string): boolean {
  const nsMode = index.namespaceModes.get(namespace);
  return nsMode !== undefined && nsMode !== 'UNSET' ? isStrict(nsMode) : isStrict(index.meshMode);
}

function denyPolicy(view: PeerAuthenticationView, match: AuthorizationMatch): Authorization {
  return {
    name: `${CONVERTED_PEER_AUTHENTICATION_PREFIX}${view.name}`, namespace: view.namespace,
    scope: 'WORKLOAD_SELECTOR', action: 'DENY', dryRun: false, rules: [{ clauses: [{ matches: [match] }] }],
  };
}

/** A workload policy's effect given the modes it inherits: static strict, a converted policy, or nothing. */
function selectorPolicy(view: PeerAuthenticationView, inherited: boolean): { entry: SelectorPolicy; policy?: Authorization } {
  const selector = view.selector ?? {};
  const strict = view.mode === 'UNSET' ? inherited : isStrict(view.mode);
  const ports = view.portModes
    .filter((p) => p.mode !== 'UNSET' && isStrict(p.mode) !== strict)
    .map((p) => p.port);
  if (ports.length === 0) return { entry: { name: view.name, selector, strict } };
  const policy = denyPolicy(view, strict
    ? { ...PRESENCE_DENIED, notDestinationPorts: ports }
    : { ...PRESENCE_DENIED, destinationPorts: ports });
  return { entry: { name: view.name, selector, strict: false, converted: authorizationResourceName(policy) }, policy };
}

function withWarning(result: PeerAuthenticationResult, reason: string): PeerAuthenticationResult {
  return { ...result, warnings: [...result.warnings, { field: 'metadata.creationTimestamp', reason }] };
}

/** Converts every PeerAuthentication of the cluster at once (the effective modes depend on each other). */
export function convertPeerAuthentications(pas: readonly unknown[], opts: ConversionOptions): PeerAuthenticationConversion {
  const results = pas.map((pa) => readPeerAuthentication(pa, opts));
  const views = results.flatMap((r) => (r.view ? [r.view] : [])).sort(oldestFirst);
  const winners = new Map<string, PeerAuthenticationView>();
  const losers = new Map<PeerAuthenticationView, PeerAuthenticationView>();
  for (const view of views) {
    if (view.selector !== undefined) continue;
    const winner = winners.get(view.namespace);
    if (winner) losers.set(view, winner);
    else winners.set(view.namespace, view);
  }
  const meshMode = winners.get(opts.rootNamespace)?.mode ?? 'UNSET';
  const namespaceModes = new Map<string, MtlsMode>();
  for (const [ns, view] of winners) if (ns !== opts.rootNamespace) namespaceModes.set(ns, view.mode);

  const staticStrict: Authorization = {
    name: STATIC_STRICT_POLICY_NAME, namespace: opts.rootNamespace, scope: 'WORKLOAD_SELECTOR', action: 'DENY', dryRun: false,
    rules: [{ clauses: [{ matches: [PRESENCE_DENIED] }] }],
  };
  const policies: Authorization[] = views.length > 0 ? [staticStrict] : [];
  const selectorPolicies = new Map<string, SelectorPolicy[]>();
  for (const view of views) {
    if (view.selector === undefined || view.namespace === opts.rootNamespace) continue;
    const { entry, policy } = selectorPolicy(view, inheritedStrict({ meshMode, namespaceModes }, view.namespace));
    if (policy) policies.push(policy);
    const list = selectorPolicies.get(view.namespace) ?? [];
    list.push(entry);
    selectorPolicies.set(view.namespace, list);
  }
  const scope = (ns: string): string => (ns === opts.rootNamespace ? 'mesh-wide' : 'namespace-wide');
  const annotated = results.map((r) => {
    const winner = r.view && losers.get(r.view);
    return winner
      ? withWarning(r, `another ${scope(r.namespace)} PeerAuthentication, ${show(winner.name)}, is older and takes precedence: this one is ignored`)
      : r;
  });
  return {
    policies,
    index: { rootNamespace: opts.rootNamespace, staticStrict: authorizationResourceName(staticStrict), meshMode, namespaceModes, selectorPolicies },
    results: annotated,
  };
}

/** The PeerAuthentication-derived policy names (`ns/name`) a workload lists in its authorization policies. */
export function peerAuthenticationFor(workload: { readonly namespace: string; readonly labels: Labels }, index: PeerAuthenticationIndex): readonly string[] {
  const winner = workload.namespace === index.rootNamespace
    ? undefined
    : index.selectorPolicies.get(workload.namespace)?.find((p) => selectorMatches(p.selector, workload.labels));
  if (winner?.converted) return [winner.converted];
  const strict = winner ? winner.strict : inheritedStrict(index, workload.namespace);
  return strict ? [index.staticStrict] : [];
}
