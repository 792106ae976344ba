// Built-in defaulting and validation of the core kinds, run by the store as a mutating admission
// on create and update: Namespace phase and name label, Pod and Service defaults, workload
// selectors (required, must match the template), Secret stringData folded into data.

import { invalid, StatusCause } from './errors';
import { isRecord, KubeObject, ResourceType } from './types';
import { labelSelectorFromObject } from './selectors';

type Obj = Record<string, unknown>;

/** The record at `obj[key]`, created when absent (obj is a private clone the admission may change). */
function child(obj: Obj, key: string): Obj {
  const v = obj[key];
  if (isRecord(v)) return v;
  const created: Obj = {};
  obj[key] = created;
  return created;
}

function defaultNamespace(obj: KubeObject): void {
  const name = obj.metadata.name ?? '';
  obj.metadata.labels = { ...(obj.metadata.labels ?? {}), 'kubernetes.io/metadata.name': name };
  const status = child(obj, 'status');
  if (!obj.metadata.deletionTimestamp && status.phase === undefined) status.phase = 'Active';
}

/** Defaults inside a pod spec (a Pod's, or a workload's template): container port protocols. */
function defaultPodSpec(spec: Obj): void {
  for (const list of [spec.containers, spec.initContainers]) {
    if (!Array.isArray(list)) continue;
    for (const c of list) {
      if (!isRecord(c) || !Array.isArray(c.ports)) continue;
      for (const p of c.ports) if (isRecord(p)) p.protocol ??= 'TCP';
    }
  }
}

function defaultPod(op: 'create' | 'update', obj: KubeObject): void {
  const spec = child(obj, 'spec');
  defaultPodSpec(spec);
  spec.serviceAccountName ??= typeof spec.serviceAccount === 'string' ? spec.serviceAccount : 'default';
  spec.restartPolicy ??= 'Always';
  spec.dnsPolicy ??= 'ClusterFirst';
  spec.terminationGracePeriodSeconds ??= 30;
  spec.schedulerName ??= 'default-scheduler';
  if (op === 'create') {
    const status = child(obj, 'status');
    status.phase ??= 'Pending';
  }
}

function defaultService(obj: KubeObject): void {
  const spec = child(obj, 'spec');
  spec.type ??= 'ClusterIP';
  spec.sessionAffinity ??= 'None';
  if (Array.isArray(spec.ports)) {
    for (const port of spec.ports) {
      if (!isRecord(port)) continue;
      port.protocol ??= 'TCP';
      if (port.targetPort === undefined) port.targetPort = port.port;
    }
  }
}

function checkWorkload(type: ResourceType, obj: KubeObject): void {
  const spec = child(obj, 'spec');
  if (type.kind === 'Deployment') spec.replicas ??= 1;
  if (isRecord(spec.template) && isRecord(spec.template.spec)) defaultPodSpec(spec.template.spec);
  const fail = (causes: StatusCause[]): never => { throw invalid(type.group, type.kind, obj.metadata.name ?? '', causes); };
  const selector = spec.selector;
  if (!isRecord(selector) || Object.keys(selector).length === 0) {
    fail([{ field: 'spec.selector', message: 'Required value', reason: 'FieldValueRequired' }]);
    return;
  }
  const matches = labelSelectorFromObject(selector, 'spec.selector');
  const template = isRecord(spec.template) ? spec.template : {};
  const meta = isRecord(template.metadata) ? template.metadata : {};
  const labels = isRecord(meta.labels) ? meta.labels : {};
  const strings = Object.fromEntries(Object.entries(labels).filter((e): e is [string, string] => typeof e[1] === 'string'));
  if (!matches(strings)) {
    fail([{ field: 'spec.template.metadata.labels', message: `Invalid value: ${JSON.stringify(strings)}: \`selector\` does not match template \`labels\`` }]);
  }
}

function foldStringData(obj: KubeObject): void {
  obj.type ??= 'Opaque';
  const stringData = obj.stringData;
  delete obj.stringData;
  if (!isRecord(stringData)) return;
  const data = child(obj, 'data');
  for (const [k, v] of Object.entries(stringData)) {
    if (typeof v === 'string') data[k] = Buffer.from(v, 'utf8').toString('base64');
  }
}

/** A store admission (see Store.addAdmission) applying the defaults above. */
export function builtinDefaults(op: 'create' | 'update', type: ResourceType, obj: KubeObject): void {
  const key = `${type.group}/${type.kind}`;
  switch (key) {
    case '/Namespace': defaultNamespace(obj); break;
    case '/Pod': defaultPod(op, obj); break;
    case '/Service': defaultService(obj); break;
    case 'apps/Deployment':
    case 'apps/DaemonSet': checkWorkload(type, obj); break;
    case '/Secret': foldStringData(obj); break;
    default: break;
  }
}
