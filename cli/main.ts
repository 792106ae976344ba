// The `ambit` command: dispatches to its subcommands and turns errors into one clear message and
// a non-zero exit code.

import { parseArgs, UsageError } from './args';
import { demo } from './demo';
import { INSTALL_USAGE, installCommand } from './install';
import { LOCAL_USAGE, localCommand } from './local';
import { WAYPOINT_USAGE, waypointCommand } from './waypoint';
import { ZTUNNEL_CONFIG_USAGE, ztunnelConfigCommand } from './ztunnel-config';

const USAGE = `usage: ambit <command>

  demo                 bring up the local cluster, deploy the samples, and show a request
  ${INSTALL_USAGE}
  ${WAYPOINT_USAGE}
  ${ZTUNNEL_CONFIG_USAGE}
${LOCAL_USAGE.split('\n').map((l) => `  ${l}`).join('\n')}
`;

export async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  try {
    switch (cmd) {
      case 'local': await localCommand(rest); break;
      case 'install': await installCommand(rest); break;
      case 'ztunnel-config': await ztunnelConfigCommand(rest); break;
      case 'waypoint': await waypointCommand(rest); break;
      case 'demo': await demo(parseArgs(rest, { nodes: 'value', name: 'value', block: 'value' })); break;
      case undefined: case 'help': case '--help': case '-h': process.stdout.write(USAGE); break;
      default: throw new UsageError(`unknown command '${cmd}'\n\n${USAGE}`);
    }
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`ambit: ${err.message}\n`);
      return 2;
    }
    const e = err as Error & { body?: unknown };
    const detail = e.body && typeof e.body === 'object' && 'message' in e.body ? `: ${String((e.body as { message: unknown }).message)}` : '';
    process.stderr.write(`ambit: ${e.message}${detail}\n`);
    return 1;
  }
}

if (require.main === module) {
  void main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
