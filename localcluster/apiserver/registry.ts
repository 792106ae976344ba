// The set of resource types the API server serves: the built-in kinds the local cluster needs
// plus one entry per established CustomResourceDefinition. Lookup by group/plural and by kind.

import { badRequest } from './errors';
import { apiVersionOf, isRecord, JsonSchema, KubeObject, ResourceType, typeKey } from './types';

const ALL_VERBS = ['create', 'delete', 'deletecollection', 'get', 'list', 'patch', 'update', 'watch'];

function builtin(group: string, version: string, plural: string, kind: string, namespaced: boolean,
  extra: Partial<ResourceType> = {}): ResourceType {
  return {
    group, version, plural, kind, namespaced, singular: kind.toLowerCase(), listKind: `${kind}List`,
    shortNames: [], categories: [], statusSubresource: false, verbs: ALL_VERBS, ...extra,
  };
}

export const BUILTIN_TYPES: readonly ResourceType[] = [
  builtin('', 'v1', 'namespaces', 'Namespace', false, { shortNames: ['ns'], statusSubresource: true }),
  builtin('', 'v1', 'nodes', 'Node', false, { shortNames: ['no'], statusSubresource: true }),
  builtin('', 'v1', 'pods', 'Pod', true, { shortNames: ['po'], categories: ['all'], statusSubresource: true }),
  builtin('', 'v1', 'services', 'Service', true, { shortNames: ['svc'], categories: ['all'], statusSubresource: true }),
  builtin('', 'v1', 'endpoints', 'Endpoints', true, { shortNames: ['ep'], singular: 'endpoints' }),
  builtin('', 'v1', 'serviceaccounts', 'ServiceAccount', true, { shortNames: ['sa'] }),
  builtin('', 'v1', 'secrets', 'Secret', true),
  builtin('', 'v1', 'configmaps', 'ConfigMap', true, { shortNames: ['cm'] }),
  builtin('', 'v1', 'events', 'Event', true, { shortNames: ['ev'] }),
  builtin('apps', 'v1', 'deployments', 'Deployment', true, { shortNames: ['deploy'], categories: ['all'], statusSubresource: true }),
  builtin('apps', 'v1', 'daemonsets', 'DaemonSet', true, { shortNames: ['ds'], categories: ['all'], statusSubresource: true }),
  builtin('discovery.k8s.io', 'v1', 'endpointslices', 'EndpointSlice', true),
  builtin('coordination.k8s.io', 'v1', 'leases', 'Lease', true),
  builtin('apiextensions.k8s.io', 'v1', 'customresourcedefinitions', 'CustomResourceDefinition', false,
    { shortNames: ['crd', 'crds'], categories: ['api-extensions'], statusSubresource: true }),
  builtin('authentication.k8s.io', 'v1', 'tokenreviews', 'TokenReview', false, { verbs: ['create'] }),
  // RBAC objects are stored and served so manifests apply unchanged; the local API server does not
  // enforce them (every service-account token may do everything, see auth.ts).
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterroles', 'ClusterRole', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'clusterrolebindings', 'ClusterRoleBinding', false),
  builtin('rbac.authorization.k8s.io', 'v1', 'roles', 'Role', true),
  builtin('rbac.authorization.k8s.io', 'v1', 'rolebindings', 'RoleBinding', true),
];

/** The part of a CRD the registry needs, checked; returns the problems found as `field: why`. */
export function crdToType(crd: KubeObject): { type?: ResourceType; problems: string[] } {
  const problems: string[] = [];
  const spec = isRecord(crd.spec) ? crd.spec : {};
  const names = isRecord(spec.names) ? spec.names : {};
  const str = (v: unknown, field: string): string => {
    if (typeof v === 'string' && v.length > 0) return v;
    problems.push(`${field}: Required value`);
    return '';
  };
  const group = str(spec.group, 'spec.group');
  const plural = str(names.plural, 'spec.names.plural');
  const kind = str(names.kind, 'spec.names.kind');
  const scope = spec.scope;
  if (scope !== 'Namespaced' && scope !== 'Cluster') problems.push(`spec.scope: Unsupported value: ${JSON.stringify(scope)}: supported values: "Cluster", "Namespaced"`);
  if (crd.metadata.name && plural && group && crd.metadata.name !== `${plural}.${group}`) {
    problems.push(`metadata.name: Invalid value: "${crd.metadata.name}": must be spec.names.plural+"."+spec.group`);
  }
  const versions = Array.isArray(spec.versions) ? spec.versions.filter(isRecord) : [];
  if (versions.length === 0) problems.push('spec.versions: Required value: must have at least one version');
  const storage = versions.filter((v) => v.storage === true);
  if (versions.length > 0 && storage.length !== 1) problems.push('spec.versions: Invalid value: must have exactly one version marked as storage version');
  const served = versions.find((v) => v.storage === true && v.served !== false) ?? versions.find((v) => v.served !== false);
  if (versions.length > 0 && !served) problems.push('spec.versions: Invalid value: at least one version must be served');
  if (problems.length > 0 || !served) return { problems };
  const schemaHolder = isRecord(served.schema) ? served.schema : {};
  const schema = isRecord(schemaHolder.openAPIV3Schema) ? (schemaHolder.openAPIV3Schema as JsonSchema) : undefined;
  const sub = isRecord(served.subresources) ? served.subresources : {};
  const stringList = (v: unknown): string[] => (Array.isArray(v) ? v.filter((x): x is string => typeof x === 'string') : []);
  return {
    problems,
    type: {
      group, version: String(served.name), plural, kind,
      singular: typeof names.singular === 'string' && names.singular ? names.singular : kind.toLowerCase(),
      listKind: typeof names.listKind === 'string' && names.listKind ? names.listKind : `${kind}List`,
      namespaced: scope === 'Namespaced',
      shortNames: stringList(names.shortNames), categories: stringList(names.categories),
      statusSubresource: isRecord(sub.status), verbs: ALL_VERBS, schema,
    },
  };
}

export class Registry {
  private readonly byKey = new Map<string, ResourceType>();
  private readonly crdKeys = new Map<string, string>(); // CRD name → type key

  constructor() {
    for (const t of BUILTIN_TYPES) this.byKey.set(typeKey(t), t);
  }

  all(): ResourceType[] {
    return [...this.byKey.values()];
  }

  /** `group` '' is the core group. */
  find(group: string, plural: string): ResourceType | undefined {
    return this.byKey.get(`${group}/${plural}`);
  }

  /** The type for an object's apiVersion + kind, or a 400 naming what is unknown. */
  forObject(apiVersion: unknown, kind: unknown): ResourceType {
    for (const t of this.byKey.values()) {
      if (t.kind === kind && apiVersionOf(t) === apiVersion) return t;
    }
    throw badRequest(`no kind "${String(kind)}" is registered for version "${String(apiVersion)}"`);
  }

  /** Registers (or replaces) the type a CRD defines; returns problems instead when it is not valid. */
  registerCrd(crd: KubeObject): string[] {
    const { type, problems } = crdToType(crd);
    if (!type) return problems;
    const key = typeKey(type);
    const existing = this.byKey.get(key);
    if (existing && !this.crdKeys.has(crd.metadata.name ?? '') && BUILTIN_TYPES.includes(existing)) {
      return [`spec.group: Invalid value: "${type.group}": conflicts with a built-in resource`];
    }
    this.byKey.set(key, type);
    this.crdKeys.set(crd.metadata.name ?? '', key);
    return [];
  }

  unregisterCrd(name: string): ResourceType | undefined {
    const key = this.crdKeys.get(name);
    if (!key) return undefined;
    const t = this.byKey.get(key);
    this.byKey.delete(key);
    this.crdKeys.delete(name);
    return t;
  }

  isCustom(t: ResourceType): boolean {
    return [...this.crdKeys.values()].includes(typeKey(t));
  }
}
