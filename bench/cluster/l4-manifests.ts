// The Kubernetes objects of the L4 benchmark topology, as YAML text (pure): per namespace
// (`mesh`, labelled ambient, and `plain`) a client pod on node1 and one server pod per server
// asked for on node2, each server a host process (image `busybox`: `command` runs host binaries)
// with a tcpSocket readiness probe. Also the ports and pod names the rest of the topology uses.

import type { L4Servers } from './l4-cluster-types';

export type ServerKind = 'iperf' | 'http' | 'echo';
export const SERVER_KINDS: readonly ServerKind[] = ['iperf', 'http', 'echo'];

/** The port each server listens on inside its pod. */
export const SERVER_PORTS: Readonly<Record<ServerKind, number>> = { iperf: 5201, http: 8080, echo: 9100 };

export const CLIENT_POD = 'l4-client';
export const CLIENT_NODE = 'node1';
export const SERVER_NODE = 'node2';

export const L4_NAMESPACES = { mesh: 'mesh', plain: 'plain' } as const;
export type L4Namespace = (typeof L4_NAMESPACES)[keyof typeof L4_NAMESPACES];

export function serverPodName(kind: ServerKind): string {
  return `l4-${kind}`;
}

/** The server kinds asked for, in a fixed order. */
export function serversAsked(servers: L4Servers): ServerKind[] {
  return SERVER_KINDS.filter((k) => servers[k] === true);
}

export interface ManifestInput {
  readonly namespace: L4Namespace;
  readonly ambient: boolean;
  readonly servers: L4Servers;
  /** Absolute path of the repository (scripts under `<repoRoot>/dist`). */
  readonly repoRoot: string;
  /** Absolute path of the node binary the server pods run. */
  readonly nodeBinary: string;
}

/** The host command line of a server pod. */
export function serverCommand(kind: ServerKind, repoRoot: string, nodeBinary: string): string[] {
  const port = String(SERVER_PORTS[kind]);
  const script = (name: string): string => `${repoRoot.replace(/\/+$/, '')}/dist/bench/agents/${name}.js`;
  switch (kind) {
    case 'iperf':
      return ['iperf3', '-s', '-p', port];
    case 'http':
      return [nodeBinary, script('http-backend'), '--host', '0.0.0.0', '--port', port];
    case 'echo':
      return [nodeBinary, script('connect-load'), '--mode', 'server', '--host', '0.0.0.0', '--port', port];
  }
}

/** A YAML flow sequence of double-quoted strings (JSON strings are valid YAML scalars). */
function flowList(items: readonly string[]): string {
  return `[${items.map((s) => JSON.stringify(s)).join(', ')}]`;
}

function pod(name: string, namespace: string, node: string, container: string): string {
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
    container,
  ].join('\n');
}

/** Namespace, client pod and server pods of one namespace, as one multi-document YAML stream. */
export function renderNamespaceManifests(input: ManifestInput): string {
  for (const p of [input.repoRoot, input.nodeBinary]) {
    if (!p.startsWith('/') || /[\n\r]/.test(p)) throw new RangeError(`${JSON.stringify(p)} must be an absolute path on one line`);
  }
  const ns = input.namespace;
  const docs: string[] = [];
  docs.push([
    'apiVersion: v1',
    'kind: Namespace',
    'metadata:',
    `  name: ${ns}`,
    ...(input.ambient ? ['  labels: { istio.io/dataplane-mode: ambient }'] : []),
  ].join('\n'));
  docs.push(pod(CLIENT_POD, ns, CLIENT_NODE, ['    - name: main', '      image: ambit/sleep'].join('\n')));
  for (const kind of serversAsked(input.servers)) {
    docs.push(pod(serverPodName(kind), ns, SERVER_NODE, [
      '    - name: main',
      '      image: busybox',
      `      command: ${flowList(serverCommand(kind, input.repoRoot, input.nodeBinary))}`,
      `      ports: [{ containerPort: ${SERVER_PORTS[kind]}, protocol: TCP }]`,
      `      readinessProbe: { tcpSocket: { port: ${SERVER_PORTS[kind]} }, periodSeconds: 1 }`,
    ].join('\n')));
  }
  return `${docs.join('\n---\n')}\n`;
}
