// The plain (non-transparent) SocketFactory: ordinary Node listeners and connections. Used in
// loopback tests and with CAPTURE=none. A requested source address is honoured only when it is an
// address of this machine (any 127.0.0.0/8 address, ::1, or an interface address); otherwise the
// kernel picks the source, since binding a foreign address needs IP_TRANSPARENT.

import { createConnection, createServer, type Server, type Socket } from 'node:net';
import { networkInterfaces } from 'node:os';
import type { ConnectOptions, SocketFactory } from './types';

/** How long the list of interface addresses is reused before it is read again. */
const INTERFACE_CACHE_MS = 5_000;

function errorWithCode(code: string, message: string): Error {
  const err = new Error(message) as Error & { code: string };
  err.code = code;
  return err;
}

/** Whether `address` is 127.0.0.0/8 or ::1 (always local on Linux). */
function isLoopback(address: string): boolean {
  return address.startsWith('127.') || address === '::1' || address.startsWith('::ffff:127.');
}

export function plainSocketFactory(): SocketFactory {
  let cached: { readonly at: number; readonly addresses: ReadonlySet<string> } | undefined;

  const interfaceAddresses = (): ReadonlySet<string> => {
    const now = Date.now();
    if (cached && now - cached.at < INTERFACE_CACHE_MS) return cached.addresses;
    const addresses = new Set<string>();
    for (const list of Object.values(networkInterfaces())) {
      for (const info of list ?? []) addresses.add(info.address);
    }
    cached = { at: now, addresses };
    return addresses;
  };

  const isLocal = (address: string): boolean => isLoopback(address) || interfaceAddresses().has(address);

  const listen = (host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> => {
    const server = createServer({ allowHalfOpen: true, noDelay: true }, (socket) => {
      socket.on('error', () => undefined); // the handler adds its own; never an unhandled 'error'
      onConnection(socket);
    });
    return new Promise<Server>((resolve, reject) => {
      const onError = (err: Error): void => reject(err);
      server.once('error', onError);
      server.listen(port, host, () => {
        server.off('error', onError);
        server.on('error', () => undefined);
        resolve(server);
      });
    });
  };

  const connect = (options: ConnectOptions): Promise<Socket> => {
    const { signal } = options;
    if (signal?.aborted) return Promise.reject(errorWithCode('ABORT_ERR', 'the connect was aborted'));
    const localAddress = options.sourceAddress !== undefined && isLocal(options.sourceAddress) ? options.sourceAddress : undefined;
    return new Promise<Socket>((resolve, reject) => {
      const socket = createConnection({
        host: options.host,
        port: options.port,
        allowHalfOpen: true,
        noDelay: true,
        ...(localAddress !== undefined ? { localAddress } : {}),
      });
      let timer: NodeJS.Timeout | undefined;
      const cleanup = (): void => {
        if (timer) clearTimeout(timer);
        socket.off('connect', onConnect);
        socket.off('error', onError);
        signal?.removeEventListener('abort', onAbort);
      };
      const fail = (err: Error): void => {
        cleanup();
        socket.on('error', () => undefined);
        socket.destroy();
        reject(err);
      };
      const onConnect = (): void => {
        cleanup();
        resolve(socket);
      };
      const onError = (err: Error): void => fail(err);
      const onAbort = (): void => fail(errorWithCode('ABORT_ERR', 'the connect was aborted'));
      socket.once('connect', onConnect);
      socket.once('error', onError);
      signal?.addEventListener('abort', onAbort, { once: true });
      if (options.timeoutMs !== undefined && options.timeoutMs > 0) {
        timer = setTimeout(
          () => fail(errorWithCode('ETIMEDOUT', `connect to ${options.host}:${options.port} timed out after ${options.timeoutMs} ms`)),
          options.timeoutMs,
        );
        timer.unref();
      }
    });
  };

  return { transparent: false, listen, connect };
}
