// The transparent SocketFactory: listeners with IP_TRANSPARENT (they accept TPROXY'd connections
// and see the original destination as their local address) and outgoing connections bound to any
// source address (the original client's), marked with SOCKET_MARK so the capture rules deliver
// their replies to ztunnel. The sockets come from the Node-API addon built from
// transparent.c (`npm run build` puts it beside this file in dist/); Node adopts the descriptors.

import { constants as osConstants } from 'node:os';
import { isIP, Socket, connect as netConnect, createServer, type Server } from 'node:net';
import { join } from 'node:path';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { SOCKET_MARK } from '../capture/marks';
import type { ConnectOptions, SocketFactory } from './types';

export interface TransparentAddon {
  transparentListen(host: string, port: number, backlog: number): number;
  transparentBind(host: string, port: number, mark: number): number;
  closeFd(fd: number): void;
}

const LISTEN_BACKLOG = 511;
const DEFAULT_ADDON_PATH = join(__dirname, 'transparent.node');
const loaded = new Map<string, TransparentAddon>();

function isAddon(value: unknown): value is TransparentAddon {
  if (typeof value !== 'object' || value === null) return false;
  const v = value as Record<string, unknown>;
  return typeof v.transparentListen === 'function' && typeof v.transparentBind === 'function' && typeof v.closeFd === 'function';
}

/** Loads the addon (once) from beside the compiled file; a clear error when it was not built. */
export function loadTransparentAddon(path: string = DEFAULT_ADDON_PATH): TransparentAddon {
  const cached = loaded.get(path);
  if (cached) return cached;
  const module = { exports: {} as unknown };
  try {
    process.dlopen(module, path);
  } catch (e) {
    const why = e instanceof Error ? e.message : String(e);
    throw new MeshError(
      ErrorCode.Unavailable,
      `transparent sockets: cannot load the native addon ${path} (${why}); run \`npm run build\`, which compiles ztunnel/net/transparent.c (needs gcc and the Node.js headers)`,
      { cause: e },
    );
  }
  if (!isAddon(module.exports)) throw new MeshError(ErrorCode.Internal, `transparent sockets: ${path} does not export transparentListen/transparentBind/closeFd`);
  loaded.set(path, module.exports);
  return module.exports;
}

/** The addon throws errors whose code is `E<errno number>`; give them Node's name (EADDRINUSE). */
function withErrnoName(e: unknown): Error {
  const err: NodeJS.ErrnoException = e instanceof Error ? e : new Error(String(e));
  const m = /^E(\d+)$/.exec(err.code ?? '');
  if (m) {
    const n = Number(m[1]);
    const name = Object.entries(osConstants.errno).find(([, v]) => v === n)?.[0];
    if (name) {
      err.code = name;
      err.errno = -n;
    }
  }
  return err;
}

function errorWithCode(message: string, code: string): Error {
  return Object.assign(new Error(message), { code });
}

/** Waits for `socket` to connect, honouring the timeout and the abort signal; destroys it on failure. */
function whenConnected(socket: Socket, options: ConnectOptions): Promise<Socket> {
  return new Promise((resolve, reject) => {
    const { signal, timeoutMs } = options;
    let timer: NodeJS.Timeout | undefined;
    const finish = (err?: Error) => {
      if (timer) clearTimeout(timer);
      signal?.removeEventListener('abort', onAbort);
      socket.removeListener('connect', onConnect);
      socket.removeListener('error', onError);
      if (err) {
        socket.on('error', () => undefined); // nothing may surface as an unhandled 'error' later
        socket.destroy();
        reject(err);
      } else {
        socket.setNoDelay(true);
        resolve(socket);
      }
    };
    const onConnect = () => finish();
    const onError = (e: Error) => finish(e);
    const onAbort = () => finish(Object.assign(new Error(`connect to ${options.host}:${options.port} aborted`), { name: 'AbortError', code: 'ABORT_ERR' }));
    socket.once('connect', onConnect);
    socket.once('error', onError);
    signal?.addEventListener('abort', onAbort, { once: true });
    if (timeoutMs !== undefined && timeoutMs > 0) {
      timer = setTimeout(() => finish(errorWithCode(`connect to ${options.host}:${options.port} timed out after ${timeoutMs} ms`, 'ETIMEDOUT')), timeoutMs);
    }
  });
}

/** A factory for ztunnel in the node's network namespace (root, capture rules installed). */
export function transparentSocketFactory(addon: TransparentAddon = loadTransparentAddon()): SocketFactory {
  return {
    transparent: true,

    listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server> {
      return new Promise((resolve, reject) => {
        let fd: number;
        try {
          fd = addon.transparentListen(host, port, LISTEN_BACKLOG);
        } catch (e) {
          reject(withErrnoName(e));
          return;
        }
        const server = createServer({ allowHalfOpen: true, pauseOnConnect: false, noDelay: true }, (socket) => {
          socket.on('error', () => undefined); // the handler adds its own; never an unhandled 'error'
          socket.setNoDelay(true);
          onConnection(socket);
        });
        const onError = (e: Error) => reject(e); // Node owns the descriptor once listen({ fd }) ran
        server.once('error', onError);
        try {
          server.listen({ fd }, () => {
            server.removeListener('error', onError);
            server.on('error', () => undefined);
            resolve(server);
          });
        } catch (e) {
          addon.closeFd(fd);
          reject(e instanceof Error ? e : new Error(String(e)));
        }
      });
    },

    async connect(options: ConnectOptions): Promise<Socket> {
      const { host, port, sourceAddress, signal } = options;
      if (!Number.isInteger(port) || port < 1 || port > 65535) throw errorWithCode(`port ${String(port)} is not a TCP port`, 'EINVAL');
      if (signal?.aborted) throw Object.assign(new Error(`connect to ${host}:${port} aborted`), { name: 'AbortError', code: 'ABORT_ERR' });
      if (sourceAddress === undefined) {
        return whenConnected(netConnect({ host, port, allowHalfOpen: true, noDelay: true }), options);
      }
      if (isIP(sourceAddress) === 0) throw errorWithCode(`source address '${sourceAddress}' is not an IP address`, 'EINVAL');
      let fd: number;
      try {
        fd = addon.transparentBind(sourceAddress, 0, SOCKET_MARK);
      } catch (e) {
        throw withErrnoName(e);
      }
      let socket: Socket;
      try {
        socket = new Socket({ fd, allowHalfOpen: true, readable: true, writable: true });
      } catch (e) {
        addon.closeFd(fd); // never adopted
        throw e;
      }
      // From here Node owns the descriptor: destroying the socket closes it.
      const connected = whenConnected(socket, options);
      socket.connect({ host, port });
      return connected;
    },
  };
}
