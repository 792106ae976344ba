// The arguments of `ambit waypoint generate|apply|list|status|delete` (pure): flags per
// subcommand, name / namespace / --for / --timeout validation, and the usage text. Every problem is
// a UsageError (exit code 2) that says what was wrong and how to write it.

import { parseArgs, stringFlag, UsageError, type ParsedArgs } from './args';
import { parseDuration } from './install-status';

export const WAYPOINT_USAGE = `waypoint generate|apply|list|status|delete ...
                       waypoints (Gateways of class istio-waypoint) for L7 routing and policy:
                         generate [-n NS] [--name N] [--for service|workload|all|none]
                         apply -n NS [--name N] [--for ...] [--enroll-namespace [--overwrite]]
                               [--wait [--timeout 2m]]
                         list [-n NS | -A]
                         status [-n NS] [--name N]
                         delete [-n NS] NAME... | --all
                       cluster: --kubeconfig PATH, $KUBECONFIG, or a local cluster (--cluster NAME)`;

export const DEFAULT_WAYPOINT_NAME = 'waypoint';
export const DEFAULT_WAIT_MS = 120_000;
export const WAYPOINT_FOR = ['service', 'workload', 'all', 'none'] as const;
export type WaypointFor = (typeof WAYPOINT_FOR)[number];

/** Where the cluster is: an explicit kubeconfig, a local cluster by name, or the usual places. */
export interface ClusterChoice {
  readonly kubeconfig: string | undefined;
  readonly cluster: string | undefined;
}

export type WaypointCommand =
  | { readonly verb: 'generate'; readonly namespace: string | undefined; readonly name: string; readonly for: WaypointFor | undefined }
  | {
    readonly verb: 'apply'; readonly namespace: string; readonly name: string; readonly for: WaypointFor | undefined;
    readonly enroll: boolean; readonly overwrite: boolean; readonly wait: boolean; readonly timeoutMs: number; readonly target: ClusterChoice;
  }
  | { readonly verb: 'list'; readonly namespace: string | undefined; readonly allNamespaces: boolean; readonly target: ClusterChoice }
  | { readonly verb: 'status'; readonly namespace: string | undefined; readonly name: string | undefined; readonly target: ClusterChoice }
  | { readonly verb: 'delete'; readonly namespace: string | undefined; readonly names: readonly string[]; readonly all: boolean; readonly target: ClusterChoice };

const CLUSTER_FLAGS = { kubeconfig: 'value', cluster: 'value' } as const;
const FLAGS = {
  generate: { namespace: 'value', name: 'value', for: 'value' },
  apply: {
    namespace: 'value', name: 'value', for: 'value', 'enroll-namespace': 'bool', overwrite: 'bool', wait: 'bool', timeout: 'value',
    ...CLUSTER_FLAGS,
  },
  list: { namespace: 'value', 'all-namespaces': 'bool', ...CLUSTER_FLAGS },
  status: { namespace: 'value', name: 'value', ...CLUSTER_FLAGS },
  delete: { namespace: 'value', all: 'bool', ...CLUSTER_FLAGS },
} as const;
type Verb = keyof typeof FLAGS;
const ALIASES = { '-n': 'namespace', '-A': 'all-namespaces' };

const LINES: Record<Verb, string> = {
  generate: 'generate [-n NS] [--name N] [--for service|workload|all|none]',
  apply: 'apply -n NS [--name N] [--for service|workload|all|none] [--enroll-namespace [--overwrite]] [--wait [--timeout 2m]] [--kubeconfig PATH | --cluster NAME]',
  list: 'list [-n NS | -A] [--kubeconfig PATH | --cluster NAME]',
  status: 'status [-n NS] [--name N] [--kubeconfig PATH | --cluster NAME]',
  delete: 'delete [-n NS] NAME... | --all [--kubeconfig PATH | --cluster NAME]',
};

const usage = (problem: string, verb?: Verb): UsageError =>
  new UsageError(`${problem}\nusage: ambit waypoint ${verb ? LINES[verb] : 'generate|apply|list|status|delete ...'}`);

/** Gateway → Deployment and Service of the same name: an RFC 1035 label (Service names are). */
const NAME_RE = /^[a-z]([-a-z0-9]*[a-z0-9])?$/;
const NAMESPACE_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** A waypoint name, checked; `none` is the label value meaning "no waypoint", so it cannot name one. */
export function waypointName(text: string, verb: Verb): string {
  if (text === 'none') throw usage(`the name 'none' is reserved: istio.io/use-waypoint=none means "no waypoint", so no waypoint can be called that`, verb);
  if (text.length > 63 || !NAME_RE.test(text)) {
    throw usage(`'${printable(text)}' is not a valid waypoint name: at most 63 lowercase letters, digits and '-', starting with a letter and ending with a letter or digit`, verb);
  }
  return text;
}

function namespaceName(text: string | undefined, verb: Verb): string | undefined {
  if (text === undefined) return undefined;
  if (text.length > 63 || !NAMESPACE_RE.test(text)) {
    throw usage(`-n ${printable(text)}: not a namespace name (at most 63 lowercase letters, digits and '-')`, verb);
  }
  return text;
}

function waypointFor(args: ParsedArgs, verb: Verb): WaypointFor | undefined {
  const v = stringFlag(args, 'for');
  if (v === undefined) return undefined;
  if (!(WAYPOINT_FOR as readonly string[]).includes(v)) throw usage(`--for ${printable(v)}: pick service, workload, all or none`, verb);
  return v as WaypointFor;
}

function target(args: ParsedArgs, verb: Verb): ClusterChoice {
  const kubeconfig = stringFlag(args, 'kubeconfig');
  const cluster = stringFlag(args, 'cluster');
  if (kubeconfig !== undefined && cluster !== undefined) throw usage('--kubeconfig and --cluster both name a cluster: use one or the other', verb);
  return { kubeconfig, cluster };
}

/** Control characters shown as `?`, so an argument cannot repaint the terminal through an error. */
export function printable(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/\s+/g, ' ').replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

export function parseWaypointArgs(argv: readonly string[]): WaypointCommand {
  const [verbText, ...rest] = argv;
  if (verbText === undefined) throw usage('say what to do: generate, apply, list, status or delete');
  if (!Object.hasOwn(FLAGS, verbText)) throw usage(`unknown waypoint command '${printable(verbText)}': pick generate, apply, list, status or delete`);
  const verb = verbText as Verb;
  const args = parseArgs(rest, FLAGS[verb], ALIASES);
  const extra = [...args.positionals, ...args.rest];
  const namespace = namespaceName(stringFlag(args, 'namespace'), verb);
  const named = stringFlag(args, 'name');
  if (verb !== 'delete' && extra.length) throw usage(`unexpected arguments: ${printable(extra.join(' '))}`, verb);
  switch (verb) {
    case 'generate':
      return { verb, namespace, name: waypointName(named ?? DEFAULT_WAYPOINT_NAME, verb), for: waypointFor(args, verb) };
    case 'apply': {
      if (namespace === undefined) throw usage('say which namespace gets the waypoint: -n NS', verb);
      const enroll = args.flags.has('enroll-namespace');
      const overwrite = args.flags.has('overwrite');
      const wait = args.flags.has('wait');
      if (overwrite && !enroll) throw usage('--overwrite only matters with --enroll-namespace', verb);
      const timeoutText = stringFlag(args, 'timeout');
      if (timeoutText !== undefined && !wait) throw usage('--timeout is how long --wait waits: add --wait', verb);
      const timeoutMs = timeoutText === undefined ? DEFAULT_WAIT_MS : parseDuration(timeoutText);
      if (timeoutMs === undefined || timeoutMs <= 0) throw usage(`--timeout ${printable(timeoutText ?? '')}: not a duration (examples: 90s, 2m, 1m30s)`, verb);
      return {
        verb, namespace, name: waypointName(named ?? DEFAULT_WAYPOINT_NAME, verb), for: waypointFor(args, verb),
        enroll, overwrite, wait, timeoutMs, target: target(args, verb),
      };
    }
    case 'list': {
      const allNamespaces = args.flags.has('all-namespaces');
      if (allNamespaces && namespace !== undefined) throw usage('-n NS lists one namespace, -A all of them: use one or the other', verb);
      return { verb, namespace, allNamespaces, target: target(args, verb) };
    }
    case 'status':
      return { verb, namespace, name: named === undefined ? undefined : waypointName(named, verb), target: target(args, verb) };
    case 'delete': {
      const all = args.flags.has('all');
      if (all && extra.length) throw usage('name the waypoints to delete or pass --all, not both', verb);
      if (!all && !extra.length) throw usage('name the waypoints to delete, or pass --all for every waypoint of the namespace', verb);
      return { verb, namespace, names: [...new Set(extra.map((n) => waypointName(n, verb)))], all, target: target(args, verb) };
    }
  }
}
