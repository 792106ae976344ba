// Test helper for ztunnel-capture.test.ts, run inside a node network namespace (`ip netns exec`):
// starts the capture with a fake StateView plus transparent listeners on the three capture ports,
// and speaks JSON lines — commands on stdin, events on stdout. The outbound listener relays to the
// original destination from the client's own address (as ztunnel's passthrough does); the inbound
// listeners answer `captured <port> local=<ip:port> remote=<ip>` and close.

import { createInterface } from 'node:readline';
import type { Server, Socket } from 'node:net';
import type { Logger } from '../../pkg/log/logger';
import { startCapture } from '../../ztunnel/capture';
import { transparentSocketFactory } from '../../ztunnel/net/transparent';
import { FakeState, ambientWorkload } from '../../ztunnel/capture/test-fakes';

const NODE = 'test-node';
const PORTS = { outbound: 15001, inboundPlaintext: 15006, inbound: 15008 } as const;

function emit(event: Record<string, unknown>): void {
  process.stdout.write(`${JSON.stringify(event)}\n`);
}

const logger: Logger = {
  info: (line) => emit({ event: 'log', level: 'info', line }),
  warn: (line) => emit({ event: 'log', level: 'warn', line }),
  error: (line) => emit({ event: 'log', level: 'error', line }),
};

async function main(): Promise<void> {
  const resyncMs = Number(process.argv[2] ?? '10000');
  const state = new FakeState();
  const setPods = (ips: readonly string[]) => state.set(ips.map((ip) => ambientWorkload(ip, NODE)));
  setPods((process.argv[3] ?? '').split(',').filter((s) => s.length > 0));
  const sockets = transparentSocketFactory();
  const servers: Server[] = [];
  const open = new Set<Socket>();
  const track = (s: Socket) => {
    open.add(s);
    s.on('close', () => open.delete(s));
  };
  const accepted = (listener: number, s: Socket) => {
    track(s);
    emit({ event: 'accepted', listener, local: `${s.localAddress}:${s.localPort}`, remote: s.remoteAddress });
  };
  servers.push(await sockets.listen('0.0.0.0', PORTS.outbound, (client) => {
    accepted(PORTS.outbound, client);
    client.pause();
    sockets.connect({ host: client.localAddress!, port: client.localPort!, sourceAddress: client.remoteAddress!, timeoutMs: 5_000 }).then(
      (upstream) => {
        track(upstream);
        client.pipe(upstream);
        upstream.pipe(client);
        client.resume();
      },
      (e: NodeJS.ErrnoException) => {
        emit({ event: 'upstream-error', code: e.code ?? e.message });
        client.destroy();
      },
    );
  }));
  for (const port of [PORTS.inboundPlaintext, PORTS.inbound]) {
    servers.push(await sockets.listen('0.0.0.0', port, (s) => {
      accepted(port, s);
      s.end(`captured ${port} local=${s.localAddress}:${s.localPort} remote=${s.remoteAddress}`);
    }));
  }
  const capture = startCapture({ settings: { nodeName: NODE, ports: PORTS }, state, logger }, { resyncMs, coalesceMs: 20 });
  await capture.ready;
  emit({ event: 'ready', status: capture.status() });

  const waitApplied = async (version: number): Promise<void> => {
    while (capture.status().appliedVersion < version || capture.status().lastError !== undefined) await new Promise((r) => setTimeout(r, 10));
  };
  const lines = createInterface({ input: process.stdin });
  for await (const line of lines) {
    const cmd = JSON.parse(line) as { cmd: string; pods?: string[] };
    if (cmd.cmd === 'pods') {
      await waitApplied(setPods(cmd.pods ?? []));
      emit({ event: 'applied', status: capture.status() });
    } else if (cmd.cmd === 'status') {
      emit({ event: 'status', status: capture.status() });
    } else if (cmd.cmd === 'shutdown') {
      await capture.shutdown();
      for (const s of open) s.destroy();
      await Promise.all(servers.map((s) => new Promise((r) => s.close(r))));
      emit({ event: 'stopped', status: capture.status() });
      lines.close();
    }
  }
}

main().catch((e: unknown) => {
  emit({ event: 'fatal', message: e instanceof Error ? e.message : String(e) });
  process.exitCode = 1;
});
