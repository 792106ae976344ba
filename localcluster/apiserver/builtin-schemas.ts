// Known fields of the built-in kinds, as JSON schemas, for strict field validation and the
// OpenAPI documents. Hand-written and deliberately modest: the fields users write, down to the
// spec (and container) level; deeper or rarely used parts are left open (any field accepted).

import type { JsonSchema } from './types';

const anyValue: JsonSchema = {};
const open: JsonSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties });
const list = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
/** A list merged by key in strategic merge patches (kubectl reads these hints from OpenAPI). */
const keyed = (key: string, items: JsonSchema): JsonSchema =>
  ({ ...list(items), 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] });
/** An object whose listed fields are known and anything else is an error. */
const fields = (...names: string[]): JsonSchema => obj(Object.fromEntries(names.map((n) => [n, anyValue])));

export const OBJECT_META: JsonSchema = obj({
  name: anyValue, generateName: anyValue, namespace: anyValue, selfLink: anyValue, uid: anyValue, resourceVersion: anyValue,
  generation: anyValue, creationTimestamp: anyValue, deletionTimestamp: anyValue, deletionGracePeriodSeconds: anyValue,
  labels: stringMap, annotations: stringMap,
  ownerReferences: list(fields('apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion')),
  finalizers: list(anyValue), managedFields: list(open),
});

const labelSelector: JsonSchema = obj({
  matchLabels: stringMap,
  matchExpressions: list(fields('key', 'operator', 'values')),
});

const container: JsonSchema = obj({
  name: anyValue, image: anyValue, command: anyValue, args: anyValue, workingDir: anyValue,
  ports: keyed('containerPort', fields('name', 'containerPort', 'hostPort', 'protocol', 'hostIP')),
  envFrom: list(open),
  env: keyed('name', obj({ name: anyValue, value: anyValue, valueFrom: open })),
  resources: open, resizePolicy: list(open), restartPolicy: anyValue,
  volumeMounts: keyed('mountPath', fields('name', 'mountPath', 'readOnly', 'recursiveReadOnly', 'subPath', 'subPathExpr', 'mountPropagation')),
  volumeDevices: list(open),
  livenessProbe: open, readinessProbe: open, startupProbe: open, lifecycle: open,
  terminationMessagePath: anyValue, terminationMessagePolicy: anyValue, imagePullPolicy: anyValue,
  securityContext: open, stdin: anyValue, stdinOnce: anyValue, tty: anyValue,
});

const podSpec: JsonSchema = obj({
  volumes: keyed('name', open), initContainers: keyed('name', container), containers: keyed('name', container),
  ephemeralContainers: list(open), restartPolicy: anyValue, terminationGracePeriodSeconds: anyValue,
  activeDeadlineSeconds: anyValue, dnsPolicy: anyValue, nodeSelector: stringMap, serviceAccountName: anyValue,
  serviceAccount: anyValue, automountServiceAccountToken: anyValue, nodeName: anyValue, hostNetwork: anyValue,
  hostPID: anyValue, hostIPC: anyValue, shareProcessNamespace: anyValue, securityContext: open,
  imagePullSecrets: list(fields('name')), hostname: anyValue, subdomain: anyValue, affinity: open,
  schedulerName: anyValue, tolerations: list(open), hostAliases: list(open), priorityClassName: anyValue,
  priority: anyValue, dnsConfig: open, readinessGates: list(open), runtimeClassName: anyValue,
  enableServiceLinks: anyValue, preemptionPolicy: anyValue, overhead: open,
  topologySpreadConstraints: list(open), setHostnameAsFQDN: anyValue, os: open, hostUsers: anyValue,
  schedulingGates: list(open), resourceClaims: list(open), resources: open,
});

const podTemplate: JsonSchema = obj({ metadata: OBJECT_META, spec: podSpec });

/** A top-level kind: apiVersion, kind, metadata plus the given fields. */
const kind = (properties: Record<string, JsonSchema>): JsonSchema =>
  obj({ apiVersion: anyValue, kind: anyValue, metadata: OBJECT_META, ...properties });

const workloadSpec = {
  selector: labelSelector, template: podTemplate, minReadySeconds: anyValue, revisionHistoryLimit: anyValue,
};

const policyRule: JsonSchema = fields('verbs', 'apiGroups', 'resources', 'resourceNames', 'nonResourceURLs');
const subject: JsonSchema = fields('kind', 'apiGroup', 'name', 'namespace');
const roleRef: JsonSchema = fields('apiGroup', 'kind', 'name');

/** Known-field schemas by `group/Kind` ('' group for core); kinds not listed only check metadata. */
export const BUILTIN_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  '/Pod': kind({ spec: podSpec, status: open }),
  '/Service': kind({
    spec: obj({
      ports: keyed('port', fields('name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort')),
      selector: stringMap, clusterIP: anyValue, clusterIPs: anyValue, type: anyValue, externalIPs: anyValue,
      sessionAffinity: anyValue, loadBalancerIP: anyValue, loadBalancerSourceRanges: anyValue, externalName: anyValue,
      externalTrafficPolicy: anyValue, healthCheckNodePort: anyValue, publishNotReadyAddresses: anyValue,
      sessionAffinityConfig: open, ipFamilies: anyValue, ipFamilyPolicy: anyValue,
      allocateLoadBalancerNodePorts: anyValue, loadBalancerClass: anyValue, internalTrafficPolicy: anyValue,
      trafficDistribution: anyValue,
    }),
    status: open,
  }),
  'apps/Deployment': kind({
    spec: obj({ ...workloadSpec, replicas: anyValue, strategy: open, paused: anyValue, progressDeadlineSeconds: anyValue }),
    status: open,
  }),
  'apps/DaemonSet': kind({ spec: obj({ ...workloadSpec, updateStrategy: open }), status: open }),
  '/ConfigMap': kind({ data: stringMap, binaryData: stringMap, immutable: anyValue }),
  '/Secret': kind({ data: stringMap, stringData: stringMap, type: anyValue, immutable: anyValue }),
  '/ServiceAccount': kind({ secrets: list(open), imagePullSecrets: list(fields('name')), automountServiceAccountToken: anyValue }),
  '/Namespace': kind({ spec: fields('finalizers'), status: open }),
  'rbac.authorization.k8s.io/ClusterRole': kind({ rules: list(policyRule), aggregationRule: fields('clusterRoleSelectors') }),
  'rbac.authorization.k8s.io/Role': kind({ rules: list(policyRule) }),
  'rbac.authorization.k8s.io/ClusterRoleBinding': kind({ subjects: list(subject), roleRef }),
  'rbac.authorization.k8s.io/RoleBinding': kind({ subjects: list(subject), roleRef }),
};

/** The schema used for kinds without a hand-written one: metadata is checked, the rest is open. */
export const GENERIC_SCHEMA: JsonSchema = { ...kind({}), 'x-kubernetes-preserve-unknown-fields': true };

export function builtinSchema(group: string, kindName: string): JsonSchema {
  return Object.prototype.hasOwnProperty.call(BUILTIN_SCHEMAS, `${group}/${kindName}`)
    ? BUILTIN_SCHEMAS[`${group}/${kindName}`] : GENERIC_SCHEMA;
}
