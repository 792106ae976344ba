// Pure decisions of `ambit ztunnel-config`: its arguments (section, output, where the agent is),
// which node of the local cluster to ask, whether a ztunnel pod runs there, and the network
// namespace its admin port lives in. Errors are one line a user can act on.

import { nodeNetnsName } from '../localcluster/runtime/names';
import { parseArgs, stringFlag, UsageError } from './args';
import { OUTPUT_FORMATS, sectionNamed, type OutputFormat, type Section } from './ztunnel-config-format';

export const ZTUNNEL_CONFIG_USAGE = `ztunnel-config workloads|services|policies|certificates|all [--node NAME] [-o json|table] [--cluster NAME] [--admin-url URL]
                       one node agent's view (its admin /config_dump) as tables or JSON; on the local
                       cluster --node picks the node (default: the only one), elsewhere
                       --admin-url http://127.0.0.1:15000 (e.g. after kubectl port-forward)`;

/** Where ztunnel's DaemonSet runs and how its pods are labelled (manifests/install/ztunnel.yaml). */
export const ZTUNNEL_NAMESPACE = 'istio-system';
export const ZTUNNEL_SELECTOR = 'app=ztunnel';
/** ztunnel's admin address inside its node's network namespace. */
export const NODE_ADMIN_URL = 'http://127.0.0.1:15000/config_dump';

export type AgentTarget =
  | { readonly kind: 'url'; readonly url: URL }
  | { readonly kind: 'local'; readonly cluster: string | undefined; readonly node: string | undefined };

export interface ZtunnelConfigOptions {
  readonly section: Section;
  readonly output: OutputFormat;
  readonly target: AgentTarget;
}

const FLAGS = { node: 'value', output: 'value', cluster: 'value', 'admin-url': 'value' } as const;

const usage = (problem: string): UsageError => new UsageError(`${problem}\nusage: ambit ${ZTUNNEL_CONFIG_USAGE.split('\n')[0]}`);

/** `http://host:port[/path]` → the URL of its /config_dump (a path already ending in /config_dump is kept). */
export function adminDumpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw usage(`--admin-url ${text}: not a URL (example: http://127.0.0.1:15000)`);
  }
  if (url.protocol !== 'http:') throw usage(`--admin-url ${text}: ztunnel's admin port speaks plain http://`);
  if (url.username || url.password) throw usage(`--admin-url ${text}: credentials in the URL are not supported`);
  if (!url.pathname.endsWith('/config_dump')) url.pathname = `${url.pathname.replace(/\/+$/, '')}/config_dump`;
  url.search = '';
  url.hash = '';
  return url;
}

export function parseZtunnelConfigArgs(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ZtunnelConfigOptions {
  const args = parseArgs(argv, FLAGS, { '-o': 'output' });
  const [sectionText, ...extra] = [...args.positionals, ...args.rest];
  if (sectionText === undefined) throw usage('say what to show');
  const section = sectionNamed(sectionText);
  if (!section) throw usage(`unknown section '${sectionText}': pick workloads, services, policies, certificates or all`);
  if (extra.length) throw usage(`unexpected arguments: ${extra.join(' ')}`);
  const outputText = stringFlag(args, 'output') ?? 'table';
  if (!(OUTPUT_FORMATS as readonly string[]).includes(outputText)) throw usage(`-o ${outputText}: pick json or table`);
  const adminUrl = stringFlag(args, 'admin-url');
  const node = stringFlag(args, 'node');
  const cluster = stringFlag(args, 'cluster');
  if (adminUrl !== undefined && (node !== undefined || cluster !== undefined)) {
    throw usage('--admin-url names one agent directly; --node and --cluster pick one of the local cluster: use one or the other');
  }
  const target: AgentTarget = adminUrl !== undefined
    ? { kind: 'url', url: adminDumpUrl(adminUrl) }
    : { kind: 'local', cluster: cluster ?? env.AMBIT_CLUSTER, node };
  return { section, output: outputText as OutputFormat, target };
}

/** The node asked for, or the only one; otherwise an error naming the nodes there are. */
export function chooseNode(nodes: readonly string[], requested: string | undefined, cluster: string): string {
  const names = [...nodes].sort();
  if (requested !== undefined) {
    if (names.includes(requested)) return requested;
    throw new UsageError(`local cluster '${cluster}' has no node '${requested}' (nodes: ${names.join(', ') || 'none'})`);
  }
  if (names.length === 1) return names[0];
  if (names.length === 0) throw new UsageError(`local cluster '${cluster}' has no nodes`);
  throw new UsageError(`local cluster '${cluster}' has ${names.length} nodes (${names.join(', ')}): pick one with --node`);
}

/** A ztunnel pod as the command needs it. */
export interface AgentPod {
  readonly name: string;
  readonly nodeName: string | undefined;
  readonly phase: string | undefined;
  readonly ready: boolean;
}

/** The ztunnel pod on `node` (a running one first), or an error saying where ztunnel pods are. */
export function agentPodOn(pods: readonly AgentPod[], node: string): AgentPod {
  const here = pods.filter((p) => p.nodeName === node);
  const pod = here.find((p) => p.ready) ?? here.find((p) => p.phase === 'Running') ?? here[0];
  if (pod) return pod;
  const where = pods.length
    ? `ztunnel pods run on: ${[...new Set(pods.map((p) => p.nodeName ?? 'unscheduled'))].sort().join(', ')}`
    : `there are no ztunnel pods at all: install the mesh with 'ambit install'`;
  throw new UsageError(`no ztunnel pod (namespace ${ZTUNNEL_NAMESPACE}, label ${ZTUNNEL_SELECTOR}) is scheduled on node ${node}; ${where}`);
}

/** The network namespace of a local-cluster node (`node<i>` → `<cluster>-node<i>`). */
export function nodeNetns(cluster: string, node: string): string {
  const m = /^node([1-9][0-9]*)$/.exec(node);
  if (!m) throw new UsageError(`node '${node}' is not a local-cluster node name (node1, node2, ...)`);
  return nodeNetnsName(cluster, Number(m[1]));
}
