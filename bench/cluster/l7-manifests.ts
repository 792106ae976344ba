// The Kubernetes objects of the L7 benchmark topology, as YAML text (pure): per namespace a client
// pod on node1 and the 1 KiB HTTP backend pod on node2 (a host process, as in the L4 topology);
// in the ambient namespaces a Service `l7-http` (port 80, named `http` so the mesh treats it as
// HTTP/1.1) in front of it; in the waypoint namespace the trivial HTTPRoute that makes the
// waypoint run its L7 routing (match everything, set one response header, route to the Service).

import { CLIENT_NODE, SERVER_NODE, SERVER_PORTS, serverCommand } from './l4-manifests';

export const L7_NAMESPACES = { plain: 'l7-plain', mesh: 'l7-mesh', waypoint: 'l7-waypoint' } as const;
export type L7Namespace = (typeof L7_NAMESPACES)[keyof typeof L7_NAMESPACES];

export const L7_CLIENT_POD = 'l7-client';
export const L7_SERVER_POD = 'l7-http';
export const L7_SERVICE = 'l7-http';
export const L7_SERVICE_PORT = 80;
export const L7_TARGET_PORT = SERVER_PORTS.http;
export const L7_ROUTE = 'l7-bench';
/** The response header the HTTPRoute sets: only the waypoint can have added it. */
export const ROUTE_HEADER = { name: 'x-ambit-bench-route', value: 'l7-bench' } as const;
export { CLIENT_NODE, SERVER_NODE };

export interface L7ManifestInput {
  readonly namespace: L7Namespace;
  /** Label the namespace `istio.io/dataplane-mode=ambient` and give it the Service. */
  readonly ambient: boolean;
  /** Absolute path of the repository (the backend script under `<repoRoot>/dist`). */
  readonly repoRoot: string;
  /** Absolute path of the node binary the server pod runs. */
  readonly nodeBinary: string;
}

function flowList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;
}

function pod(name: string, namespace: string, node: string, container: readonly string[]): string {
  return [
    'apiVersion: v1',
    'kind: Pod',
    'metadata:',
    `  name: ${name}`,
    `  namespace: ${namespace}`,
    `  labels: { app: ${name}, app.kubernetes.io/part-of: ambit-bench }`,
    'spec:',
    '  terminationGracePeriodSeconds: 2',
    `  nodeSelector: { kubernetes.io/hostname: ${node} }`,
    '  containers:',
    ...container,
  ].join('\n');
}

/** Namespace, client pod, server pod and (ambient) the Service, as one multi-document YAML stream. */
export function renderL7Namespace(input: L7ManifestInput): string {
  for (const p of [input.repoRoot, input.nodeBinary]) {
    if (!p.startsWith('/') || /[\n\r]/.test(p)) throw new RangeError(`${JSON.stringify(p)} must be an absolute path on one line`);
  }
  const ns = input.namespace;
  const docs: string[] = [[
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${ns}`,
    ...(input.ambient ? ['  labels: { istio.io/dataplane-mode: ambient }'] : []),
  ].join('\n')];
  docs.push(pod(L7_CLIENT_POD, ns, CLIENT_NODE, ['    - name: main', '      image: ambit/sleep']));
  docs.push(pod(L7_SERVER_POD, ns, SERVER_NODE, [
    '    - name: main',
    '      image: busybox',
    `      command: ${flowList(serverCommand('http', input.repoRoot, input.nodeBinary))}`,
    `      ports: [{ name: http, containerPort: ${L7_TARGET_PORT}, protocol: TCP }]`,
    `      readinessProbe: { tcpSocket: { port: ${L7_TARGET_PORT} }, periodSeconds: 1 }`,
  ]));
  if (input.ambient) {
    docs.push([
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      `  name: ${L7_SERVICE}`,
      `  namespace: ${ns}`,
      `  labels: { app: ${L7_SERVER_POD}, app.kubernetes.io/part-of: ambit-bench }`,
      'spec:',
      `  selector: { app: ${L7_SERVER_POD} }`,
      `  ports: [{ name: http, port: ${L7_SERVICE_PORT}, targetPort: ${L7_TARGET_PORT}, protocol: TCP }]`,
    ].join('\n'));
  }
  return `${docs.join('\n---\n')}\n`;
}

/**
 * The HTTPRoute of the waypoint path (GAMMA: its parent is the Service): every request matches
 * the `/` prefix, gets the route header on its response and goes to the Service — the same
 * backend as without the route, so only the waypoint's routing work is added.
 */
export function renderL7Route(namespace: L7Namespace): string {
  return [
    'apiVersion: gateway.networking.k8s.io/v1',
    'kind: HTTPRoute',
    'metadata:',
    `  name: ${L7_ROUTE}`,
    `  namespace: ${namespace}`,
    'spec:',
    '  parentRefs:',
    `    - { group: "", kind: Service, name: ${L7_SERVICE}, port: ${L7_SERVICE_PORT} }`,
    '  rules:',
    '    - matches:',
    '        - path: { type: PathPrefix, value: / }',
    '      filters:',
    '        - type: ResponseHeaderModifier',
    `          responseHeaderModifier: { set: [{ name: ${ROUTE_HEADER.name}, value: ${ROUTE_HEADER.value} }] }`,
    '      backendRefs:',
    `        - { name: ${L7_SERVICE}, port: ${L7_SERVICE_PORT} }`,
    '',
  ].join('\n');
}
