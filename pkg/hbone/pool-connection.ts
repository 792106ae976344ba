// One pooled HBONE client connection: mutual TLS 1.3 (no SNI, cached SecureContext, server
// identity checked against the expected SPIFFE IDs) carrying HTTP/2, with its stream slots,
// readiness (first SETTINGS from the server), PING keepalive, idle release and failure reason.

import { connect as h2connect, constants as h2, type ClientHttp2Session } from 'node:http2';
import { connect as tlsConnect, type TLSSocket } from 'node:tls';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { formatAuthority } from './authority';
import { connectionFailure, goawayFailure } from './errors';
import { startKeepalive } from './keepalive';
import { clientSecureContext, serverIdentityCheck } from './tls-context';
import type { HboneDialRequest, HbonePoolOptions } from './types';
import { WriteDecoupledStream } from './write-decoupler';

const MiB = 1024 * 1024;
/** Client header list limit (ztunnel's). */
const CLIENT_MAX_HEADER_LIST_BYTES = 16 * 1024;

export class PoolConnection {
  readonly target: string;
  /** Resolves once the server's first SETTINGS arrived; rejects with a MeshError otherwise. */
  readonly ready: Promise<void>;
  readonly session: ClientHttp2Session;
  private readonly tls: TLSSocket;
  /** Slots taken: streams open plus callers about to open one. */
  reserved = 0;
  /** Why the connection can no longer be used (GOAWAY with an error, TLS failure, ...). */
  failure: MeshError | undefined;
  private usableFlag = true;
  private isReady = false;
  private peerMaxStreams = Number.POSITIVE_INFINITY;
  private idleTimer: NodeJS.Timeout | undefined;
  private readonly options: HbonePoolOptions;
  private readonly onUnusable: (conn: PoolConnection) => void;

  constructor(req: HboneDialRequest, options: HbonePoolOptions, onUnusable: (conn: PoolConnection) => void) {
    this.options = options;
    this.onUnusable = onUnusable;
    const { address, port } = req.destination;
    this.target = formatAuthority(address, port);
    const secureContext = clientSecureContext(req.source);
    const checkServerIdentity = serverIdentityCheck(req.expectedIdentities);
    this.tls = tlsConnect({
      host: address,
      port,
      secureContext,
      ALPNProtocols: ['h2'],
      servername: '',
      rejectUnauthorized: true,
      checkServerIdentity,
      ...(req.sourceAddress ? { localAddress: req.sourceAddress } : {}),
    });
    // The session writes to the wrapper below, so Node cannot switch Nagle off for us.
    this.tls.setNoDelay(true);
    // Bounded by the server's flow-control windows; the cap only trips if the server stops reading.
    const transport = new WriteDecoupledStream(this.tls, 4 * options.connectionWindowBytes + 4 * MiB);
    this.session = h2connect(`https://${this.target}`, {
      createConnection: () => transport,
      settings: {
        enablePush: false,
        initialWindowSize: options.streamWindowBytes,
        maxFrameSize: options.maxFrameBytes,
        maxHeaderListSize: CLIENT_MAX_HEADER_LIST_BYTES,
      },
      maxSessionMemory: Math.ceil((2 * options.connectionWindowBytes) / MiB) + 16,
      peerMaxConcurrentStreams: options.maxStreamsPerConnection,
    });
    this.ready = this.watch();
    // Nobody may be waiting on `ready` when it fails (all callers gave up); never unhandled.
    this.ready.catch(() => undefined);
  }

  /** How many streams this connection may carry (our cap, lowered by the server's SETTINGS). */
  get capacity(): number {
    return Math.min(this.options.maxStreamsPerConnection, this.peerMaxStreams);
  }

  get usable(): boolean {
    return this.usableFlag && !this.session.closed && !this.session.destroyed;
  }

  get hasRoom(): boolean {
    return this.usable && this.reserved < this.capacity;
  }

  reserve(): void {
    this.reserved++;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
  }

  release(): void {
    this.reserved = Math.max(0, this.reserved - 1);
    if (this.reserved > 0 || !this.usable || !this.isReady) return;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = setTimeout(() => {
      if (this.reserved === 0) this.retire(undefined, true);
    }, this.options.idleTimeoutMs);
    this.idleTimer.unref();
  }

  /** Leaves the pool; `graceful` lets open streams finish (GOAWAY), otherwise destroys. */
  retire(reason: MeshError | undefined, graceful: boolean): void {
    if (reason && !this.failure) this.failure = reason;
    if (this.idleTimer) clearTimeout(this.idleTimer);
    this.idleTimer = undefined;
    if (this.usableFlag) {
      this.usableFlag = false;
      this.onUnusable(this);
    }
    if (this.session.destroyed) return;
    if (graceful) this.session.close();
    // With an error, so streams still open fail loudly instead of looking cleanly ended.
    else this.session.destroy(this.failure ?? new MeshError(ErrorCode.Unavailable, `HBONE connection to ${this.target} was closed`));
  }

  private watch(): Promise<void> {
    const session = this.session;
    return new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => {
        const err = new MeshError(
          ErrorCode.Timeout,
          `HBONE connect to ${this.target} timed out after ${this.options.connectTimeoutMs} ms (is port ${this.target.split(':').pop()} blocked, e.g. by a NetworkPolicy?)`,
        );
        this.retire(err, false);
        reject(err);
      }, this.options.connectTimeoutMs);
      timer.unref();
      const fail = (err: MeshError): void => {
        clearTimeout(timer);
        this.retire(err, false);
        reject(this.failure ?? err);
      };
      session.on('error', (err: unknown) => fail(connectionFailure(this.target, err)));
      session.on('goaway', (code: number, _lastStreamId: number, opaque?: Buffer) => {
        if (code !== h2.NGHTTP2_NO_ERROR) fail(goawayFailure(this.target, code, opaque));
        else this.retire(undefined, true);
      });
      let handshakeDone = false;
      session.once('close', () => {
        clearTimeout(timer);
        this.retire(undefined, false);
        // A Node TLS server rejects a client certificate by closing right after the handshake,
        // without an alert: a close between the handshake and the first SETTINGS means exactly that.
        const why = handshakeDone
          ? new MeshError(
              ErrorCode.Unauthenticated,
              `HBONE server ${this.target} closed the connection right after the TLS handshake: it did not accept our certificate (expired, untrusted root or not a mesh identity)`,
            )
          : new MeshError(ErrorCode.Unavailable, `HBONE connection to ${this.target} closed before the TLS handshake completed`);
        reject(this.failure ?? why);
      });
      this.tls.once('secureConnect', () => {
        handshakeDone = true;
        if (this.tls.alpnProtocol !== 'h2') {
          fail(new MeshError(ErrorCode.Unavailable, `HBONE server ${this.target} does not speak HTTP/2 (ALPN ${String(this.tls.alpnProtocol)})`));
        }
      });
      session.once('connect', () => {
        try {
          session.setLocalWindowSize(this.options.connectionWindowBytes);
        } catch {
          // destroyed meanwhile; 'close' reports it
        }
        startKeepalive(session, {
          intervalMs: this.options.pingIntervalMs,
          timeoutMs: this.options.pingTimeoutMs,
          onTimeout: () => {
            this.failure ??= new MeshError(ErrorCode.Unavailable, `HBONE server ${this.target} stopped answering PINGs`);
          },
        });
      });
      session.once('remoteSettings', (settings) => {
        clearTimeout(timer);
        const max = settings.maxConcurrentStreams;
        if (typeof max === 'number' && max >= 0) this.peerMaxStreams = max;
        if (this.peerMaxStreams === 0) {
          fail(new MeshError(ErrorCode.Unavailable, `HBONE server ${this.target} allows no streams`));
          return;
        }
        this.isReady = true;
        if (this.reserved === 0) {
          this.reserved = 1;
          this.release();
        }
        resolve();
      });
      session.on('remoteSettings', (settings) => {
        const max = settings.maxConcurrentStreams;
        if (typeof max === 'number' && max > 0) this.peerMaxStreams = max;
      });
    });
  }
}
