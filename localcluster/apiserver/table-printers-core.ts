// Server-side printers for the core (v1) kinds, with the columns and cell rules of Kubernetes'
// printers: Pod (READY, STATUS with container reasons, RESTARTS), Node, Service, Endpoints,
// Namespace, ServiceAccount, ConfigMap, Secret and Event. Pure functions over stored objects.

import {
  AGE_COLUMN, age, column, formatLabels, humanDuration, int, NAME_COLUMN, NONE, orNone, Printer, rec, recs, RowCondition, since, str, truncatedList,
} from './table-format';
import type { KubeObject } from './types';

interface PodSummary { ready: number; total: number; status: string; restarts: number; lastRestart: number | undefined }

/** The READY/STATUS/RESTARTS summary of a pod, following kubectl's printPod rules. */
export function podSummary(pod: KubeObject): PodSummary {
  const spec = rec(pod.spec);
  const status = rec(pod.status);
  const initSpecs = recs(spec.initContainers);
  const sidecars = new Set(initSpecs.filter((c) => c.restartPolicy === 'Always').map((c) => str(c.name)));
  let reason = str(status.reason) || str(status.phase) || 'Pending';
  let ready = 0;
  const all = { restarts: 0, last: undefined as number | undefined };
  const sidecar = { restarts: 0, last: undefined as number | undefined };
  const noteRestart = (c: Record<string, unknown>, into: { restarts: number; last: number | undefined }): void => {
    into.restarts += int(c.restartCount);
    const finished = Date.parse(str(rec(rec(c.lastState).terminated).finishedAt));
    if (!Number.isNaN(finished) && (into.last === undefined || finished > into.last)) into.last = finished;
  };
  const exitReason = (t: Record<string, unknown>): string => (int(t.signal) !== 0 ? `Signal:${int(t.signal)}` : `ExitCode:${int(t.exitCode)}`);

  let initializing = false;
  const initStatuses = recs(status.initContainerStatuses);
  for (let i = 0; i < initStatuses.length; i++) {
    const c = initStatuses[i];
    const isSidecar = sidecars.has(str(c.name));
    noteRestart(c, all);
    if (isSidecar) noteRestart(c, sidecar);
    const state = rec(c.state);
    const terminated = rec(state.terminated);
    const waitingReason = str(rec(state.waiting).reason);
    if (state.terminated !== undefined && int(terminated.exitCode) === 0) continue;
    if (isSidecar && c.started === true) {
      if (c.ready === true) ready++;
      continue;
    }
    if (state.terminated !== undefined) reason = `Init:${str(terminated.reason) || exitReason(terminated)}`;
    else if (waitingReason !== '' && waitingReason !== 'PodInitializing') reason = `Init:${waitingReason}`;
    else reason = `Init:${i}/${initSpecs.length}`;
    initializing = true;
    break;
  }

  let restarts = all.restarts;
  let lastRestart = all.last;
  const initialized = recs(status.conditions).some((c) => c.type === 'Initialized' && c.status === 'True');
  if (!initializing || initialized) {
    restarts = sidecar.restarts;
    lastRestart = sidecar.last;
    let hasRunning = false;
    const containers = recs(status.containerStatuses);
    for (let i = containers.length - 1; i >= 0; i--) {
      const c = containers[i];
      restarts += int(c.restartCount);
      const finished = Date.parse(str(rec(rec(c.lastState).terminated).finishedAt));
      if (!Number.isNaN(finished) && (lastRestart === undefined || finished > lastRestart)) lastRestart = finished;
      const state = rec(c.state);
      const terminated = rec(state.terminated);
      const waitingReason = str(rec(state.waiting).reason);
      if (waitingReason !== '') reason = waitingReason;
      else if (state.terminated !== undefined) reason = str(terminated.reason) || exitReason(terminated);
      else if (c.ready === true && state.running !== undefined) {
        hasRunning = true;
        ready++;
      }
    }
    if (reason === 'Completed' && hasRunning) {
      const readyCondition = recs(status.conditions).some((c) => c.type === 'Ready' && c.status === 'True');
      reason = readyCondition ? 'Running' : 'NotReady';
    }
  }
  if (pod.metadata.deletionTimestamp) reason = status.reason === 'NodeLost' ? 'Unknown' : 'Terminating';
  return { ready, total: recs(spec.containers).length + sidecars.size, status: reason, restarts, lastRestart };
}

function readinessGates(pod: KubeObject): string {
  const gates = recs(rec(pod.spec).readinessGates).map((g) => str(g.conditionType));
  if (gates.length === 0) return NONE;
  const conditions = recs(rec(pod.status).conditions);
  const passed = gates.filter((g) => conditions.some((c) => c.type === g && c.status === 'True')).length;
  return `${passed}/${gates.length}`;
}

function podConditions(pod: KubeObject): RowCondition[] | undefined {
  const phase = rec(pod.status).phase;
  if (phase === 'Succeeded') return [{ type: 'Completed', status: 'True', reason: 'Succeeded', message: 'The pod has completed successfully.' }];
  if (phase === 'Failed') return [{ type: 'Completed', status: 'True', reason: 'Failed', message: 'The pod failed.' }];
  return undefined;
}

export const podPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Ready', 'string', 'Ready containers out of all containers of the pod.'),
    column('Status', 'string', 'The aggregate status of the pod: its phase, or why a container is not running.'),
    column('Restarts', 'string', 'Container restarts, and how long ago the last one was.'),
    AGE_COLUMN,
    column('IP', 'string', 'The IP address assigned to the pod.', 1),
    column('Node', 'string', 'The node the pod is scheduled on.', 1),
    column('Nominated Node', 'string', 'The node the scheduler nominated for the pod while preempting.', 1),
    column('Readiness Gates', 'string', 'Readiness gates that are true out of all readiness gates.', 1),
  ],
  cells(pod, now) {
    const s = podSummary(pod);
    const status = rec(pod.status);
    const restarts = s.restarts > 0 && s.lastRestart !== undefined ? `${s.restarts} (${humanDuration(now - s.lastRestart)} ago)` : String(s.restarts);
    const ip = str(recs(status.podIPs)[0]?.ip) || str(status.podIP);
    return [
      pod.metadata.name ?? '', `${s.ready}/${s.total}`, s.status, restarts, age(pod, now),
      orNone(ip), orNone(str(rec(pod.spec).nodeName)), orNone(str(status.nominatedNodeName)), readinessGates(pod),
    ];
  },
  conditions: podConditions,
};

function nodeRoles(node: KubeObject): string {
  const roles = new Set<string>();
  for (const [k, v] of Object.entries(node.metadata.labels ?? {})) {
    if (k.startsWith('node-role.kubernetes.io/') && k.length > 'node-role.kubernetes.io/'.length) roles.add(k.slice('node-role.kubernetes.io/'.length));
    else if (k === 'kubernetes.io/role' && v !== '') roles.add(v);
  }
  return roles.size === 0 ? NONE : [...roles].sort().join(',');
}

export const nodePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Status', 'string', 'Ready or NotReady, and SchedulingDisabled when cordoned.'),
    column('Roles', 'string', 'Roles from the node-role.kubernetes.io/* labels.'),
    AGE_COLUMN,
    column('Version', 'string', 'Kubelet version reported by the node.'),
    column('Internal-IP', 'string', 'First InternalIP address of the node.', 1),
    column('External-IP', 'string', 'First ExternalIP address of the node.', 1),
    column('OS-Image', 'string', 'OS image reported by the node.', 1),
    column('Kernel-Version', 'string', 'Kernel version reported by the node.', 1),
    column('Container-Runtime', 'string', 'Container runtime and version reported by the node.', 1),
  ],
  cells(node, now) {
    const status = rec(node.status);
    const ready = recs(status.conditions).filter((c) => c.type === 'Ready').pop();
    const parts = [ready ? (ready.status === 'True' ? 'Ready' : 'NotReady') : 'Unknown'];
    if (rec(node.spec).unschedulable === true) parts.push('SchedulingDisabled');
    const info = rec(status.nodeInfo);
    const address = (type: string): string => orNone(str(recs(status.addresses).find((a) => a.type === type)?.address));
    const unknown = (s: string): string => (s === '' ? '<unknown>' : s);
    return [
      node.metadata.name ?? '', parts.join(','), nodeRoles(node), age(node, now), str(info.kubeletVersion),
      address('InternalIP'), address('ExternalIP'), unknown(str(info.osImage)), unknown(str(info.kernelVersion)), unknown(str(info.containerRuntimeVersion)),
    ];
  },
};

function serviceExternalIp(svc: KubeObject): string {
  const spec = rec(svc.spec);
  const external = (Array.isArray(spec.externalIPs) ? spec.externalIPs : []).filter((x): x is string => typeof x === 'string');
  switch (spec.type ?? 'ClusterIP') {
    case 'ClusterIP':
    case 'NodePort':
      return external.length > 0 ? external.join(',') : NONE;
    case 'LoadBalancer': {
      const ingress = recs(rec(rec(svc.status).loadBalancer).ingress).map((i) => str(i.ip) || str(i.hostname)).filter((s) => s !== '');
      const all = [...external, ...ingress];
      return all.length > 0 ? all.join(',') : '<pending>';
    }
    case 'ExternalName': return str(spec.externalName);
    default: return '<unknown>';
  }
}

/** `80/TCP,443:31443/TCP`, or `<none>`. */
export function servicePorts(svc: KubeObject): string {
  const ports = recs(rec(svc.spec).ports).map((p) => {
    const protocol = str(p.protocol) || 'TCP';
    return int(p.nodePort) > 0 ? `${int(p.port)}:${int(p.nodePort)}/${protocol}` : `${int(p.port)}/${protocol}`;
  });
  return ports.length > 0 ? ports.join(',') : NONE;
}

export const servicePrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Type', 'string', 'How the service is exposed: ClusterIP, NodePort, LoadBalancer or ExternalName.'),
    column('Cluster-IP', 'string', 'The virtual IP of the service.'),
    column('External-IP', 'string', 'External addresses: external IPs or load balancer ingress.'),
    column('Port(s)', 'string', 'Service ports (port[:nodePort]/protocol).'),
    AGE_COLUMN,
    column('Selector', 'string', 'Labels of the pods the service routes to.', 1),
  ],
  cells(svc, now) {
    const spec = rec(svc.spec);
    return [svc.metadata.name ?? '', str(spec.type) || 'ClusterIP', orNone(str(spec.clusterIP)), serviceExternalIp(svc), servicePorts(svc), age(svc, now), formatLabels(spec.selector)];
  },
};

const hostPort = (ip: string, port: number): string => (ip.includes(':') ? `[${ip}]:${port}` : `${ip}:${port}`);

export const endpointsPrinter: Printer = {
  columns: [NAME_COLUMN, column('Endpoints', 'string', 'Ready addresses with their ports (at most three shown).'), AGE_COLUMN],
  cells(ep, now) {
    const subsets = recs(ep.subsets);
    const list: string[] = [];
    for (const ss of subsets) {
      const ips = recs(ss.addresses).map((a) => str(a.ip));
      const ports = recs(ss.ports);
      if (ports.length === 0) list.push(...ips);
      for (const p of ports) list.push(...ips.map((ip) => hostPort(ip, int(p.port))));
    }
    return [ep.metadata.name ?? '', subsets.length === 0 ? NONE : truncatedList(list, 3, ''), age(ep, now)];
  },
};

export const namespacePrinter: Printer = {
  columns: [NAME_COLUMN, column('Status', 'string', 'The phase of the namespace: Active or Terminating.'), AGE_COLUMN],
  cells: (ns, now) => [ns.metadata.name ?? '', str(rec(ns.status).phase), age(ns, now)],
};

export const serviceAccountPrinter: Printer = {
  columns: [NAME_COLUMN, column('Secrets', 'integer', 'Number of secrets listed by the service account.'), AGE_COLUMN],
  cells: (sa, now) => [sa.metadata.name ?? '', recs(sa.secrets).length, age(sa, now)],
};

const keyCount = (v: unknown): number => Object.keys(rec(v)).length;

export const configMapPrinter: Printer = {
  columns: [NAME_COLUMN, column('Data', 'integer', 'Number of keys in data and binaryData.'), AGE_COLUMN],
  cells: (cm, now) => [cm.metadata.name ?? '', keyCount(cm.data) + keyCount(cm.binaryData), age(cm, now)],
};

export const secretPrinter: Printer = {
  columns: [NAME_COLUMN, column('Type', 'string', 'The type of the secret.'), column('Data', 'integer', 'Number of keys in data.'), AGE_COLUMN],
  cells: (s, now) => [s.metadata.name ?? '', str(s.type), keyCount(s.data), age(s, now)],
};

export const eventPrinter: Printer = {
  columns: [
    column('Last Seen', 'string', 'Time since the event was last observed.'),
    column('Type', 'string', 'Normal or Warning.'),
    column('Reason', 'string', 'Short machine-readable reason of the event.'),
    column('Object', 'string', 'The object the event is about (kind/name).'),
    column('Subobject', 'string', 'The field path inside the object, when any.', 1),
    column('Source', 'string', 'The component that reported the event.', 1),
    column('Message', 'string', 'Human-readable description of the event.'),
    column('First Seen', 'string', 'Time since the event was first observed.', 1),
    column('Count', 'string', 'How many times the event occurred.', 1),
    { ...NAME_COLUMN, priority: 1 },
  ],
  cells(ev, now) {
    const first = since(str(ev.firstTimestamp) ? ev.firstTimestamp : ev.eventTime, now);
    const series = rec(ev.series);
    const last = ev.series !== undefined ? since(series.lastObservedTime, now) : str(ev.lastTimestamp) ? since(ev.lastTimestamp, now) : first;
    const count = ev.series !== undefined ? int(series.count) : int(ev.count) || 1;
    const involved = rec(ev.involvedObject);
    const kind = str(involved.kind).toLowerCase();
    const target = str(involved.name) ? `${kind}/${str(involved.name)}` : kind;
    const source = rec(ev.source);
    const component = str(source.component) || str(ev.reportingComponent);
    const src = str(source.host) ? `${component}, ${str(source.host)}` : component;
    return [last, str(ev.type), str(ev.reason), target, str(involved.fieldPath), orNone(src), str(ev.message).trim(), first, count, ev.metadata.name ?? ''];
  },
};
