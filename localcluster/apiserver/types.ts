// Plain data types of the local cluster's API: objects, their metadata, and the description of a
// resource type (group, version, plural, kind, scope) that routing, storage and discovery share.

export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
  blockOwnerDeletion?: boolean;
}

export interface ObjectMeta {
  name?: string;
  generateName?: string;
  namespace?: string;
  uid?: string;
  resourceVersion?: string;
  generation?: number;
  creationTimestamp?: string;
  deletionTimestamp?: string;
  deletionGracePeriodSeconds?: number;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
  ownerReferences?: OwnerReference[];
  finalizers?: string[];
  managedFields?: unknown[];
  [key: string]: unknown;
}

/** Any Kubernetes object. Kind-specific fields (spec, status, data, ...) are left as unknown. */
export interface KubeObject {
  apiVersion: string;
  kind: string;
  metadata: ObjectMeta;
  [key: string]: unknown;
}

export interface ResourceType {
  group: string;            // '' for the core group
  version: string;          // served (and storage) version
  plural: string;           // 'pods'
  singular: string;         // 'pod'
  kind: string;             // 'Pod'
  listKind: string;         // 'PodList'
  namespaced: boolean;
  shortNames: string[];
  categories: string[];
  statusSubresource: boolean;
  /** Verbs served; virtual types such as TokenReview serve only 'create'. */
  verbs: string[];
  /** OpenAPI v3 schema of the object when known (CRDs carry one); used for strict field validation. */
  schema?: JsonSchema;
}

export interface JsonSchema {
  type?: string;
  properties?: Record<string, JsonSchema>;
  items?: JsonSchema;
  additionalProperties?: boolean | JsonSchema;
  required?: string[];
  enum?: unknown[];
  format?: string;
  description?: string;
  'x-kubernetes-preserve-unknown-fields'?: boolean;
  'x-kubernetes-int-or-string'?: boolean;
  [key: string]: unknown;
}

export const apiVersionOf = (t: Pick<ResourceType, 'group' | 'version'>): string =>
  (t.group ? `${t.group}/${t.version}` : t.version);

/** Storage key of a type: `group/plural` ('' group → '/pods'). */
export const typeKey = (t: Pick<ResourceType, 'group' | 'plural'>): string => `${t.group}/${t.plural}`;

export const isRecord = (v: unknown): v is Record<string, unknown> =>
  typeof v === 'object' && v !== null && !Array.isArray(v);
