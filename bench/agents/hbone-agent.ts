// The bench's HBONE agent, one OS process per side so CPU is attributable:
//   client: plain TCP listeners; each accepted connection becomes one HBONE stream from the shared
//           HbonePool to the server agent, spliced to the socket (what ztunnel's outbound does);
//   server: createHboneServer whose connect handler dials the requested loopback authority
//           (what ztunnel's inbound does).
// Prints `READY {...}` once listening; on SIGTERM/SIGINT closes gracefully and exits 0 (so a
// `--cpu-prof` profile gets written). Usage: see agent-args.ts.

import { connect as tcpConnect, createServer, type Server, type Socket } from 'node:net';
import { once } from 'node:events';
import { describeError } from '../../pkg/errors/mesh-error';
import { parseSpiffeId } from '../../pkg/identity/spiffe';
import { HbonePool, createHboneServer, splice, abortDuplex, type ConnectOutcome, type ConnectRequest, type HboneServer } from '../../pkg/hbone';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import { isLoopbackHost, parseAgentArgs, type AgentConfig } from './agent-args';
import { readCertificateFile } from './cert-file';

/** At most this many failure lines per process, so a broken run cannot flood the log. */
const MAX_LOGGED_FAILURES = 20;
let failuresLogged = 0;

function logFailure(what: string, err: unknown): void {
  if (failuresLogged++ < MAX_LOGGED_FAILURES) process.stderr.write(`hbone-agent: ${what}: ${describeError(err)}\n`);
}

function windowOptions(config: AgentConfig): { streamWindowBytes?: number; connectionWindowBytes?: number } {
  const out: { streamWindowBytes?: number; connectionWindowBytes?: number } = {};
  if (config.streamWindowBytes !== undefined) out.streamWindowBytes = config.streamWindowBytes;
  if (config.connectionWindowBytes !== undefined) out.connectionWindowBytes = config.connectionWindowBytes;
  return out;
}

async function dialUpstream(request: ConnectRequest): Promise<ConnectOutcome> {
  const { host, port } = request.authority;
  if (!isLoopbackHost(host)) return { kind: 'rejected', status: 400, reason: 'the bench agent dials loopback addresses only' };
  const socket = tcpConnect({ host, port, allowHalfOpen: true, noDelay: true });
  const onAbort = (): void => {
    socket.destroy();
  };
  request.signal.addEventListener('abort', onAbort, { once: true });
  try {
    await once(socket, 'connect');
    return { kind: 'connected', upstream: socket };
  } catch (err) {
    socket.destroy();
    logFailure(`dial ${host}:${port}`, err);
    return { kind: 'rejected', status: 503, reason: `cannot reach ${host}:${port}` };
  } finally {
    request.signal.removeEventListener('abort', onAbort);
  }
}

async function startServer(config: Extract<AgentConfig, { mode: 'server' }>, cert: WorkloadCertificate): Promise<() => Promise<void>> {
  const windows = windowOptions(config);
  const server: HboneServer = createHboneServer({
    certificateFor: () => cert,
    onConnect: dialUpstream,
    limits: windows,
  });
  const address = await server.listen(config.listen.port, config.listen.address);
  process.stdout.write(`READY ${JSON.stringify({ mode: 'server', port: address.port })}\n`);
  return () => server.close();
}

async function startClient(config: Extract<AgentConfig, { mode: 'client' }>, cert: WorkloadCertificate): Promise<() => Promise<void>> {
  const pool = new HbonePool(windowOptions(config));
  const expected = [parseSpiffeId(config.serverIdentity)];
  const listeners: Server[] = [];
  const onSocket = (authority: string) => (socket: Socket): void => {
    const aborter = new AbortController();
    const onEarlyClose = (): void => aborter.abort();
    socket.once('close', onEarlyClose);
    socket.on('error', () => undefined); // splice reports errors once it owns the socket
    pool
      .connect({ source: cert, destination: config.server, expectedIdentities: expected, authority, signal: aborter.signal })
      .then(
        (tunnel) => {
          socket.off('close', onEarlyClose);
          if (socket.destroyed) {
            abortDuplex(tunnel.stream);
            return;
          }
          void splice(socket, tunnel.stream);
        },
        (err: unknown) => {
          if (!aborter.signal.aborted) logFailure(`HBONE stream to ${authority}`, err);
          abortDuplex(socket);
        },
      );
  };
  for (const forward of config.forwards) {
    const listener = createServer({ allowHalfOpen: true, noDelay: true }, onSocket(forward.authority));
    await new Promise<void>((resolve, reject) => {
      listener.once('error', reject);
      listener.listen(forward.listenPort, '127.0.0.1', () => resolve());
    });
    listeners.push(listener);
  }
  process.stdout.write(`READY ${JSON.stringify({ mode: 'client', ports: config.forwards.map((f) => f.listenPort) })}\n`);
  return async () => {
    for (const l of listeners) l.close();
    await pool.close();
  };
}

async function main(): Promise<void> {
  const config = parseAgentArgs(process.argv.slice(2));
  if (typeof config === 'string') {
    process.stderr.write(`hbone-agent: ${config}\n`);
    process.exit(2);
  }
  const cert = await readCertificateFile(config.certFile);
  const close = config.mode === 'server' ? await startServer(config, cert) : await startClient(config, cert);
  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    setTimeout(() => process.exit(0), 3000).unref();
    close().then(
      () => process.exit(0),
      (err: unknown) => {
        logFailure('shutdown', err);
        process.exit(0);
      },
    );
  };
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
}

main().catch((err: unknown) => {
  process.stderr.write(`hbone-agent: ${describeError(err)}\n`);
  process.exit(1);
});
