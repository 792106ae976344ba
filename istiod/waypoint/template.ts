// The objects istiod creates for a waypoint Gateway (pure): ServiceAccount, Deployment (one
// `istio-proxy` container running ambit/waypoint, never captured itself) and ClusterIP Service,
// all named after the Gateway, labelled with its name and as managed by the mesh controller, and
// owned by the Gateway so deleting it deletes them. Nothing from the Gateway's spec reaches the
// pod template: a user who may create Gateways cannot make istiod create anything more privileged.
// The pod's identity and xDS/CA wiring copy the shape of manifests/install/ztunnel.yaml.

import type { OwnedObject } from '../kube/mesh-types';
import { GATEWAY_NAME_LABEL, MANAGED_LABEL, MANAGED_VALUE, WAYPOINT_HBONE_PORT, type WaypointGateway } from './types';

export interface WaypointTemplateSettings {
  readonly image: string;
  /** istiod's xDS and CA address as the waypoint dials it (`istiod.<ns>.svc:15012`). */
  readonly xdsAddress: string;
  readonly caAddress: string;
  readonly trustDomain: string;
  readonly clusterId: string;
}

export const WAYPOINT_IMAGE = 'ambit/waypoint:latest';
export const WAYPOINT_METRICS_PORT = 15020;
export const WAYPOINT_STATUS_PORT = 15021;
export const ROOT_CERT_DIR = '/var/run/secrets/istio';
export const TOKEN_DIR = '/var/run/secrets/tokens';

/** Template settings for an istiod running in `istiodNamespace`. */
export function waypointTemplateSettings(opts: { readonly istiodNamespace: string; readonly trustDomain: string;
  readonly clusterId: string; readonly image?: string }): WaypointTemplateSettings {
  const xdsAddress = `istiod.${opts.istiodNamespace}.svc:15012`;
  return Object.freeze({
    image: opts.image ?? WAYPOINT_IMAGE, xdsAddress, caAddress: xdsAddress, trustDomain: opts.trustDomain, clusterId: opts.clusterId,
  });
}

/** Labels on every object istiod creates for the Gateway. */
export function waypointLabels(name: string): Record<string, string> {
  return { [GATEWAY_NAME_LABEL]: name, [MANAGED_LABEL]: MANAGED_VALUE };
}

function metadata(gw: WaypointGateway): OwnedObject['metadata'] {
  return {
    name: gw.name,
    namespace: gw.namespace,
    labels: waypointLabels(gw.name),
    ownerReferences: [{ apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', name: gw.name, uid: gw.uid, controller: true }],
  };
}

const fieldEnv = (name: string, fieldPath: string): Record<string, unknown> => ({ name, valueFrom: { fieldRef: { fieldPath } } });
const valueEnv = (name: string, value: string): Record<string, unknown> => ({ name, value });

function container(gw: WaypointGateway, s: WaypointTemplateSettings): Record<string, unknown> {
  return {
    name: 'istio-proxy',
    image: s.image,
    imagePullPolicy: 'IfNotPresent',
    ports: [
      { name: 'hbone', containerPort: WAYPOINT_HBONE_PORT, protocol: 'TCP' },
      { name: 'metrics', containerPort: WAYPOINT_METRICS_PORT, protocol: 'TCP' },
      { name: 'status-port', containerPort: WAYPOINT_STATUS_PORT, protocol: 'TCP' },
    ],
    readinessProbe: { httpGet: { path: '/healthz/ready', port: WAYPOINT_STATUS_PORT }, periodSeconds: 5, timeoutSeconds: 1 },
    env: [
      fieldEnv('POD_NAME', 'metadata.name'),
      fieldEnv('POD_NAMESPACE', 'metadata.namespace'),
      fieldEnv('INSTANCE_IP', 'status.podIP'),
      fieldEnv('SERVICE_ACCOUNT', 'spec.serviceAccountName'),
      valueEnv('GATEWAY_NAME', gw.name),
      valueEnv('XDS_ADDRESS', s.xdsAddress),
      valueEnv('CA_ADDRESS', s.caAddress),
      valueEnv('TRUST_DOMAIN', s.trustDomain),
      valueEnv('CLUSTER_ID', s.clusterId),
      valueEnv('ROOT_CERT_PATH', `${ROOT_CERT_DIR}/root-cert.pem`),
      valueEnv('TOKEN_PATH', `${TOKEN_DIR}/istio-token`),
    ],
    securityContext: {
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      runAsUser: 1337,
      runAsGroup: 1337,
      capabilities: { drop: ['ALL'] },
    },
    volumeMounts: [
      { name: 'istio-token', mountPath: TOKEN_DIR },
      { name: 'istiod-ca-cert', mountPath: ROOT_CERT_DIR },
    ],
  };
}

/** The ServiceAccount, Deployment and Service of a waypoint, in the order to apply them. */
export function renderWaypoint(gw: WaypointGateway, settings: WaypointTemplateSettings): OwnedObject[] {
  const selector = { [GATEWAY_NAME_LABEL]: gw.name };
  const podLabels = { ...waypointLabels(gw.name), 'istio.io/dataplane-mode': 'none', 'sidecar.istio.io/inject': 'false' };
  const serviceAccount: OwnedObject = { apiVersion: 'v1', kind: 'ServiceAccount', metadata: metadata(gw) };
  const deployment: OwnedObject = {
    apiVersion: 'apps/v1',
    kind: 'Deployment',
    metadata: metadata(gw),
    spec: {
      replicas: 1,
      selector: { matchLabels: selector },
      template: {
        metadata: {
          labels: podLabels,
          annotations: { 'prometheus.io/scrape': 'true', 'prometheus.io/port': String(WAYPOINT_METRICS_PORT) },
        },
        spec: {
          serviceAccountName: gw.name,
          terminationGracePeriodSeconds: 30,
          containers: [container(gw, settings)],
          volumes: [
            {
              name: 'istio-token',
              projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] },
            },
            { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
          ],
        },
      },
    },
  };
  const service: OwnedObject = {
    apiVersion: 'v1',
    kind: 'Service',
    metadata: metadata(gw),
    spec: {
      type: 'ClusterIP',
      selector,
      ports: [
        { name: 'mesh', port: WAYPOINT_HBONE_PORT, targetPort: WAYPOINT_HBONE_PORT, protocol: 'TCP', appProtocol: 'hbone' },
        { name: 'status-port', port: WAYPOINT_STATUS_PORT, targetPort: WAYPOINT_STATUS_PORT, protocol: 'TCP', appProtocol: 'tcp' },
      ],
    },
  };
  return [serviceAccount, deployment, service];
}
