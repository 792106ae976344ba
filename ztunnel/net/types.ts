// How ztunnel's proxies get sockets: listeners that receive captured (TPROXY'd) connections, whose
// local address is the original destination, and outgoing connections that may carry another
// address as their source (the original client's, so the app sees the real peer). The transparent
// implementation (IP_TRANSPARENT, needs root and the capture rules) is in transparent.ts; the plain
// one (loopback tests, no spoofing) in plain.ts.

import type { Server, Socket } from 'node:net';

export interface ConnectOptions {
  readonly host: string;
  readonly port: number;
  /** Bind the source to this address (any address with a transparent factory). */
  readonly sourceAddress?: string;
  readonly timeoutMs?: number;
  readonly signal?: AbortSignal;
}

export interface SocketFactory {
  /** Whether listeners receive captured traffic and connect() can use a foreign source. */
  readonly transparent: boolean;
  /** A listening server (allowHalfOpen, noDelay); resolves once listening. */
  listen(host: string, port: number, onConnection: (socket: Socket) => void): Promise<Server>;
  /** Resolves once connected (allowHalfOpen, noDelay); rejects with the errno code on failure. */
  connect(options: ConnectOptions): Promise<Socket>;
}
