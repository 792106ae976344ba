// The `ambit/tcp-echo` sample app: a TCP server that echoes every byte back. A client whose very
// first bytes are the line `whoami` gets `<pod> <version> <ip>:<port>` instead of that line's echo.
// Half-close is honoured: after the client's FIN the server finishes writing, then sends its FIN.
// SIGTERM stops accepting and lets open connections finish for a few seconds. Runnable as a
// program; tests call startTcpEchoServer in-process.
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import { exitOnTerminationSignal, exitWithConfigError } from './run-until-signal';
import { formatSource, identityFromEnv, portFromEnv, type PodIdentity } from './sample-app-env';
import { createWhoamiSniffer, whoamiLine } from './whoami-sniffer';

export interface TcpEchoOptions {
  /** TCP port; 0 picks a free one. Default 9000. */
  port?: number;
  /** Listen address; default all interfaces. */
  host?: string;
  identity?: Partial<PodIdentity>;
  /** One line per connection; default stdout. */
  log?: (line: string) => void;
  /** How long close() lets open connections run before destroying them. Default 5 s. */
  shutdownGraceMs?: number;
}

export interface RunningTcpEcho {
  port: number;
  close(): Promise<void>;
}

export function startTcpEchoServer(opts: TcpEchoOptions = {}): Promise<RunningTcpEcho> {
  const identity: PodIdentity = { ...identityFromEnv({}), ...opts.identity };
  const log = opts.log ?? ((line: string) => console.log(line));
  const graceMs = opts.shutdownGraceMs ?? 5_000;
  const sockets = new Set<net.Socket>();

  const server = net.createServer({ allowHalfOpen: true }, (socket) => {
    sockets.add(socket);
    const started = Date.now();
    const source = formatSource(socket.remoteAddress, socket.remotePort);
    const sniffer = createWhoamiSniffer();
    let echoed = 0;
    let askedWhoami = false;

    const send = (data: Buffer): void => {
      if (data.length === 0 || socket.destroyed) return;
      echoed += data.length;
      if (!socket.write(data)) socket.pause();
    };
    socket.on('drain', () => socket.resume());
    socket.on('data', (chunk: Buffer) => {
      const step = sniffer.feed(chunk);
      if (step.whoami) {
        askedWhoami = true;
        socket.write(whoamiLine(identity.pod, identity.version, source));
      }
      send(step.echo);
    });
    socket.on('end', () => {
      send(sniffer.finish());
      socket.end();
    });
    socket.on('error', () => socket.destroy());
    socket.on('close', () => {
      sockets.delete(socket);
      const what = askedWhoami ? 'whoami, ' : '';
      log(`${new Date().toISOString()} connection from ${source}: ${what}${echoed}B echoed in ${Date.now() - started}ms`);
    });
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      const force = setTimeout(() => {
        for (const socket of sockets) socket.destroy();
      }, graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 9000, opts.host, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as AddressInfo).port, close });
    });
  });
}

async function main(): Promise<void> {
  const port = portFromEnv(process.env.PORT, 9000);
  if (typeof port === 'string') exitWithConfigError(port);
  const identity = identityFromEnv(process.env);
  const server = await startTcpEchoServer({ port, identity });
  exitOnTerminationSignal(() => server.close());
  console.log(`tcp-echo ${identity.version} (pod ${identity.pod}) listening on port ${server.port}`);
}

if (require.main === module) {
  main().catch((err: unknown) => exitWithConfigError(`tcp-echo: ${err instanceof Error ? err.message : String(err)}`));
}
