// The SOCKS5 front end (15080 on 127.0.0.1, opt-in): RFC 1928 CONNECT without authentication.
// The source workload is the one owning the client's IP (so a process on the node itself, coming
// from 127.0.0.1 or the node IP, owns none and is refused); a domain name is resolved only against
// Service hostnames in the state (`<name>.<ns>.svc.<domain>` → its VIP), never via DNS. After the
// handshake the connection takes the outbound path; the reply is sent once the upstream is ready.

import type { Socket } from 'node:net';
import { handlerCrashed, noop, resetSocket, type Destination, type ProxyContext } from './context';
import { handleOutbound } from './outbound';
import { serviceByHostname } from './outbound-plan';
import type { ClientHooks, Refusal } from './relay';
import {
  MAX_GREETING_BYTES,
  MAX_REQUEST_BYTES,
  METHOD_NONE_ACCEPTABLE,
  METHOD_NO_AUTH,
  SOCKS_REPLY,
  greetingReply,
  parseGreeting,
  parseRequest,
  requestReply,
  type SocksReply,
  type SocksTarget,
} from './socks5-protocol';

const REFUSAL_REPLY: Readonly<Record<Refusal, SocksReply>> = Object.freeze({
  denied: SOCKS_REPLY.notAllowed,
  unreachable: SOCKS_REPLY.hostUnreachable,
  failed: SOCKS_REPLY.generalFailure,
});

/** Answers with a reply code and closes once it is written. */
function refuseWith(socket: Socket, code: SocksReply): void {
  if (socket.destroyed) return;
  socket.end(requestReply(code), () => socket.destroy());
}

function socksHooks(socket: Socket): ClientHooks {
  return {
    established: () => {
      socket.write(requestReply(SOCKS_REPLY.succeeded));
    },
    refused: (why) => refuseWith(socket, REFUSAL_REPLY[why]),
  };
}

/** The destination a SOCKS target names, or the reply code when it names nothing we can reach. */
function resolveTarget(ctx: ProxyContext, target: SocksTarget): Destination | SocksReply {
  if (target.kind === 'ip') return { address: target.address, port: target.port };
  const service = serviceByHostname(ctx.deps.state, target.host);
  const vip = service?.addresses[0]?.address;
  return vip === undefined ? SOCKS_REPLY.hostUnreachable : { address: vip, port: target.port };
}

/** Runs the SOCKS5 handshake on an accepted socket, then hands it to the outbound path. */
export function handleSocks5(ctx: ProxyContext, socket: Socket): void {
  socket.on('error', noop);
  if (ctx.tracker.closing) {
    resetSocket(socket);
    return;
  }
  let buffered: Buffer = Buffer.alloc(0);
  let stage: 'greeting' | 'request' = 'greeting';
  const timer = setTimeout(() => resetSocket(socket), ctx.deps.settings.connectTimeoutMs);
  timer.unref();
  const stop = (): void => {
    clearTimeout(timer);
    socket.off('data', onChunk);
    socket.off('close', onClose);
    socket.pause();
  };
  const onClose = (): void => stop();
  const onData = (chunk: Buffer): void => {
    buffered = buffered.length === 0 ? chunk : Buffer.concat([buffered, chunk]);
    if (stage === 'greeting') {
      const greeting = parseGreeting(buffered);
      if (greeting.kind === 'incomplete') {
        if (buffered.length > MAX_GREETING_BYTES) finish(() => resetSocket(socket));
        return;
      }
      if (greeting.kind === 'invalid' || !greeting.value.noAuthOffered) {
        finish(() => socket.end(greetingReply(METHOD_NONE_ACCEPTABLE), () => socket.destroy()));
        return;
      }
      socket.write(greetingReply(METHOD_NO_AUTH));
      buffered = buffered.subarray(greeting.consumed);
      stage = 'request';
    }
    const request = parseRequest(buffered);
    if (request.kind === 'incomplete') {
      if (buffered.length > MAX_REQUEST_BYTES) finish(() => refuseWith(socket, SOCKS_REPLY.generalFailure));
      return;
    }
    if (request.kind === 'invalid') {
      finish(() => refuseWith(socket, request.reply));
      return;
    }
    const rest = buffered.subarray(request.consumed);
    const dest = resolveTarget(ctx, request.value);
    finish(() => {
      if (typeof dest === 'number') {
        refuseWith(socket, dest);
        return;
      }
      if (rest.length > 0) socket.unshift(rest); // bytes the client sent before our reply
      void handleOutbound(ctx, socket, dest, socksHooks(socket));
    });
  };
  const finish = (next: () => void): void => {
    stop();
    next();
  };
  const onChunk = (chunk: Buffer): void => {
    try {
      onData(chunk);
    } catch (err) {
      stop();
      handlerCrashed(ctx, 'SOCKS5', socket, err);
    }
  };
  socket.on('data', onChunk);
  socket.once('close', onClose);
}
