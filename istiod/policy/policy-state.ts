// istiod's security-policy state (pure, no I/O): every AuthorizationPolicy and PeerAuthentication
// as last seen, the version of each that is in force (an invalid update is rejected and leaves the
// last valid version enforced), the Authorizations ztunnel gets, the policy names each workload
// lists, and the status conditions each object should carry. Each apply/delete reports what it
// changed so the caller pushes, recomputes and writes only that.

import type { Authorization } from '../../pkg/api/authorization-types';
import { authorizationResourceName } from '../../pkg/api/authorization-types';
import { deepEqual } from '../model/deep-equal';
import { convertAuthorizationPolicy, type AuthorizationPolicyConversion, type ConversionOptions } from './authorization-policy';
import type { FieldProblem } from './field-report';
import { CONVERTED_PEER_AUTHENTICATION_PREFIX, readPeerAuthentication, type PeerAuthenticationResult } from './peer-authentication';
import {
  convertPeerAuthentications, peerAuthenticationFor, STATIC_STRICT_POLICY_NAME, type PeerAuthenticationConversion,
  type PeerAuthenticationIndex,
} from './peer-authentication-index';
import { authorizationPolicyStatus, peerAuthenticationStatus, type PolicyCondition } from './policy-status';
import { selectorMatches, type Labels } from './selector';

export type PolicyKind = 'AuthorizationPolicy' | 'PeerAuthentication';

/** One policy object as the API server returns it. */
export interface PolicyObject {
  readonly namespace: string;
  readonly name: string;
  /** metadata.generation (0 when absent). */
  readonly generation: number;
  /** The whole object; the converters validate it. */
  readonly object: unknown;
}

/** What one apply/delete changed. */
export interface PolicyChanges {
  /** Authorization names (`ns/name`) added, changed or removed. */
  readonly authorizations: Set<string>;
  /** Namespaces whose workloads may list different policies now ('all' when any may). */
  namespaces: Set<string> | 'all';
  /** Objects (`Kind/ns/name`) whose status may have changed. */
  readonly statuses: Set<string>;
  /** Rejections and other news for istiod's log. */
  readonly log: string[];
}

export function emptyChanges(): PolicyChanges {
  return { authorizations: new Set(), namespaces: new Set(), statuses: new Set(), log: [] };
}

export interface PolicyStatusView {
  readonly kind: PolicyKind;
  readonly namespace: string;
  readonly name: string;
  /** The generation the conditions describe (observedGeneration). */
  readonly generation: number;
  readonly conditions: readonly PolicyCondition[];
}

interface ApEntry {
  readonly seen: PolicyObject;
  readonly conversion: AuthorizationPolicyConversion;
  /** The last valid conversion and its generation (the one enforced). */
  readonly inForce?: { readonly conversion: AuthorizationPolicyConversion; readonly generation: number };
}

interface PaEntry {
  readonly seen: PolicyObject;
  readonly result: PeerAuthenticationResult;
  /** The last valid object and its generation (the one enforced). */
  readonly inForce?: { readonly object: unknown; readonly generation: number };
}

const key = (namespace: string, name: string): string => `${namespace}/${name}`;
export const statusKey = (kind: PolicyKind, namespace: string, name: string): string => `${kind}/${namespace}/${name}`;

function listed(problems: readonly FieldProblem[]): string {
  return problems.map((p) => (p.field ? `${p.field}: ${p.reason}` : p.reason)).join('; ');
}

/** Names the PeerAuthentication conversion owns: an AuthorizationPolicy may not take them. */
function reservedNameProblem(name: string): FieldProblem | undefined {
  if (name === STATIC_STRICT_POLICY_NAME || name.startsWith(CONVERTED_PEER_AUTHENTICATION_PREFIX)) {
    return { field: 'metadata.name', reason: `names ${STATIC_STRICT_POLICY_NAME} and ${CONVERTED_PEER_AUTHENTICATION_PREFIX}* are reserved for policies converted from PeerAuthentications` };
  }
  return undefined;
}

export class PolicyState {
  private readonly aps = new Map<string, ApEntry>();
  private readonly pas = new Map<string, PaEntry>();
  /** In-force WORKLOAD_SELECTOR AuthorizationPolicies: namespace → Authorization name → selector. */
  private readonly selectors = new Map<string, Map<string, Labels>>();
  private readonly fromAps = new Map<string, Authorization>();
  private pa: PeerAuthenticationConversion;
  private readonly fromPas = new Map<string, Authorization>();
  private readonly merged = new Map<string, Authorization>();
  private readonly paResults = new Map<string, PeerAuthenticationResult>();

  constructor(private readonly opts: ConversionOptions) {
    this.pa = convertPeerAuthentications([], opts);
  }

  /** Every Authorization to push, by resource name. */
  authorizations(): ReadonlyMap<string, Authorization> {
    return this.merged;
  }

  /** The policy names (sorted) a workload of `namespace` with `labels` lists. */
  workloadPolicies(namespace: string, labels: Labels): string[] {
    const names = new Set<string>();
    const collect = (ns: string): void => {
      for (const [name, selector] of this.selectors.get(ns) ?? []) if (selectorMatches(selector, labels)) names.add(name);
    };
    collect(namespace);
    // A selector policy in the root namespace selects matching workloads of every namespace.
    if (namespace !== this.opts.rootNamespace) collect(this.opts.rootNamespace);
    for (const name of peerAuthenticationFor({ namespace, labels }, this.pa.index)) names.add(name);
    return [...names].sort();
  }

  applyAuthorizationPolicy(obj: PolicyObject, changes: PolicyChanges): void {
    const k = key(obj.namespace, obj.name);
    const previous = this.aps.get(k);
    let conversion = convertAuthorizationPolicy(obj.object, this.opts);
    const reserved = reservedNameProblem(obj.name);
    if (reserved) {
      conversion = {
        name: conversion.name, namespace: conversion.namespace, enforcedBy: conversion.enforcedBy, partial: false,
        problems: [...conversion.problems, reserved], warnings: conversion.warnings,
      };
    }
    const valid = conversion.problems.length === 0;
    const inForce = valid ? { conversion, generation: obj.generation } : previous?.inForce;
    this.aps.set(k, { seen: obj, conversion, ...(inForce ? { inForce } : {}) });
    if (!valid && (!previous || previous.seen.generation !== obj.generation || !deepEqual(previous.conversion.problems, conversion.problems))) {
      changes.log.push(`AuthorizationPolicy ${k} (generation ${obj.generation}) rejected: ${listed(conversion.problems)}; `
        + (inForce ? `generation ${inForce.generation} stays in force` : 'nothing of it is enforced'));
    }
    changes.statuses.add(statusKey('AuthorizationPolicy', obj.namespace, obj.name));
    this.enforceAp(obj.namespace, previous?.inForce?.conversion, inForce?.conversion, changes);
  }

  deleteAuthorizationPolicy(namespace: string, name: string, changes: PolicyChanges): void {
    const previous = this.aps.get(key(namespace, name));
    if (!previous) return;
    this.aps.delete(key(namespace, name));
    this.enforceAp(namespace, previous.inForce?.conversion, undefined, changes);
  }

  applyPeerAuthentication(obj: PolicyObject, changes: PolicyChanges): void {
    const k = key(obj.namespace, obj.name);
    const previous = this.pas.get(k);
    const result = readPeerAuthentication(obj.object, this.opts);
    const valid = result.problems.length === 0;
    const inForce = valid ? { object: obj.object, generation: obj.generation } : previous?.inForce;
    this.pas.set(k, { seen: obj, result, ...(inForce ? { inForce } : {}) });
    if (!valid && (!previous || previous.seen.generation !== obj.generation || !deepEqual(previous.result.problems, result.problems))) {
      changes.log.push(`PeerAuthentication ${k} (generation ${obj.generation}) rejected: ${listed(result.problems)}; `
        + (inForce ? `generation ${inForce.generation} stays in force` : 'it is ignored'));
    }
    this.recomputePas(changes);
  }

  deletePeerAuthentication(namespace: string, name: string, changes: PolicyChanges): void {
    if (!this.pas.delete(key(namespace, name))) return;
    this.recomputePas(changes);
  }

  /** The conditions an object should carry now; undefined for an unknown object. */
  status(kind: PolicyKind, namespace: string, name: string): PolicyStatusView | undefined {
    const k = key(namespace, name);
    if (kind === 'AuthorizationPolicy') {
      const e = this.aps.get(k);
      if (!e) return undefined;
      const previous = e.conversion.problems.length > 0 ? e.inForce?.generation : undefined;
      return { kind, namespace, name, generation: e.seen.generation, conditions: authorizationPolicyStatus(e.conversion, previous) };
    }
    const e = this.pas.get(k);
    if (!e) return undefined;
    if (e.result.problems.length > 0) {
      return { kind, namespace, name, generation: e.seen.generation, conditions: peerAuthenticationStatus(e.result, e.inForce?.generation) };
    }
    return { kind, namespace, name, generation: e.seen.generation, conditions: peerAuthenticationStatus(this.paResults.get(k) ?? e.result) };
  }

  // ---- internals

  private enforceAp(namespace: string, before: AuthorizationPolicyConversion | undefined, after: AuthorizationPolicyConversion | undefined,
    changes: PolicyChanges): void {
    const oldName = before?.policy && authorizationResourceName(before.policy);
    const newName = after?.policy && authorizationResourceName(after.policy);
    if (oldName && (oldName !== newName || !deepEqual(before?.policy, after?.policy))) {
      this.fromAps.delete(oldName);
      this.merge(oldName, changes);
    }
    if (newName && after?.policy && !deepEqual(this.fromAps.get(newName), after.policy)) {
      this.fromAps.set(newName, after.policy);
      this.merge(newName, changes);
    }
    const hadSelector = before?.selector !== undefined && oldName !== undefined;
    const hasSelector = after?.selector !== undefined && newName !== undefined;
    if ((hadSelector || hasSelector) && (!deepEqual(before?.selector, after?.selector) || oldName !== newName)) {
      if (oldName) this.selectors.get(namespace)?.delete(oldName);
      if (newName && after?.selector) {
        let m = this.selectors.get(namespace);
        if (!m) this.selectors.set(namespace, (m = new Map()));
        m.set(newName, after.selector);
      }
      if (this.selectors.get(namespace)?.size === 0) this.selectors.delete(namespace);
      this.touchNamespace(namespace, changes);
    }
  }

  private touchNamespace(namespace: string, changes: PolicyChanges): void {
    if (changes.namespaces === 'all') return;
    if (namespace === this.opts.rootNamespace) changes.namespaces = 'all';
    else changes.namespaces.add(namespace);
  }

  /** PeerAuthentications decide together (precedence, inherited modes): convert them all again. */
  private recomputePas(changes: PolicyChanges): void {
    const inForce = [...this.pas.entries()].filter(([, e]) => e.inForce !== undefined);
    const next = convertPeerAuthentications(inForce.map(([, e]) => e.inForce?.object), this.opts);
    this.paResults.clear();
    next.results.forEach((r, i) => { const k = inForce[i]?.[0]; if (k !== undefined) this.paResults.set(k, r); });
    for (const e of this.pas.values()) changes.statuses.add(statusKey('PeerAuthentication', e.seen.namespace, e.seen.name));

    const nextPolicies = new Map(next.policies.map((p) => [authorizationResourceName(p), p]));
    for (const name of new Set([...this.fromPas.keys(), ...nextPolicies.keys()])) {
      const p = nextPolicies.get(name);
      if (deepEqual(this.fromPas.get(name), p)) continue;
      if (p) this.fromPas.set(name, p);
      else this.fromPas.delete(name);
      this.merge(name, changes);
    }
    this.diffPaIndex(this.pa.index, next.index, changes);
    this.pa = next;
  }

  private diffPaIndex(a: PeerAuthenticationIndex, b: PeerAuthenticationIndex, changes: PolicyChanges): void {
    if (a.meshMode !== b.meshMode || a.staticStrict !== b.staticStrict) {
      changes.namespaces = 'all';
      return;
    }
    for (const ns of new Set([...a.namespaceModes.keys(), ...b.namespaceModes.keys(), ...a.selectorPolicies.keys(), ...b.selectorPolicies.keys()])) {
      if (a.namespaceModes.get(ns) !== b.namespaceModes.get(ns) || !deepEqual(a.selectorPolicies.get(ns), b.selectorPolicies.get(ns))) {
        this.touchNamespace(ns, changes);
      }
    }
  }

  /** An AuthorizationPolicy and a converted PeerAuthentication never share a name (reserved names). */
  private merge(name: string, changes: PolicyChanges): void {
    const p = this.fromPas.get(name) ?? this.fromAps.get(name);
    if (deepEqual(this.merged.get(name), p)) return;
    if (p) this.merged.set(name, p);
    else this.merged.delete(name);
    changes.authorizations.add(name);
  }
}
