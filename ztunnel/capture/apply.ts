// Applying the capture rule set to the network namespace ztunnel runs in: reads what is installed
// (iptables-save, ip rule/route), plans the difference (iptables-plan.ts, routing-plan.ts) and
// runs it — one atomic iptables-restore per apply, `ip` for the policy routing. The commands run
// with execFile (no shell), rule text on stdin; `CaptureSystem` is the seam tests replace.

import { execFile } from 'node:child_process';
import { networkInterfaces } from 'node:os';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { leftoverRules, parseIptablesSave, planTables } from './iptables-plan';
import { planRouting, planRoutingRemoval, routingLeftovers } from './routing-plan';
import { ROUTE_TABLE, type CaptureRuleSet } from './rules';

export interface CaptureSystem {
  /** `iptables-save` (all tables). */
  iptablesSave(): Promise<string>;
  /** `iptables-restore --noflush` with `input` on stdin. */
  iptablesRestore(input: string): Promise<void>;
  /** `ip <args>`; resolves with stdout. */
  ip(args: readonly string[]): Promise<string>;
  /** IPv4 addresses of this network namespace's interfaces. */
  nodeAddresses(): string[];
}

const COMMAND_TIMEOUT_MS = 20_000;

function runCommand(cmd: string, args: readonly string[], input?: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = execFile(cmd, args, { timeout: COMMAND_TIMEOUT_MS, maxBuffer: 64 * 1024 * 1024 }, (err, stdout, stderr) => {
      if (!err) {
        resolve(stdout);
        return;
      }
      const detail = String(stderr).trim().replace(/\s*\n\s*/g, '; ');
      const command = [cmd, ...args].join(' ');
      // The stderr says why; the exec error (which repeats it) is the cause only when it is empty.
      reject(detail ? new MeshError(ErrorCode.Unavailable, `capture: '${command}' failed: ${detail}`) : new MeshError(ErrorCode.Unavailable, `capture: '${command}' failed`, { cause: err }));
    });
    child.stdin?.on('error', () => undefined);
    child.stdin?.end(input ?? '');
  });
}

/** The real system: iptables and iproute2 of the current network namespace. */
export function commandSystem(): CaptureSystem {
  return {
    iptablesSave: () => runCommand('iptables-save', []),
    iptablesRestore: async (input) => {
      await runCommand('iptables-restore', ['-w', '5', '--noflush'], input);
    },
    ip: (args) => runCommand('ip', args),
    nodeAddresses: () =>
      Object.values(networkInterfaces())
        .flatMap((list) => list ?? [])
        .filter((a) => a.family === 'IPv4')
        .map((a) => a.address),
  };
}

export interface ApplyResult {
  /** Whether anything had to change. */
  readonly changed: boolean;
  /** The iptables-restore input that was run, if any. */
  readonly restoreInput: string | null;
}

async function routingState(system: CaptureSystem): Promise<{ rules: string; routes: string }> {
  const routes = system.ip(['-4', 'route', 'show', 'table', String(ROUTE_TABLE)]).catch((e: unknown) => {
    // A table that was never used (or was flushed) does not exist: it is empty.
    if (e instanceof Error && /table does not exist/i.test(e.message)) return '';
    throw e;
  });
  return { rules: await system.ip(['-4', 'rule', 'show']), routes: await routes };
}

/**
 * Makes the namespace's capture rules equal to `want`. `fromScratch` rewrites every chain of ours
 * (in the same atomic restore that removes leftovers), as a (re)start must.
 */
export async function applyRules(system: CaptureSystem, want: CaptureRuleSet, fromScratch: boolean): Promise<ApplyResult> {
  // Routing first: once a packet is marked it must have the local route, or it would be forwarded.
  const routing = await routingState(system);
  const ipCommands = planRouting(want, routing.rules, routing.routes);
  for (const args of ipCommands) await system.ip(args);
  const saved = parseIptablesSave(await system.iptablesSave());
  const restoreInput = planTables(want, saved, { fromScratch });
  if (restoreInput !== null) await system.iptablesRestore(restoreInput);
  return { changed: ipCommands.length > 0 || restoreInput !== null, restoreInput };
}

/** Removes every chain, jump, rule and route of ours; resolves with what could not be removed. */
export async function removeRules(system: CaptureSystem): Promise<string[]> {
  const problems: string[] = [];
  try {
    const restoreInput = planTables(undefined, parseIptablesSave(await system.iptablesSave()));
    if (restoreInput !== null) await system.iptablesRestore(restoreInput);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  try {
    const routing = await routingState(system);
    for (const args of planRoutingRemoval(routing.rules, routing.routes)) await system.ip(args);
  } catch (e) {
    problems.push(e instanceof Error ? e.message : String(e));
  }
  return problems;
}

/** What of ours is installed now (empty: nothing) — for checks and tests. */
export async function installedLeftovers(system: CaptureSystem): Promise<string[]> {
  const routing = await routingState(system);
  return [...leftoverRules(parseIptablesSave(await system.iptablesSave())), ...routingLeftovers(routing.rules, routing.routes)];
}
