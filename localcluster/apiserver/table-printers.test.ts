// Tests for the built-in printers: the cells kubectl shows for pods in their usual states,
// nodes, services, workloads, slices and the small kinds.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Printer } from './table-format';
import {
  configMapPrinter, endpointsPrinter, eventPrinter, namespacePrinter, nodePrinter, podPrinter, secretPrinter, serviceAccountPrinter, servicePrinter,
} from './table-printers-core';
import { crdPrinter, daemonSetPrinter, deploymentPrinter, endpointSlicePrinter } from './table-printers-groups';
import type { KubeObject } from './types';

const NOW = Date.parse('2024-05-01T12:00:00Z');
const CREATED = '2024-05-01T11:56:58Z'; // 3m2s before NOW

function obj(kind: string, fields: Record<string, unknown>, meta: Record<string, unknown> = {}): KubeObject {
  return { apiVersion: 'v1', kind, metadata: { name: 'x', namespace: 'default', creationTimestamp: CREATED, ...meta }, ...fields };
}

/** Cells by upper-cased column name, as kubectl would head them. */
function row(printer: Printer, o: KubeObject): Record<string, unknown> {
  const cells = printer.cells(o, NOW);
  assert.equal(cells.length, printer.columns.length, 'one cell per column');
  return Object.fromEntries(printer.columns.map((c, i) => [c.name.toUpperCase(), cells[i]]));
}

const container = (name: string, state: Record<string, unknown>, extra: Record<string, unknown> = {}): Record<string, unknown> =>
  ({ name, ready: false, restartCount: 0, state, ...extra });

const pod = (status: Record<string, unknown>, spec: Record<string, unknown> = {}, meta: Record<string, unknown> = {}): KubeObject =>
  obj('Pod', { spec: { containers: [{ name: 'app' }, { name: 'proxy' }], ...spec }, status }, meta);

test('pod columns: ready count, phase, ip and node; wide columns are priority 1', () => {
  const running = pod({
    phase: 'Running', podIP: '198.18.1.7', conditions: [{ type: 'Ready', status: 'True' }],
    containerStatuses: [container('app', { running: {} }, { ready: true }), container('proxy', { running: {} }, { ready: true })],
  }, { nodeName: 'node-a' });
  assert.deepEqual(row(podPrinter, running), {
    NAME: 'x', READY: '2/2', STATUS: 'Running', RESTARTS: '0', AGE: '3m2s',
    IP: '198.18.1.7', NODE: 'node-a', 'NOMINATED NODE': '<none>', 'READINESS GATES': '<none>',
  });
  assert.deepEqual(podPrinter.columns.filter((c) => c.priority === 0).map((c) => c.name), ['Name', 'Ready', 'Status', 'Restarts', 'Age']);
  assert.equal(podPrinter.columns[0].format, 'name');
});

test('pod status shows why a container is not running, and restarts with the last one', () => {
  const crashing = row(podPrinter, pod({
    phase: 'Running',
    containerStatuses: [
      container('app', { waiting: { reason: 'CrashLoopBackOff' } }, { restartCount: 4, lastState: { terminated: { exitCode: 1, finishedAt: '2024-05-01T11:59:00Z' } } }),
      container('proxy', { running: {} }, { ready: true }),
    ],
  }));
  assert.equal(crashing.STATUS, 'CrashLoopBackOff');
  assert.equal(crashing.READY, '1/2');
  assert.equal(crashing.RESTARTS, '4 (60s ago)');
  assert.equal(row(podPrinter, pod({ phase: 'Pending', containerStatuses: [container('app', { waiting: { reason: 'ErrImagePull' } })] })).STATUS, 'ErrImagePull');
  assert.equal(row(podPrinter, pod({ phase: 'Running', containerStatuses: [container('app', { terminated: { exitCode: 137, signal: 9 } })] })).STATUS, 'Signal:9');
  assert.equal(row(podPrinter, pod({ phase: 'Running', containerStatuses: [container('app', { terminated: { exitCode: 2 } })] })).STATUS, 'ExitCode:2');
  assert.equal(row(podPrinter, pod({})).STATUS, 'Pending');
  assert.equal(row(podPrinter, pod({ phase: 'Failed', reason: 'Evicted' })).STATUS, 'Evicted');
});

test('pod status: init containers, Completed with a running container, Terminating, readiness gates', () => {
  const initSpec = { initContainers: [{ name: 'setup' }, { name: 'migrate' }] };
  assert.equal(row(podPrinter, pod({ phase: 'Pending', initContainerStatuses: [container('setup', { terminated: { exitCode: 0 } }), container('migrate', { running: {} })] }, initSpec)).STATUS, 'Init:1/2');
  assert.equal(row(podPrinter, pod({ phase: 'Pending', initContainerStatuses: [container('setup', { waiting: { reason: 'CrashLoopBackOff' } })] }, initSpec)).STATUS, 'Init:CrashLoopBackOff');
  assert.equal(row(podPrinter, pod({ phase: 'Pending', initContainerStatuses: [container('setup', { terminated: { exitCode: 3 } })] }, initSpec)).STATUS, 'Init:ExitCode:3');
  const sidecar = row(podPrinter, pod({
    phase: 'Running', initContainerStatuses: [container('mesh', { running: {} }, { started: true, ready: true })],
    containerStatuses: [container('app', { running: {} }, { ready: true })],
  }, { initContainers: [{ name: 'mesh', restartPolicy: 'Always' }], containers: [{ name: 'app' }] }));
  assert.equal(sidecar.READY, '2/2');
  assert.equal(sidecar.STATUS, 'Running');
  const completedOne = pod({
    phase: 'Running', conditions: [{ type: 'Ready', status: 'False' }],
    containerStatuses: [container('app', { running: {} }, { ready: true }), container('proxy', { terminated: { exitCode: 0, reason: 'Completed' } })],
  });
  assert.equal(row(podPrinter, completedOne).STATUS, 'NotReady');
  const deleting = pod({ phase: 'Running' }, {}, { deletionTimestamp: '2024-05-01T11:59:59Z' });
  assert.equal(row(podPrinter, deleting).STATUS, 'Terminating');
  const gated = pod({ phase: 'Running', conditions: [{ type: 'example.com/lb', status: 'True' }] }, { readinessGates: [{ conditionType: 'example.com/lb' }, { conditionType: 'example.com/fw' }] });
  assert.equal(row(podPrinter, gated)['READINESS GATES'], '1/2');
  assert.deepEqual(podPrinter.conditions?.(pod({ phase: 'Succeeded' }))?.[0]?.type, 'Completed');
});

test('node columns: Ready/NotReady, cordoned, roles, addresses, node info', () => {
  const node = obj('Node', {
    spec: { unschedulable: true },
    status: {
      conditions: [{ type: 'MemoryPressure', status: 'False' }, { type: 'Ready', status: 'True' }],
      addresses: [{ type: 'Hostname', address: 'n1' }, { type: 'InternalIP', address: '198.18.0.12' }],
      nodeInfo: { kubeletVersion: 'v1.32.0', osImage: 'Debian', kernelVersion: '6.1.0', containerRuntimeVersion: 'ambit://0.1' },
    },
  }, { namespace: undefined, labels: { 'node-role.kubernetes.io/control-plane': '', 'kubernetes.io/role': 'worker' } });
  assert.deepEqual(row(nodePrinter, node), {
    NAME: 'x', STATUS: 'Ready,SchedulingDisabled', ROLES: 'control-plane,worker', AGE: '3m2s', VERSION: 'v1.32.0',
    'INTERNAL-IP': '198.18.0.12', 'EXTERNAL-IP': '<none>', 'OS-IMAGE': 'Debian', 'KERNEL-VERSION': '6.1.0', 'CONTAINER-RUNTIME': 'ambit://0.1',
  });
  const down = row(nodePrinter, obj('Node', { status: { conditions: [{ type: 'Ready', status: 'Unknown' }] } }));
  assert.equal(down.STATUS, 'NotReady');
  assert.equal(down.ROLES, '<none>');
  assert.equal(down['OS-IMAGE'], '<unknown>');
  assert.equal(row(nodePrinter, obj('Node', {})).STATUS, 'Unknown');
});

test('service columns: type, cluster IP, external IP by type, ports with node ports, selector', () => {
  const svc = obj('Service', { spec: { type: 'NodePort', clusterIP: '198.19.0.10', selector: { app: 'web' }, ports: [{ port: 80, protocol: 'TCP', nodePort: 31000 }, { port: 53, protocol: 'UDP' }] } });
  assert.deepEqual(row(servicePrinter, svc), {
    NAME: 'x', TYPE: 'NodePort', 'CLUSTER-IP': '198.19.0.10', 'EXTERNAL-IP': '<none>', 'PORT(S)': '80:31000/TCP,53/UDP', AGE: '3m2s', SELECTOR: 'app=web',
  });
  assert.equal(row(servicePrinter, obj('Service', { spec: { type: 'LoadBalancer', ports: [] } }))['EXTERNAL-IP'], '<pending>');
  assert.equal(row(servicePrinter, obj('Service', { spec: { type: 'LoadBalancer' }, status: { loadBalancer: { ingress: [{ ip: '1.2.3.4' }, { hostname: 'lb.example' }] } } }))['EXTERNAL-IP'], '1.2.3.4,lb.example');
  assert.equal(row(servicePrinter, obj('Service', { spec: { type: 'ExternalName', externalName: 'db.example' } }))['EXTERNAL-IP'], 'db.example');
  const headless = row(servicePrinter, obj('Service', { spec: { clusterIP: 'None' } }));
  assert.deepEqual([headless.TYPE, headless['CLUSTER-IP'], headless['PORT(S)'], headless.SELECTOR], ['ClusterIP', 'None', '<none>', '<none>']);
});

test('deployment and daemonset columns', () => {
  const template = { metadata: { labels: { app: 'web' } }, spec: { containers: [{ name: 'app', image: 'ambit/echo:1' }, { name: 'log', image: 'busybox' }] } };
  const d = obj('Deployment', { spec: { replicas: 2, selector: { matchLabels: { app: 'web' } }, template }, status: { readyReplicas: 2, updatedReplicas: 2, availableReplicas: 1 } });
  assert.deepEqual(row(deploymentPrinter, d), {
    NAME: 'x', READY: '2/2', 'UP-TO-DATE': 2, AVAILABLE: 1, AGE: '3m2s', CONTAINERS: 'app,log', IMAGES: 'ambit/echo:1,busybox', SELECTOR: 'app=web',
  });
  assert.equal(row(deploymentPrinter, obj('Deployment', { spec: { replicas: 3 } })).READY, '0/3');
  const ds = obj('DaemonSet', {
    spec: { selector: { matchLabels: { app: 'agent' } }, template: { spec: { nodeSelector: { 'kubernetes.io/os': 'linux' }, containers: [{ name: 'a', image: 'i' }] } } },
    status: { desiredNumberScheduled: 3, currentNumberScheduled: 3, numberReady: 2, updatedNumberScheduled: 3, numberAvailable: 2 },
  });
  assert.deepEqual(row(daemonSetPrinter, ds), {
    NAME: 'x', DESIRED: 3, CURRENT: 3, READY: 2, 'UP-TO-DATE': 3, AVAILABLE: 2, 'NODE SELECTOR': 'kubernetes.io/os=linux', AGE: '3m2s',
    CONTAINERS: 'a', IMAGES: 'i', SELECTOR: 'app=agent',
  });
});

test('endpoint slices and endpoints list at most three addresses', () => {
  const slice = obj('EndpointSlice', {
    addressType: 'IPv4', ports: [{ name: 'http', port: 8080 }, { name: 'any' }],
    endpoints: ['198.18.1.1', '198.18.1.2', '198.18.1.3', '198.18.1.4'].map((a) => ({ addresses: [a] })),
  });
  assert.deepEqual(row(endpointSlicePrinter, slice), { NAME: 'x', ADDRESSTYPE: 'IPv4', PORTS: '8080,any', ENDPOINTS: '198.18.1.1,198.18.1.2,198.18.1.3 + 1 more...', AGE: '3m2s' });
  assert.equal(row(endpointSlicePrinter, obj('EndpointSlice', { addressType: 'IPv4' })).ENDPOINTS, '<unset>');
  const ep = obj('Endpoints', { subsets: [{ addresses: [{ ip: '198.18.1.1' }, { ip: 'fd00::1' }], ports: [{ port: 80 }] }] });
  assert.equal(row(endpointsPrinter, ep).ENDPOINTS, '198.18.1.1:80,[fd00::1]:80');
  assert.equal(row(endpointsPrinter, obj('Endpoints', {})).ENDPOINTS, '<none>');
});

test('namespace, service account, config map, secret, CRD and event columns', () => {
  assert.deepEqual(row(namespacePrinter, obj('Namespace', { status: { phase: 'Active' } })), { NAME: 'x', STATUS: 'Active', AGE: '3m2s' });
  assert.deepEqual(row(serviceAccountPrinter, obj('ServiceAccount', { secrets: [{ name: 't' }] })), { NAME: 'x', SECRETS: 1, AGE: '3m2s' });
  assert.deepEqual(row(configMapPrinter, obj('ConfigMap', { data: { a: '1', b: '2' }, binaryData: { c: 'AA==' } })), { NAME: 'x', DATA: 3, AGE: '3m2s' });
  assert.deepEqual(row(secretPrinter, obj('Secret', { type: 'Opaque', data: { a: 'MQ==' } })), { NAME: 'x', TYPE: 'Opaque', DATA: 1, AGE: '3m2s' });
  assert.deepEqual(row(crdPrinter, obj('CustomResourceDefinition', {})), { NAME: 'x', 'CREATED AT': CREATED });
  const ev = row(eventPrinter, obj('Event', {
    type: 'Warning', reason: 'BackOff', message: ' Back-off restarting failed container \n', count: 3,
    involvedObject: { kind: 'Pod', name: 'web-1', fieldPath: 'spec.containers{app}' }, source: { component: 'kubelet', host: 'node-a' },
    firstTimestamp: '2024-05-01T11:00:00Z', lastTimestamp: '2024-05-01T11:59:30Z',
  }));
  assert.deepEqual(ev, {
    'LAST SEEN': '30s', TYPE: 'Warning', REASON: 'BackOff', OBJECT: 'pod/web-1', SUBOBJECT: 'spec.containers{app}', SOURCE: 'kubelet, node-a',
    MESSAGE: 'Back-off restarting failed container', 'FIRST SEEN': '60m', COUNT: 3, NAME: 'x',
  });
  const newApi = row(eventPrinter, obj('Event', { type: 'Normal', reason: 'Scheduled', eventTime: '2024-05-01T11:59:50.000000Z', reportingComponent: 'scheduler' }));
  assert.deepEqual([newApi['LAST SEEN'], newApi['FIRST SEEN'], newApi.COUNT, newApi.SOURCE, newApi.OBJECT], ['10s', '10s', 1, 'scheduler', '']);
  assert.equal(row(eventPrinter, obj('Event', {}))['LAST SEEN'], '<unknown>');
});
