// Keeps the registry in step with stored CustomResourceDefinitions: checks a CRD before it is
// stored (422 naming the field), marks it NamesAccepted/Established, registers its type when it
// is stored, and on deletion unregisters the type and deletes the custom objects it served.

import { invalid, StatusCause } from './errors';
import { timestamp } from './object-meta';
import { crdToType, Registry } from './registry';
import type { Store } from './store';
import { isRecord, KubeObject, ResourceType } from './types';

const CRD_KEY = { group: 'apiextensions.k8s.io', plural: 'customresourcedefinitions' } as const;

/** `field: message` strings (as crdToType reports them) as Status causes. */
function causesOf(problems: string[]): StatusCause[] {
  return problems.map((p) => {
    const at = p.indexOf(': ');
    return at > 0 ? { field: p.slice(0, at), message: p.slice(at + 2) } : { message: p };
  });
}

function condition(type: string, reason: string, message: string, old: unknown): Record<string, unknown> {
  const previous = Array.isArray(old) ? old.find((c) => isRecord(c) && c.type === type && c.status === 'True') : undefined;
  const since = isRecord(previous) && typeof previous.lastTransitionTime === 'string' ? previous.lastTransitionTime : timestamp();
  return { type, status: 'True', lastTransitionTime: since, reason, message };
}

/** The store admission for CRDs: validation, immutable identity, and the accepted status. */
function admitCrd(registry: Registry, op: 'create' | 'update', crd: KubeObject, old: KubeObject | undefined): void {
  const name = crd.metadata.name ?? '';
  const { type, problems } = crdToType(crd);
  const fail = (p: string[]): never => { throw invalid('apiextensions.k8s.io', 'CustomResourceDefinition', name, causesOf(p)); };
  if (!type) return fail(problems);
  const existing = registry.find(type.group, type.plural);
  if (existing && !registry.isCustom(existing)) fail([`spec.group: Invalid value: "${type.group}": ${type.plural}.${type.group || 'core'} is a built-in resource`]);
  if (op === 'update' && old) {
    const before = crdToType(old).type;
    if (before && before.group !== type.group) fail([`spec.group: Invalid value: "${type.group}": field is immutable`]);
    if (before && before.plural !== type.plural) fail([`spec.names.plural: Invalid value: "${type.plural}": field is immutable`]);
    if (before && before.namespaced !== type.namespaced) fail(['spec.scope: Invalid value: field is immutable']);
  }
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const oldStatus = isRecord(old?.status) ? old.status : {};
  const storage = Array.isArray(spec.versions) ? spec.versions.filter(isRecord).find((v) => v.storage === true) : undefined;
  const stored = Array.isArray(oldStatus.storedVersions) ? oldStatus.storedVersions.filter((v) => typeof v === 'string') : [];
  if (storage && typeof storage.name === 'string' && !stored.includes(storage.name)) stored.push(storage.name);
  crd.status = {
    conditions: [
      condition('NamesAccepted', 'NoConflicts', 'no conflicts found', oldStatus.conditions),
      condition('Established', 'InitialNamesAccepted', 'the initial names have been accepted', oldStatus.conditions),
    ],
    acceptedNames: isRecord(spec.names) ? spec.names : {},
    storedVersions: stored,
  };
  return undefined;
}

/**
 * Registers the stored CRDs, then follows changes. `changed` is called whenever the set of
 * served types changes (discovery and OpenAPI caches drop then). Returns the unsubscribe.
 */
export function startCrdSync(store: Store, registry: Registry, changed: () => void): () => void {
  const crdType = registry.find(CRD_KEY.group, CRD_KEY.plural) as ResourceType;
  store.addAdmission((op, type, obj, old) => {
    if (type.group === CRD_KEY.group && type.plural === CRD_KEY.plural) admitCrd(registry, op, obj, old);
  });
  for (const crd of store.list(crdType).items) {
    const problems = registry.registerCrd(crd);
    if (problems.length) process.stderr.write(`apiserver: stored CRD ${crd.metadata.name} is not served: ${problems.join('; ')}\n`);
  }
  changed();
  return store.subscribe((e) => {
    if (e.typeKey !== `${CRD_KEY.group}/${CRD_KEY.plural}`) return;
    const name = e.object.metadata.name ?? '';
    if (e.type !== 'DELETED') {
      registry.registerCrd(e.object);
      changed();
      return;
    }
    const served = registry.unregisterCrd(name);
    changed();
    if (!served) return;
    for (const o of store.list(served).items) {
      if (store.tryGet(served, o.metadata.namespace, o.metadata.name ?? '')) store.delete(served, o.metadata.namespace, o.metadata.name ?? '');
    }
  });
}
