// The L7 security resources behind the waypoint configs (pure, no I/O): every AuthorizationPolicy and
// RequestAuthentication as last seen, the version each waypoint enforces (an invalid update leaves
// the last valid one in force; an AuthorizationPolicy never valid but with readable targetRefs is
// enforced as an ALLOW policy with no rules — fail closed), and an index of those versions by what
// their targetRefs name, so a waypoint's build looks only at the policies that can reach it.
// Each apply/delete records the namespaces (or, for the istio-waypoint GatewayClass, every
// waypoint) it touched and, for RequestAuthentications, whose status needs a check.

import type { JwtRule, L7Action, L7Rule } from '../../pkg/api/waypoint-security-types';
import type { MeshPolicy } from '../kube/mesh-types';
import { deepEqual } from '../model/deep-equal';
import { convertAuthorizationPolicy, type ConversionOptions } from '../policy/authorization-policy';
import { type FieldProblem, FieldReport, isObject, own } from '../policy/field-report';
import { convertRequestAuthentication, requestAuthenticationStatus, type RequestAuthnConversion } from '../policy/request-authentication';
import { readTargetRefs, type PolicyTargetRef } from '../policy/target-refs';
import { GATEWAY_CLASS_WAYPOINT } from '../waypoint/types';
import type { RouteCondition, StatusView } from './route-status';
import type { Touched } from './touched';

/** A policy version some waypoint may enforce, with the refs that attach it. */
export interface Attached {
  readonly namespace: string;
  readonly name: string;
  /** Valid refs only; ServiceEntry refs are kept but never resolve. */
  readonly refs: readonly PolicyTargetRef[];
}

export interface AttachedAuthz extends Attached {
  readonly action: L7Action;
  readonly dryRun: boolean;
  readonly rules: readonly L7Rule[];
  /** Never valid: sent as ALLOW with no rules until it is fixed. */
  readonly failClosed: boolean;
}

export interface AttachedAuthn extends Attached {
  readonly rules: readonly JwtRule[];
}

/** The versions in force that may reach one waypoint (before their refs are resolved against it). */
export interface AttachedSecurity {
  readonly authorization: readonly AttachedAuthz[];
  readonly authentication: readonly AttachedAuthn[];
}

interface AuthzEntry {
  readonly generation: number;
  readonly identity: string;
  readonly problems: readonly FieldProblem[];
  /** Generation of the last valid version (enforced by ztunnel or a waypoint). */
  readonly validGeneration?: number;
  readonly enforced?: AttachedAuthz;
}

interface AuthnEntry {
  readonly generation: number;
  readonly identity: string;
  readonly object: unknown;
  readonly conversion: RequestAuthnConversion;
  readonly inForce?: { readonly generation: number; readonly enforced?: AttachedAuthn };
}

export const REQUEST_AUTHENTICATION = 'RequestAuthentication';
export const authnStatusKey = (namespace: string, name: string): string => `${REQUEST_AUTHENTICATION}/${namespace}/${name}`;
const listed = (problems: readonly FieldProblem[]): string => problems.map((p) => (p.field ? `${p.field}: ${p.reason}` : p.reason)).join('; ');

/** spec, annotations (istio.io/dry-run) and creationTimestamp as JSON: a status-only update leaves it unchanged. */
export function securityIdentity(object: unknown): string {
  const o = (isObject(object) ? object : {}) as { spec?: unknown; metadata?: { annotations?: unknown; creationTimestamp?: unknown } };
  try {
    return JSON.stringify([o.spec ?? null, o.metadata?.annotations ?? null, o.metadata?.creationTimestamp ?? null]);
  } catch {
    return String(Math.random());
  }
}

/** The valid targetRefs of an object that failed conversion (for fail-closed enforcement). */
function readableRefs(obj: MeshPolicy, rootNamespace: string): readonly PolicyTargetRef[] {
  const spec = isObject(obj.object) ? own(obj.object, 'spec') : undefined;
  if (!isObject(spec)) return [];
  return readTargetRefs(spec, obj.namespace, rootNamespace, new FieldReport()).refs;
}

/** Versions in force by what their refs name: "Gateway/<ns>/<name>", "Service/<ns>/<name>", "GatewayClass". */
class AttachmentIndex<T extends Attached> {
  private readonly items = new Map<string, T>();
  private readonly byTarget = new Map<string, Set<string>>();

  constructor(private readonly rootNamespace: string) {}

  get(key: string): T | undefined {
    return this.items.get(key);
  }

  set(key: string, next: T | undefined, t: Touched): void {
    const previous = this.items.get(key);
    if (previous === next) return;
    if (previous) {
      for (const target of this.targetsOf(previous)) {
        const set = this.byTarget.get(target);
        set?.delete(key);
        if (set?.size === 0) this.byTarget.delete(target);
      }
      this.touch(previous, t);
    }
    if (next) {
      this.items.set(key, next);
      for (const target of this.targetsOf(next)) {
        let set = this.byTarget.get(target);
        if (!set) this.byTarget.set(target, (set = new Set()));
        set.add(key);
      }
      this.touch(next, t);
    } else {
      this.items.delete(key);
    }
  }

  /** Versions whose refs name this Gateway, one of these Services ("ns/name") or the waypoint GatewayClass. */
  near(gatewayNamespace: string, gatewayName: string, services: readonly string[]): T[] {
    const keys = new Set<string>();
    const collect = (target: string): void => { for (const k of this.byTarget.get(target) ?? []) keys.add(k); };
    collect(`Gateway/${gatewayNamespace}/${gatewayName}`);
    collect('GatewayClass');
    for (const svc of services) collect(`Service/${svc}`);
    return [...keys].map((k) => this.items.get(k)).filter((v): v is T => v !== undefined);
  }

  private targetsOf(item: T): string[] {
    const out: string[] = [];
    for (const ref of item.refs) {
      if (ref.kind === 'Gateway' || ref.kind === 'Service') out.push(`${ref.kind}/${item.namespace}/${ref.name}`);
      else if (ref.kind === 'GatewayClass' && ref.name === GATEWAY_CLASS_WAYPOINT && item.namespace === this.rootNamespace) out.push('GatewayClass');
    }
    return out;
  }

  private touch(item: T, t: Touched): void {
    t.namespaces.add(item.namespace);
    if (this.targetsOf(item).includes('GatewayClass')) t.all = true;
  }
}

export class SecurityState {
  private readonly authz = new Map<string, AuthzEntry>();
  private readonly authn = new Map<string, AuthnEntry>();
  private readonly authzIndex: AttachmentIndex<AttachedAuthz>;
  private readonly authnIndex: AttachmentIndex<AttachedAuthn>;

  constructor(private readonly opts: ConversionOptions) {
    this.authzIndex = new AttachmentIndex(opts.rootNamespace);
    this.authnIndex = new AttachmentIndex(opts.rootNamespace);
  }

  applyAuthorizationPolicy(obj: MeshPolicy, t: Touched): void {
    const key = `${obj.namespace}/${obj.name}`;
    const previous = this.authz.get(key);
    const identity = securityIdentity(obj.object);
    if (previous && previous.generation === obj.generation && previous.identity === identity) return;
    const c = convertAuthorizationPolicy(obj.object, this.opts);
    let validGeneration: number | undefined;
    let enforced: AttachedAuthz | undefined;
    if (c.problems.length === 0) {
      validGeneration = obj.generation;
      enforced = c.enforcedBy === 'waypoint' && c.l7
        ? { namespace: obj.namespace, name: obj.name, action: c.l7.action, dryRun: c.l7.dryRun, rules: c.l7.rules, refs: c.l7.refs, failClosed: false }
        : undefined;
    } else if (previous?.validGeneration !== undefined) {
      validGeneration = previous.validGeneration;
      enforced = previous.enforced;
    } else {
      const refs = readableRefs(obj, this.opts.rootNamespace);
      enforced = refs.length > 0 ? { namespace: obj.namespace, name: obj.name, action: 'ALLOW', dryRun: false, rules: [], refs, failClosed: true } : undefined;
    }
    const targeted = c.enforcedBy === 'waypoint' || previous?.enforced !== undefined;
    if (c.problems.length > 0 && targeted && (!previous || previous.generation !== obj.generation || !deepEqual(previous.problems, c.problems))) {
      const outcome = enforced?.failClosed ? 'waypoints enforce it as an ALLOW policy with no rules (allowing nothing) until it is fixed'
        : enforced ? `waypoints keep enforcing generation ${validGeneration ?? '?'}`
          : 'no waypoint enforces it';
      t.log.push(`AuthorizationPolicy ${key} (generation ${obj.generation}) rejected: ${listed(c.problems)}; ${outcome}`);
    }
    this.authz.set(key, {
      generation: obj.generation, identity, problems: c.problems,
      ...(validGeneration !== undefined ? { validGeneration } : {}), ...(enforced ? { enforced } : {}),
    });
    this.authzIndex.set(key, reuse(this.authzIndex.get(key), enforced), t);
  }

  deleteAuthorizationPolicy(namespace: string, name: string, t: Touched): void {
    const key = `${namespace}/${name}`;
    if (!this.authz.delete(key)) return;
    this.authzIndex.set(key, undefined, t);
  }

  applyRequestAuthentication(obj: MeshPolicy, t: Touched): void {
    const key = `${obj.namespace}/${obj.name}`;
    const previous = this.authn.get(key);
    const identity = securityIdentity(obj.object);
    t.authnStatusKeys.add(authnStatusKey(obj.namespace, obj.name));
    if (previous && previous.generation === obj.generation && previous.identity === identity) {
      // Only the stored status (or other metadata) changed: re-check this object's status alone.
      this.authn.set(key, { ...previous, object: obj.object });
      return;
    }
    const c = convertRequestAuthentication(obj.object, { rootNamespace: this.opts.rootNamespace });
    const valid = c.problems.length === 0;
    const enforced: AttachedAuthn | undefined = valid && c.rules !== undefined && c.rules.length > 0 && c.refs.length > 0
      ? { namespace: obj.namespace, name: obj.name, rules: c.rules, refs: c.refs }
      : undefined;
    const inForce = valid ? { generation: obj.generation, ...(enforced ? { enforced } : {}) } : previous?.inForce;
    if (!valid && (!previous || previous.generation !== obj.generation || !deepEqual(previous.conversion.problems, c.problems))) {
      t.log.push(`RequestAuthentication ${key} (generation ${obj.generation}) rejected: ${listed(c.problems)}; `
        + (inForce ? `generation ${inForce.generation} stays in force` : 'nothing of it is applied'));
    }
    this.authn.set(key, { generation: obj.generation, identity, object: obj.object, conversion: c, ...(inForce ? { inForce } : {}) });
    this.authnIndex.set(key, reuse(this.authnIndex.get(key), inForce?.enforced), t);
  }

  deleteRequestAuthentication(namespace: string, name: string, t: Touched): void {
    const key = `${namespace}/${name}`;
    if (!this.authn.delete(key)) return;
    this.authnIndex.set(key, undefined, t);
  }

  /** Versions in force whose refs may reach the waypoint of this Gateway with these bound Services ("ns/name"). */
  near(gatewayNamespace: string, gatewayName: string, services: readonly string[]): AttachedSecurity {
    return {
      authorization: this.authzIndex.near(gatewayNamespace, gatewayName, services),
      authentication: this.authnIndex.near(gatewayNamespace, gatewayName, services),
    };
  }

  /** Status keys of every RequestAuthentication seen. */
  authnStatusKeys(): string[] {
    return [...this.authn.keys()].map((k) => `${REQUEST_AUTHENTICATION}/${k}`);
  }

  /** A RequestAuthentication's last seen object and the status it should carry; undefined once deleted. */
  authnStatus(statusKey: string): { readonly namespace: string; readonly name: string; readonly object: unknown; readonly view: StatusView } | undefined {
    if (!statusKey.startsWith(`${REQUEST_AUTHENTICATION}/`)) return undefined;
    const key = statusKey.slice(REQUEST_AUTHENTICATION.length + 1);
    const e = this.authn.get(key);
    if (!e) return undefined;
    const previous = e.conversion.problems.length > 0 ? e.inForce?.generation : undefined;
    const conditions: readonly RouteCondition[] = requestAuthenticationStatus(e.conversion, previous);
    const slash = key.indexOf('/');
    return { namespace: key.slice(0, slash), name: key.slice(slash + 1), object: e.object, view: { shape: 'conditions', generation: e.generation, conditions } };
  }
}

/** The same object when nothing changed, so an unchanged re-apply touches nothing. */
function reuse<T>(previous: T | undefined, next: T | undefined): T | undefined {
  return previous !== undefined && next !== undefined && deepEqual(previous, next) ? previous : next;
}
