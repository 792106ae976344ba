// `ambit ztunnel-config workloads|services|policies|certificates|all`: one node agent's view, like
// `istioctl ztunnel-config` — parse the arguments, fetch the agent's /config_dump (a URL, or the
// local cluster's node), print its tables or JSON. Pure parts live in ztunnel-config-target.ts and
// ztunnel-config-format.ts; fetching in ztunnel-admin.ts.

import { fetchAdminUrl, fetchLocalAgent, findLocalAgent, type FetchedDump } from './ztunnel-admin';
import { formatConfig, parseConfigDump } from './ztunnel-config-format';
import { parseZtunnelConfigArgs, type AgentTarget } from './ztunnel-config-target';

export { ZTUNNEL_CONFIG_USAGE } from './ztunnel-config-target';

export interface ZtunnelConfigIo {
  /** Where the output goes (stdout by default). */
  readonly write: (text: string) => void;
  readonly env: NodeJS.ProcessEnv;
  /** How the dump is fetched (tests replace it); by default fetchDump. */
  readonly fetch: (target: AgentTarget) => Promise<FetchedDump>;
}

/** The agent's raw /config_dump answer for a target. */
export async function fetchDump(target: AgentTarget): Promise<FetchedDump> {
  if (target.kind === 'url') return fetchAdminUrl(target.url);
  return fetchLocalAgent(await findLocalAgent(target.cluster, target.node));
}

const DEFAULT_IO: ZtunnelConfigIo = {
  write: (text) => { process.stdout.write(text); },
  env: process.env,
  fetch: fetchDump,
};

export async function ztunnelConfigCommand(argv: readonly string[], io: Partial<ZtunnelConfigIo> = {}): Promise<void> {
  const { write, env, fetch } = { ...DEFAULT_IO, ...io };
  const options = parseZtunnelConfigArgs(argv, env);
  const { body, from } = await fetch(options.target);
  write(formatConfig(parseConfigDump(body, from), options.section, options.output));
}
