// `spec.targetRef` / `spec.targetRefs` of a security policy, read strictly: what a waypoint
// enforces (a Gateway, Service or ServiceEntry of the policy's namespace, or the istio-waypoint
// GatewayClass from the root namespace). Their presence is what moves a policy from ztunnel to
// the waypoint. The valid refs are returned for whoever resolves them to waypoints. Pure.

import {
  checkKnownFields, FieldReport, type JsonObject, own, readList, readObject, readString, show,
} from './field-report';
import { DNS_SUBDOMAIN } from './string-forms';

/** Istio's bound on targetRefs. */
export const MAX_TARGET_REFS = 16;

export type PolicyTargetKind = 'Gateway' | 'Service' | 'ServiceEntry' | 'GatewayClass';

/** One valid target of a policy (always in the policy's own namespace). */
export interface PolicyTargetRef {
  readonly kind: PolicyTargetKind;
  readonly name: string;
}

export interface TargetRefs {
  /** The policy targets something (→ the waypoint), even if some refs are invalid. */
  readonly present: boolean;
  /** The valid refs, in order (targetRef alone is one ref). */
  readonly refs: readonly PolicyTargetRef[];
  /** The field of each valid ref (`spec.targetRefs[2]`), same order. */
  readonly fields: readonly string[];
}

const KINDS: readonly { readonly group: string; readonly kind: PolicyTargetKind }[] = [
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
];

/** Checks one ref; returns it when valid. */
function checkRef(ref: JsonObject, path: string, policyNamespace: string, rootNamespace: string, report: FieldReport): PolicyTargetRef | undefined {
  let valid = true;
  const fail = (field: string, reason: string): void => {
    report.problem(field, reason);
    valid = false;
  };
  checkKnownFields(ref, ['group', 'kind', 'name', 'namespace'], path, report);
  const rawGroup = own(ref, 'group');
  const groupValue = readString(rawGroup, `${path}.group`, report, true);
  if (groupValue === undefined && rawGroup !== undefined && rawGroup !== null) valid = false;
  const group = groupValue ?? '';
  const kind = readString(own(ref, 'kind'), `${path}.kind`, report);
  const name = readString(own(ref, 'name'), `${path}.name`, report);
  const namespace = readString(own(ref, 'namespace'), `${path}.namespace`, report);
  if (kind === undefined) fail(`${path}.kind`, 'is required');
  else if (!KINDS.some((k) => k.kind === kind && k.group === group)) {
    fail(`${path}.kind`, `${show(group ? `${group}/${kind}` : kind)} cannot be a policy target `
      + `(Gateway, Service, ServiceEntry, or GatewayClass in the root namespace)`);
  } else if (kind === 'GatewayClass' && policyNamespace !== rootNamespace) {
    fail(`${path}.kind`, `a GatewayClass can be targeted only from the root namespace ${show(rootNamespace)}`);
  }
  if (name === undefined) fail(`${path}.name`, 'is required');
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) fail(`${path}.name`, `${show(name)} is not a valid object name`);
  if (namespace === undefined && own(ref, 'namespace') !== undefined && own(ref, 'namespace') !== null) valid = false;
  if (namespace !== undefined && namespace !== policyNamespace) {
    fail(`${path}.namespace`, 'a policy can target only objects of its own namespace');
  }
  const known = KINDS.find((k) => k.kind === kind && k.group === group);
  if (!valid || !known || name === undefined) return undefined;
  return { kind: known.kind, name };
}

/** Checks targetRef/targetRefs; `present` when the policy targets anything (→ the waypoint). */
export function readTargetRefs(spec: JsonObject, policyNamespace: string, rootNamespace: string, report: FieldReport): TargetRefs {
  const refs: PolicyTargetRef[] = [];
  const fields: string[] = [];
  const keep = (ref: PolicyTargetRef | undefined, field: string): void => {
    if (!ref) return;
    refs.push(Object.freeze(ref));
    fields.push(field);
  };
  const single = readObject(own(spec, 'targetRef'), 'spec.targetRef', report);
  const many = readList(own(spec, 'targetRefs'), 'spec.targetRefs', report, MAX_TARGET_REFS);
  if (single && many && many.length > 0) report.problem('spec.targetRefs', 'only one of targetRef and targetRefs may be set');
  if (single) keep(checkRef(single, 'spec.targetRef', policyNamespace, rootNamespace, report), 'spec.targetRef');
  many?.forEach((item, i) => {
    const ref = readObject(item, `spec.targetRefs[${i}]`, report);
    if (ref) keep(checkRef(ref, `spec.targetRefs[${i}]`, policyNamespace, rootNamespace, report), `spec.targetRefs[${i}]`);
    else if (item === null || item === undefined) report.problem(`spec.targetRefs[${i}]`, 'must not be null');
  });
  return { present: single !== undefined || (many !== undefined && many.length > 0), refs: Object.freeze(refs), fields: Object.freeze(fields) };
}

/** Warns about each ServiceEntry ref: a waypoint enforces nothing for it. */
export function warnServiceEntryRefs(targets: TargetRefs, report: FieldReport): void {
  targets.refs.forEach((ref, i) => {
    if (ref.kind === 'ServiceEntry') {
      report.warn(targets.fields[i] ?? 'spec.targetRefs', 'ServiceEntry targets are not supported by ambit\'s waypoint; this ref is ignored');
    }
  });
}
