// Test-only: an in-process delta ADS server (grpc-js, deltaAdsMethod) on loopback that records
// every stream's metadata and requests and lets a test push responses or end streams. Plaintext
// by default, TLS when given a serving certificate. Not imported by production code.

import * as grpc from '@grpc/grpc-js';
import { DELTA_ADS_METHOD, deltaAdsService } from './delta-messages';
import type { DeltaDiscoveryRequest, DeltaDiscoveryResponse } from './types';

type Call = grpc.ServerDuplexStream<DeltaDiscoveryRequest, DeltaDiscoveryResponse>;

export interface TestAdsStream {
  readonly index: number;
  readonly call: Call;
  readonly metadata: grpc.Metadata;
  readonly requests: DeltaDiscoveryRequest[];
  /** True once the client has gone (cancelled or ended). */
  closed: boolean;
}

export class TestAdsServer {
  readonly streams: TestAdsStream[] = [];
  private readonly server = new grpc.Server();
  private waiters: Array<() => void> = [];
  private nonce = 0;

  private constructor() {
    this.server.addService(deltaAdsService, {
      [DELTA_ADS_METHOD]: (call: Call) => {
        const stream: TestAdsStream = { index: this.streams.length, call, metadata: call.metadata, requests: [], closed: false };
        this.streams.push(stream);
        call.on('data', (req: DeltaDiscoveryRequest) => {
          stream.requests.push(req);
          this.notify();
        });
        const gone = () => {
          stream.closed = true;
          this.notify();
        };
        call.on('end', () => {
          call.end();
          gone();
        });
        call.on('cancelled', gone);
        call.on('error', gone);
        this.notify();
      },
    });
  }

  /** Starts on 127.0.0.1 with an ephemeral port; TLS when `tls` is given. */
  static async start(tls?: { certChainPem: string; keyPem: string }): Promise<{ server: TestAdsServer; address: string }> {
    const s = new TestAdsServer();
    const credentials = tls
      ? grpc.ServerCredentials.createSsl(null, [{ cert_chain: Buffer.from(tls.certChainPem), private_key: Buffer.from(tls.keyPem) }], false)
      : grpc.ServerCredentials.createInsecure();
    const port = await new Promise<number>((resolve, reject) => {
      s.server.bindAsync('127.0.0.1:0', credentials, (err, p) => (err ? reject(err) : resolve(p)));
    });
    return { server: s, address: `127.0.0.1:${port}` };
  }

  /** Resolves with `check()`'s value once it is defined, re-checking on every server event. */
  async until<T>(check: () => T | undefined): Promise<T> {
    for (;;) {
      const value = check();
      if (value !== undefined) return value;
      await new Promise<void>((resolve) => this.waiters.push(resolve));
    }
  }

  /** The stream with this index once it has received `count` requests. */
  requests(index: number, count: number): Promise<DeltaDiscoveryRequest[]> {
    return this.until(() => {
      const s = this.streams[index];
      return s && s.requests.length >= count ? s.requests.slice(0, count) : undefined;
    });
  }

  /** Sends a response on stream `index`; returns its nonce. */
  push(index: number, res: Omit<DeltaDiscoveryResponse, 'nonce'>): string {
    const nonce = `nonce-${++this.nonce}`;
    const stream = this.streams[index];
    if (!stream) throw new Error(`no stream ${index}`);
    stream.call.write({ ...res, nonce });
    return nonce;
  }

  /** Ends stream `index` from the server side (OK status, or the given error). */
  endStream(index: number, error?: { code: grpc.status; details: string }): void {
    const stream = this.streams[index];
    if (!stream) throw new Error(`no stream ${index}`);
    if (error) stream.call.emit('error', { code: error.code, details: error.details });
    else stream.call.end();
  }

  stop(): void {
    this.server.forceShutdown();
    this.notify();
  }

  private notify(): void {
    const waiters = this.waiters;
    this.waiters = [];
    for (const w of waiters) w();
  }
}
