// L4 authorization decisions at the destination ztunnel (Istio's semantics, istio-ambient.md §3.6),
// pure over plain data: which policies apply to a destination workload (selectPolicies), and
// whether they admit one connection (evaluate). Order: a policy the workload names but that has
// not been received → deny (stricter than Istio, which skips it and may allow during the race);
// any matching DENY → deny; no ALLOW policy → allow; a matching ALLOW → allow; else deny.
// Dry-run policies never decide; when enforcing them as well would deny a connection that is
// allowed, the decision carries `dryRunWouldDeny`.

import { principalOf, type SpiffeId } from '../../pkg/identity/spiffe';
import { policyMatches, type CompiledPolicy, type PeerFacts } from './compile';
import { parseIp } from '../../pkg/api/ip-match';
import type { PolicyIndex } from './policy-index';

export interface ConnectionAttributes {
  /** The verified peer identity; undefined for plaintext. */
  readonly sourceIdentity?: SpiffeId;
  readonly sourceIp: string;
  readonly destinationIp: string;
  readonly destinationPort: number;
}

export interface DestinationWorkload {
  readonly namespace: string;
  /** `ns/name` of the WORKLOAD_SELECTOR policies istiod attached to the workload. */
  readonly authorizationPolicies: readonly string[];
}

/** The policies that apply to one destination, and the names it lists that the index lacks. */
export interface PolicySelection {
  readonly policies: readonly CompiledPolicy[];
  readonly missing: readonly string[];
}

export interface PolicyVerdict {
  readonly allowed: boolean;
  /** `ns/name` of the deciding policy (the DENY or ALLOW that matched, or the missing one). */
  readonly policy?: string;
  /** For a person: why. */
  readonly reason: string;
}

export interface PolicyDecision extends PolicyVerdict {
  /** Present when enforcing the dry-run policies too would deny this (allowed) connection. */
  readonly dryRunWouldDeny?: { readonly policy?: string; readonly reason: string };
}

const NO_MISSING: readonly string[] = Object.freeze([]);

/** NAMESPACE policies of dest.namespace ∪ GLOBAL policies ∪ the workload's listed policies. */
export function selectPolicies(dest: DestinationWorkload, index: PolicyIndex): PolicySelection {
  const inNamespace = index.byNamespace.get(dest.namespace) ?? [];
  const policies = index.global.length === 0 ? [...inNamespace] : [...index.global, ...inNamespace];
  if (dest.authorizationPolicies.length === 0) return { policies, missing: NO_MISSING };
  const missing: string[] = [];
  let listed: Set<string> | undefined;
  for (const key of dest.authorizationPolicies) {
    const p = index.byName.get(key);
    if (p === undefined) {
      missing.push(key);
      continue;
    }
    // Already selected by scope?
    if (p.scope === 'GLOBAL' || (p.scope === 'NAMESPACE' && p.namespace === dest.namespace)) continue;
    listed ??= new Set();
    if (listed.has(key)) continue;
    listed.add(key);
    policies.push(p);
  }
  return { policies, missing: missing.length === 0 ? NO_MISSING : missing };
}

function decide(policies: readonly CompiledPolicy[], facts: PeerFacts, withDryRun: boolean): PolicyVerdict {
  for (const p of policies) {
    if (p.action === 'DENY' && (withDryRun || !p.dryRun) && policyMatches(p, facts)) {
      return { allowed: false, policy: p.key, reason: `denied by DENY policy ${p.key}` };
    }
  }
  let allowPolicies = 0;
  for (const p of policies) {
    if (p.action !== 'ALLOW' || (p.dryRun && !withDryRun)) continue;
    allowPolicies++;
    if (policyMatches(p, facts)) return { allowed: true, policy: p.key, reason: `allowed by ALLOW policy ${p.key}` };
  }
  if (allowPolicies === 0) return { allowed: true, reason: 'no ALLOW policy applies' };
  return { allowed: false, reason: `no ALLOW policy matched (${allowPolicies} apply)` };
}

/** Decides one connection against the selected policies. Never throws. */
export function evaluate(selection: PolicySelection, conn: ConnectionAttributes): PolicyDecision {
  const missingKey = selection.missing[0];
  if (missingKey !== undefined) {
    return { allowed: false, policy: missingKey, reason: `policy ${missingKey} referenced by the workload has not been received` };
  }
  const sourceIp = parseIp(conn.sourceIp);
  if (sourceIp === undefined) return { allowed: false, reason: `source address ${JSON.stringify(String(conn.sourceIp))} is not an IP address` };
  const destinationIp = parseIp(conn.destinationIp);
  if (destinationIp === undefined) {
    return { allowed: false, reason: `destination address ${JSON.stringify(String(conn.destinationIp))} is not an IP address` };
  }
  const port = conn.destinationPort;
  if (!Number.isInteger(port) || port < 1 || port > 65535) return { allowed: false, reason: `destination port ${String(port)} is not a port` };
  const id = conn.sourceIdentity;
  const facts: PeerFacts = {
    principal: id ? principalOf(id) : undefined,
    namespace: id?.namespace,
    serviceAccount: id ? `${id.namespace}/${id.serviceAccount}` : undefined,
    sourceIp,
    destinationIp,
    destinationPort: port,
  };
  const enforced = decide(selection.policies, facts, false);
  if (!enforced.allowed || !selection.policies.some((p) => p.dryRun)) return enforced;
  const withDryRun = decide(selection.policies, facts, true);
  if (withDryRun.allowed) return enforced;
  const { policy, reason } = withDryRun;
  return { ...enforced, dryRunWouldDeny: policy === undefined ? { reason } : { policy, reason } };
}

/** selectPolicies then evaluate. */
export function authorizeConnection(index: PolicyIndex, dest: DestinationWorkload, conn: ConnectionAttributes): PolicyDecision {
  return evaluate(selectPolicies(dest, index), conn);
}
