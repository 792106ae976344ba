// `ambit waypoint apply`: checks the namespace (it must exist; a warning when it is not ambient),
// refuses to replace another waypoint binding of the namespace without --overwrite and to take over
// a Gateway that is not a waypoint, creates or updates the Gateway, waits (--wait) until istiod
// reports it Programmed, and only then — so traffic is never refused while it starts — labels the
// namespace istio.io/use-waypoint (--enroll-namespace).

import type { WaypointCommand } from './waypoint-args';
import {
  conditionLines, deploymentLine, labelsOf, LABELS, progressLine, seconds, waypointGateway, waypointKey, waypointView, type WaypointView,
} from './waypoint-gateway';
import type { WaypointApi } from './waypoint-kube';

export interface WaypointIo {
  /** A line of the command's output (stdout). */
  readonly out: (line: string) => void;
  /** A warning or note (stderr). */
  readonly err: (line: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** How often --wait reads the Gateway. */
  readonly pollMs: number;
}

type ApplyCommand = Extract<WaypointCommand, { verb: 'apply' }>;

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** The namespace's current binding as label text, or undefined when it has none. */
function namespaceBinding(labels: Readonly<Record<string, string>>, namespace: string): { key: string; text: string } | undefined {
  const name = labels[LABELS.useWaypoint];
  if (name === undefined) return undefined;
  const ns = labels[LABELS.useWaypointNamespace];
  const text = `${LABELS.useWaypoint}=${name}${ns !== undefined ? `, ${LABELS.useWaypointNamespace}=${ns}` : ''}`;
  return { key: name === 'none' ? 'none' : `${ns || namespace}/${name}`, text };
}

export async function applyWaypoint(cmd: ApplyCommand, api: WaypointApi, io: WaypointIo): Promise<number> {
  const { namespace, name } = cmd;
  const key = `${namespace}/${name}`;
  const ns = await api.getNamespace(namespace);
  if (!ns) throw new Error(`namespace ${namespace} does not exist: create it first (kubectl create namespace ${namespace})`);
  const nsLabels = labelsOf(ns);
  if (nsLabels[LABELS.dataplaneMode] !== 'ambient') {
    io.err(`warning: namespace ${namespace} is not in the mesh (it has no ${LABELS.dataplaneMode}=ambient label), so its workloads' traffic does not reach the waypoint; enroll it with: kubectl label namespace ${namespace} ${LABELS.dataplaneMode}=ambient`);
  }
  const current = namespaceBinding(nsLabels, namespace);
  const alreadyEnrolled = current?.key === key && nsLabels[LABELS.useWaypointNamespace] === undefined;
  if (cmd.enroll && current && current.key !== key && !cmd.overwrite) {
    throw new Error(`namespace ${namespace} already has ${current.text}: pass --overwrite to make it use waypoint ${key} instead`);
  }
  const existing = await api.getGateway(namespace, name);
  if (existing && !waypointView(existing).isWaypoint) {
    throw new Error(`gateway ${key} exists and is not a waypoint (gatewayClassName ${waypointView(existing).className || 'unset'}): pick another --name`);
  }
  io.out(`waypoint ${key} ${await api.applyGateway(waypointGateway(namespace, name, cmd.for))}`);

  if (cmd.wait) {
    const problem = await waitProgrammed(api, namespace, name, cmd.timeoutMs, io);
    if (problem) {
      const skipped = cmd.enroll && !alreadyEnrolled
        ? `\nnamespace ${namespace} was not enrolled; once the waypoint is ready: ambit waypoint apply -n ${namespace} --name ${name} --enroll-namespace${cmd.overwrite ? ' --overwrite' : ''}`
        : '';
      throw new Error(`${problem}${skipped}`);
    }
  }
  if (!cmd.enroll) return 0;
  if (alreadyEnrolled) {
    io.out(`namespace ${namespace} already uses waypoint ${name}`);
  } else {
    await api.labelNamespace(namespace, { [LABELS.useWaypoint]: name, [LABELS.useWaypointNamespace]: null });
    io.out(`namespace ${namespace} labeled ${LABELS.useWaypoint}=${name}${current ? ` (was ${current.text})` : ''}`);
  }
  if (!cmd.wait) {
    const gw = await api.getGateway(namespace, name);
    if (gw && !waypointView(gw).ready) {
      io.err(`note: waypoint ${key} is not programmed yet; traffic bound to it is refused until it is (fail closed) — 'ambit waypoint status -n ${namespace} --name ${name}' shows its progress, --wait waits for it before enrolling`);
    }
  }
  return 0;
}

/**
 * Polls the Gateway until Programmed=True for its current generation, printing each new state;
 * resolves undefined when programmed, or the timeout message with the conditions and the
 * Deployment's readiness.
 */
export async function waitProgrammed(api: WaypointApi, namespace: string, name: string, timeoutMs: number, io: WaypointIo): Promise<string | undefined> {
  const key = `${namespace}/${name}`;
  const deadline = Date.now() + timeoutMs;
  io.out(`waiting up to ${seconds(timeoutMs)} for waypoint ${key} to be programmed ...`);
  let last = '';
  let view: WaypointView | undefined;
  for (;;) {
    const gw = await api.getGateway(namespace, name);
    if (!gw) return `waypoint ${key} was deleted while waiting for it`;
    view = waypointView(gw);
    if (view.ready) {
      io.out(`waypoint ${waypointKey(view)} is programmed${view.addresses.length ? `: address ${view.addresses.join(', ')}` : ''}`);
      return undefined;
    }
    const line = progressLine(view);
    if (line !== last) io.out(`  ${line}`);
    last = line;
    const left = deadline - Date.now();
    if (left <= 0) break;
    await sleep(Math.min(io.pollMs, left));
  }
  const deployments = await api.listDeployments(namespace, `${LABELS.gatewayName}=${name}`).catch(() => undefined);
  const lines = [...conditionLines(view), ...(deployments ? [deploymentLine(namespace, name, deployments)] : [])];
  return `waypoint ${key} is not programmed after ${seconds(timeoutMs)}:\n  ${lines.join('\n  ')}`;
}
