// Before anything is measured, every path must carry traffic from its client pod: the HTTP
// backend answers 200 with 1 KiB (curl), the other servers accept a connection that stays open,
// and on the ambit path node2's ztunnel must count the connections as inbound HBONE — proof the
// bytes crossed the tunnel instead of passing through in plain text.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { inNetns } from './kube-cli';
import type { Endpoint, L4Path, L4PathId } from './l4-cluster-types';
import { sumCounter } from './l4-plan';
import { ztunnelMetrics } from './ztunnel-control';

// Connects, and succeeds only if the connection is still open 300 ms later (a proxy that cannot
// reach the server closes or resets it).
const HOLD_OPEN_SCRIPT = [
  "const net = require('node:net');",
  'const [host, port] = process.argv.slice(1);',
  'const s = net.connect(Number(port), host);',
  "const fail = (why) => { process.stderr.write(why + '\\n'); process.exit(1); };",
  "s.on('connect', () => setTimeout(() => { s.destroy(); process.exit(0); }, 300));",
  "s.on('error', (e) => fail(e.message));",
  "s.on('close', () => fail('closed by the other side'));",
  "setTimeout(() => fail('no connection within 5 s'), 5000);",
].join('\n');

async function checkHttp(netns: string, e: Endpoint, label: string): Promise<void> {
  const out = await inNetns(netns, 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-w', '%{http_code} %{size_download}', `http://${e.host}:${e.port}/`]);
  if (out.trim() !== '200 1024') throw new MeshError(ErrorCode.Unavailable, `${label}: GET http://${e.host}:${e.port}/ answered '${out.trim()}', expected '200 1024'`);
}

async function checkHoldOpen(netns: string, e: Endpoint): Promise<void> {
  await inNetns(netns, process.execPath, ['-e', HOLD_OPEN_SCRIPT, e.host, String(e.port)]);
}

const INBOUND_HBONE = { name: 'istio_tcp_connections_opened_total', labels: { reporter: 'destination' } } as const;

export interface PathCheckOptions {
  readonly netnsOf: (id: L4PathId) => string;
  /** Node netns of the destination ztunnel (its metrics prove the ambit path used HBONE). */
  readonly metricsNetns: string;
  readonly log: (line: string) => void;
}

export async function checkPaths(paths: readonly L4Path[], o: PathCheckOptions): Promise<void> {
  for (const p of paths) {
    const netns = o.netnsOf(p.id);
    const before = p.id === 'ambit' ? sumCounter(await ztunnelMetrics(o.metricsNetns), INBOUND_HBONE.name, INBOUND_HBONE.labels) : 0;
    let connections = 0;
    try {
      if (p.http) {
        await checkHttp(netns, p.http, p.label);
        connections++;
      }
      for (const e of [p.iperf, p.echo]) {
        if (!e) continue;
        await checkHoldOpen(netns, e);
        connections++;
      }
    } catch (err) {
      throw new MeshError(ErrorCode.Unavailable, `path ${p.label} does not carry traffic`, { cause: err });
    }
    if (p.id === 'ambit') {
      const after = sumCounter(await ztunnelMetrics(o.metricsNetns), INBOUND_HBONE.name, INBOUND_HBONE.labels);
      if (after - before < connections) {
        throw new MeshError(ErrorCode.Unavailable, `path ambit: node2's ztunnel counted ${after - before} inbound connection(s) for the ${connections} made; the traffic did not go through HBONE`);
      }
      o.log(`ambit path: node2's ztunnel counted ${after - before} inbound HBONE connection(s) for the ${connections} check(s)`);
    }
  }
}
