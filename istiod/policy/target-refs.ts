// `spec.targetRef` / `spec.targetRefs` of a security policy, read strictly: what a waypoint
// enforces (a Gateway, Service or ServiceEntry of the policy's namespace, or the istio-waypoint
// GatewayClass from the root namespace). Their presence is what moves a policy from ztunnel to
// the waypoint. Pure.

import {
  checkKnownFields, FieldReport, type JsonObject, own, readList, readObject, readString, show,
} from './field-report';
import { DNS_SUBDOMAIN } from './string-forms';

/** Istio's bound on targetRefs. */
export const MAX_TARGET_REFS = 16;

const KINDS: readonly { readonly group: string; readonly kind: string }[] = [
  { group: 'gateway.networking.k8s.io', kind: 'Gateway' },
  { group: '', kind: 'Service' },
  { group: 'networking.istio.io', kind: 'ServiceEntry' },
  { group: 'gateway.networking.k8s.io', kind: 'GatewayClass' },
];

function checkRef(ref: JsonObject, path: string, policyNamespace: string, rootNamespace: string, report: FieldReport): void {
  checkKnownFields(ref, ['group', 'kind', 'name', 'namespace'], path, report);
  const group = readString(own(ref, 'group'), `${path}.group`, report, true) ?? '';
  const kind = readString(own(ref, 'kind'), `${path}.kind`, report);
  const name = readString(own(ref, 'name'), `${path}.name`, report);
  const namespace = readString(own(ref, 'namespace'), `${path}.namespace`, report);
  if (kind === undefined) report.problem(`${path}.kind`, 'is required');
  else if (!KINDS.some((k) => k.kind === kind && k.group === group)) {
    report.problem(`${path}.kind`, `${show(group ? `${group}/${kind}` : kind)} cannot be a policy target `
      + `(Gateway, Service, ServiceEntry, or GatewayClass in the root namespace)`);
  } else if (kind === 'GatewayClass' && policyNamespace !== rootNamespace) {
    report.problem(`${path}.kind`, `a GatewayClass can be targeted only from the root namespace ${show(rootNamespace)}`);
  }
  if (name === undefined) report.problem(`${path}.name`, 'is required');
  else if (name.length > 253 || !DNS_SUBDOMAIN.test(name)) report.problem(`${path}.name`, `${show(name)} is not a valid object name`);
  if (namespace !== undefined && namespace !== policyNamespace) {
    report.problem(`${path}.namespace`, 'a policy can target only objects of its own namespace');
  }
}

/** Checks targetRef/targetRefs; `present` when the policy targets anything (→ the waypoint). */
export function readTargetRefs(spec: JsonObject, policyNamespace: string, rootNamespace: string, report: FieldReport): { readonly present: boolean } {
  const single = readObject(own(spec, 'targetRef'), 'spec.targetRef', report);
  const many = readList(own(spec, 'targetRefs'), 'spec.targetRefs', report, MAX_TARGET_REFS);
  if (single && many && many.length > 0) report.problem('spec.targetRefs', 'only one of targetRef and targetRefs may be set');
  if (single) checkRef(single, 'spec.targetRef', policyNamespace, rootNamespace, report);
  many?.forEach((item, i) => {
    const ref = readObject(item, `spec.targetRefs[${i}]`, report);
    if (ref) checkRef(ref, `spec.targetRefs[${i}]`, policyNamespace, rootNamespace, report);
    else if (item === null || item === undefined) report.problem(`spec.targetRefs[${i}]`, 'must not be null');
  });
  return { present: single !== undefined || (many !== undefined && many.length > 0) };
}
