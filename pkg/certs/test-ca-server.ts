// Test support (not used by the data plane itself): a real grpc-js CreateCertificate server on loopback
// with TLS, signing with a test CA and honouring the requested validity, recording every call. It
// can be stopped and started again on the same port to play a CA that goes away and comes back,
// and its behaviour can be swapped (refuse with a gRPC status, answer with something else).

import * as grpc from '@grpc/grpc-js';
import { createCertificateMethod, IMPERSONATED_IDENTITY, type CertificateRequest, type CertificateResponse } from '../api/ca-messages';
import { describeError } from '../errors/mesh-error';
import { parseSpiffeId } from '../identity/spiffe';
import { createTestMesh } from '../testing/mesh-certs';
import type { CertificateAuthority, ServingCertificate } from '../tls/authority';

export const TEST_TRUST_DOMAIN = 'cluster.local';
export const TEST_CA_SERVER_NAME = 'istiod.istio-system.svc';

export interface RecordedCall {
  readonly authorization: string | undefined;
  readonly clusterId: string | undefined;
  readonly request: CertificateRequest;
}

/** What the server does with a request: answer (a response) or refuse (a status and message). */
export type CaBehaviour = (request: CertificateRequest, ca: CertificateAuthority) => Promise<CertificateResponse | { code: grpc.status; details: string }>;

/** Signs the impersonated identity for the requested validity (default 24 h), like istiod. */
export const signImpersonated: CaBehaviour = async (request, ca) => {
  const identity = parseSpiffeId(request.metadata[IMPERSONATED_IDENTITY] ?? '');
  const ttlSeconds = request.validityDurationSeconds > 0 ? request.validityDurationSeconds : 86_400;
  return { certChain: await ca.signWorkload({ csrPem: request.csr, identity, ttlSeconds }) };
};

/** A fresh test mesh CA and a serving certificate for `istiod.istio-system.svc` (and 127.0.0.1) signed by it. */
export async function createTestAuthority(): Promise<{ ca: CertificateAuthority; serving: ServingCertificate }> {
  const { ca } = await createTestMesh({ trustDomain: TEST_TRUST_DOMAIN });
  const serving = await ca.issueServing({ dnsNames: [TEST_CA_SERVER_NAME], ipAddresses: ['127.0.0.1'], ttlSeconds: 3_600 });
  return { ca, serving };
}

export class TestCaServer {
  readonly ca: CertificateAuthority;
  readonly calls: RecordedCall[] = [];
  behaviour: CaBehaviour = signImpersonated;
  private readonly serving: ServingCertificate;
  private server: grpc.Server | undefined;
  private boundPort = 0;

  private constructor(ca: CertificateAuthority, serving: ServingCertificate) {
    this.ca = ca;
    this.serving = serving;
  }

  /** Starts a server on 127.0.0.1 (a free port unless `port` is given). */
  static async start(authority?: { ca: CertificateAuthority; serving: ServingCertificate }, port = 0): Promise<TestCaServer> {
    const { ca, serving } = authority ?? (await createTestAuthority());
    const s = new TestCaServer(ca, serving);
    await s.listen(port);
    return s;
  }

  get port(): number {
    return this.boundPort;
  }

  get address(): string {
    return `127.0.0.1:${this.boundPort}`;
  }

  get running(): boolean {
    return this.server !== undefined;
  }

  /** Stops serving at once (open connections are cut). */
  stop(): void {
    this.server?.forceShutdown();
    this.server = undefined;
  }

  /** Serves again on the same port (retrying briefly while the old socket is released). */
  async restart(): Promise<void> {
    this.stop();
    let lastError: unknown;
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await this.listen(this.boundPort);
        return;
      } catch (err) {
        lastError = err;
        await new Promise((resolve) => setTimeout(resolve, 100));
      }
    }
    throw new Error(`cannot listen on ${this.address} again: ${describeError(lastError)}`);
  }

  private async listen(port: number): Promise<void> {
    const server = new grpc.Server();
    server.addService({ CreateCertificate: createCertificateMethod }, { CreateCertificate: this.handle });
    const credentials = grpc.ServerCredentials.createSsl(null, [
      { private_key: Buffer.from(this.serving.keyPem), cert_chain: Buffer.from(this.serving.certChainPem) },
    ]);
    try {
      this.boundPort = await new Promise<number>((resolve, reject) => {
        server.bindAsync(`127.0.0.1:${port}`, credentials, (err, bound) => (err ? reject(err) : resolve(bound)));
      });
    } catch (err) {
      server.forceShutdown();
      throw err;
    }
    this.server = server;
  }

  private readonly handle = (
    call: grpc.ServerUnaryCall<CertificateRequest, CertificateResponse>,
    callback: grpc.sendUnaryData<CertificateResponse>,
  ): void => {
    const first = (name: string): string | undefined => {
      const v = call.metadata.get(name)[0];
      return v === undefined ? undefined : String(v);
    };
    this.calls.push({ authorization: first('authorization'), clusterId: first('clusterid'), request: call.request });
    this.behaviour(call.request, this.ca).then(
      (outcome) => {
        if ('certChain' in outcome) callback(null, outcome);
        else callback({ code: outcome.code, details: outcome.details });
      },
      (err: unknown) => callback({ code: grpc.status.INVALID_ARGUMENT, details: describeError(err) }),
    );
  };
}
