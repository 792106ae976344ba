// Known fields of the built-in kinds, as JSON schemas, for strict field validation and the
// OpenAPI documents. Hand-written and deliberately modest: the fields users write, down to the
// spec (and container) level; deeper or rarely used parts are left open (any field accepted).

import type { JsonSchema } from './types';

const any: JsonSchema = {};
const open: JsonSchema = { type: 'object', 'x-kubernetes-preserve-unknown-fields': true };
const stringMap: JsonSchema = { type: 'object', additionalProperties: { type: 'string' } };
const obj = (properties: Record<string, JsonSchema>): JsonSchema => ({ type: 'object', properties });
const list = (items: JsonSchema): JsonSchema => ({ type: 'array', items });
/** A list merged by key in strategic merge patches (kubectl reads these hints from OpenAPI). */
const keyed = (key: string, items: JsonSchema): JsonSchema =>
  ({ ...list(items), 'x-kubernetes-patch-merge-key': key, 'x-kubernetes-patch-strategy': 'merge', 'x-kubernetes-list-type': 'map', 'x-kubernetes-list-map-keys': [key] });
/** An object whose listed fields are known and anything else is an error. */
const fields = (...names: string[]): JsonSchema => obj(Object.fromEntries(names.map((n) => [n, any])));

export const OBJECT_META: JsonSchema = obj({
  name: any, generateName: any, namespace: any, selfLink: any, uid: any, resourceVersion: any,
  generation: any, creationTimestamp: any, deletionTimestamp: any, deletionGracePeriodSeconds: any,
  labels: stringMap, annotations: stringMap,
  ownerReferences: list(fields('apiVersion', 'kind', 'name', 'uid', 'controller', 'blockOwnerDeletion')),
  finalizers: list(any), managedFields: list(open),
});

const labelSelector: JsonSchema = obj({
  matchLabels: stringMap,
  matchExpressions: list(fields('key', 'operator', 'values')),
});

const container: JsonSchema = obj({
  name: any, image: any, command: any, args: any, workingDir: any,
  ports: keyed('containerPort', fields('name', 'containerPort', 'hostPort', 'protocol', 'hostIP')),
  envFrom: list(open),
  env: keyed('name', obj({ name: any, value: any, valueFrom: open })),
  resources: open, resizePolicy: list(open), restartPolicy: any,
  volumeMounts: keyed('mountPath', fields('name', 'mountPath', 'readOnly', 'recursiveReadOnly', 'subPath', 'subPathExpr', 'mountPropagation')),
  volumeDevices: list(open),
  livenessProbe: open, readinessProbe: open, startupProbe: open, lifecycle: open,
  terminationMessagePath: any, terminationMessagePolicy: any, imagePullPolicy: any,
  securityContext: open, stdin: any, stdinOnce: any, tty: any,
});

const podSpec: JsonSchema = obj({
  volumes: keyed('name', open), initContainers: keyed('name', container), containers: keyed('name', container),
  ephemeralContainers: list(open), restartPolicy: any, terminationGracePeriodSeconds: any,
  activeDeadlineSeconds: any, dnsPolicy: any, nodeSelector: stringMap, serviceAccountName: any,
  serviceAccount: any, automountServiceAccountToken: any, nodeName: any, hostNetwork: any,
  hostPID: any, hostIPC: any, shareProcessNamespace: any, securityContext: open,
  imagePullSecrets: list(fields('name')), hostname: any, subdomain: any, affinity: open,
  schedulerName: any, tolerations: list(open), hostAliases: list(open), priorityClassName: any,
  priority: any, dnsConfig: open, readinessGates: list(open), runtimeClassName: any,
  enableServiceLinks: any, preemptionPolicy: any, overhead: open,
  topologySpreadConstraints: list(open), setHostnameAsFQDN: any, os: open, hostUsers: any,
  schedulingGates: list(open), resourceClaims: list(open), resources: open,
});

const podTemplate: JsonSchema = obj({ metadata: OBJECT_META, spec: podSpec });

/** A top-level kind: apiVersion, kind, metadata plus the given fields. */
const kind = (properties: Record<string, JsonSchema>): JsonSchema =>
  obj({ apiVersion: any, kind: any, metadata: OBJECT_META, ...properties });

const workloadSpec = {
  selector: labelSelector, template: podTemplate, minReadySeconds: any, revisionHistoryLimit: any,
};

/** Known-field schemas by `group/Kind` ('' group for core); kinds not listed only check metadata. */
export const BUILTIN_SCHEMAS: Readonly<Record<string, JsonSchema>> = {
  '/Pod': kind({ spec: podSpec, status: open }),
  '/Service': kind({
    spec: obj({
      ports: keyed('port', fields('name', 'protocol', 'appProtocol', 'port', 'targetPort', 'nodePort')),
      selector: stringMap, clusterIP: any, clusterIPs: any, type: any, externalIPs: any,
      sessionAffinity: any, loadBalancerIP: any, loadBalancerSourceRanges: any, externalName: any,
      externalTrafficPolicy: any, healthCheckNodePort: any, publishNotReadyAddresses: any,
      sessionAffinityConfig: open, ipFamilies: any, ipFamilyPolicy: any,
      allocateLoadBalancerNodePorts: any, loadBalancerClass: any, internalTrafficPolicy: any,
      trafficDistribution: any,
    }),
    status: open,
  }),
  'apps/Deployment': kind({
    spec: obj({ ...workloadSpec, replicas: any, strategy: open, paused: any, progressDeadlineSeconds: any }),
    status: open,
  }),
  'apps/DaemonSet': kind({ spec: obj({ ...workloadSpec, updateStrategy: open }), status: open }),
  '/ConfigMap': kind({ data: stringMap, binaryData: stringMap, immutable: any }),
  '/Secret': kind({ data: stringMap, stringData: stringMap, type: any, immutable: any }),
  '/ServiceAccount': kind({ secrets: list(open), imagePullSecrets: list(fields('name')), automountServiceAccountToken: any }),
  '/Namespace': kind({ spec: fields('finalizers'), status: open }),
};

/** The schema used for kinds without a hand-written one: metadata is checked, the rest is open. */
export const GENERIC_SCHEMA: JsonSchema = { ...kind({}), 'x-kubernetes-preserve-unknown-fields': true };

export function builtinSchema(group: string, kindName: string): JsonSchema {
  return Object.prototype.hasOwnProperty.call(BUILTIN_SCHEMAS, `${group}/${kindName}`)
    ? BUILTIN_SCHEMAS[`${group}/${kindName}`] : GENERIC_SCHEMA;
}
