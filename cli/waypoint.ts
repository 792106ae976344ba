// `ambit waypoint generate|apply|list|status|delete`, like `istioctl waypoint`: parses the
// arguments, prints `generate`'s YAML without touching a cluster, otherwise connects to the
// cluster and runs the subcommand. Exit codes: 0 done, 1 failed (an Error), 2 usage (UsageError).

import { applyWaypoint, type WaypointIo } from './waypoint-apply';
import { parseWaypointArgs } from './waypoint-args';
import { gatewayYaml, waypointGateway } from './waypoint-gateway';
import { deleteWaypoints, listWaypoints, waypointStatus } from './waypoint-inspect';
import { connectWaypointApi, type WaypointApi } from './waypoint-kube';

export { WAYPOINT_USAGE } from './waypoint-args';
export type { WaypointIo } from './waypoint-apply';

const DEFAULT_IO: WaypointIo = {
  out: (line) => { process.stdout.write(`${line}\n`); },
  err: (line) => { process.stderr.write(`${line}\n`); },
  env: process.env,
  pollMs: 1000,
};

/**
 * Runs one `ambit waypoint ...` command; resolves with its exit code (0 or 1), throws a UsageError
 * for bad arguments and an Error when it fails. `api` replaces the kubeconfig-chosen cluster.
 */
export async function waypoint(argv: readonly string[], io: Partial<WaypointIo> = {}, api?: WaypointApi): Promise<number> {
  const full: WaypointIo = { ...DEFAULT_IO, ...io };
  const cmd = parseWaypointArgs(argv);
  if (cmd.verb === 'generate') {
    full.out(gatewayYaml(waypointGateway(cmd.namespace ?? 'default', cmd.name, cmd.for)).trimEnd());
    return 0;
  }
  const kube = api ?? await connectWaypointApi(cmd.target, full.env, full.err);
  switch (cmd.verb) {
    case 'apply': return applyWaypoint(cmd, kube, full);
    case 'list': return listWaypoints(cmd, kube, full);
    case 'status': return waypointStatus(cmd, kube, full);
    case 'delete': return deleteWaypoints(cmd, kube, full);
  }
}

/** `ambit waypoint ...` from the command line: a non-zero result becomes the process exit code. */
export async function waypointCommand(argv: readonly string[]): Promise<void> {
  const code = await waypoint(argv);
  if (code !== 0) process.exitCode = code;
}
