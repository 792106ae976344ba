// Typed encode/decode of the certificate service's messages and the gRPC method definition shared
// by istiod (server) and ztunnel (client).

import type { MethodDefinition } from '@grpc/grpc-js';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { messageType } from './proto-root';

export const CREATE_CERTIFICATE_PATH = '/istio.v1.auth.IstioCertificateService/CreateCertificate';
/** Metadata key naming the identity a node agent asks for on a workload's behalf. */
export const IMPERSONATED_IDENTITY = 'ImpersonatedIdentity';

export interface CertificateRequest {
  readonly csr: string;
  /** Seconds; 0 asks for the CA's default. */
  readonly validityDurationSeconds: number;
  /** String-valued metadata entries (other value kinds are dropped on decode). */
  readonly metadata: Readonly<Record<string, string>>;
}

export interface CertificateResponse {
  readonly certChain: readonly string[];
}

interface StructValue { stringValue?: string }
interface WireRequest { csr?: string; validityDuration?: number | { toNumber(): number }; metadata?: { fields?: Record<string, StructValue> } }
interface WireResponse { certChain?: string[] }

const requestType = () => messageType('istio.v1.auth.IstioCertificateRequest');
const responseType = () => messageType('istio.v1.auth.IstioCertificateResponse');

export function encodeCertificateRequest(req: CertificateRequest): Buffer {
  const fields: Record<string, StructValue> = {};
  for (const [k, v] of Object.entries(req.metadata)) fields[k] = { stringValue: v };
  const type = requestType();
  const msg = type.fromObject({ csr: req.csr, validityDuration: req.validityDurationSeconds, metadata: { fields } });
  return Buffer.from(type.encode(msg).finish());
}

export function decodeCertificateRequest(buf: Buffer): CertificateRequest {
  let wire: WireRequest;
  try {
    const type = requestType();
    wire = type.toObject(type.decode(buf), { longs: Number, defaults: false }) as WireRequest;
  } catch (err) {
    throw new MeshError(ErrorCode.InvalidArgument, 'malformed IstioCertificateRequest', { cause: err });
  }
  const metadata: Record<string, string> = {};
  for (const [k, v] of Object.entries(wire.metadata?.fields ?? {})) {
    if (typeof v.stringValue === 'string') metadata[k] = v.stringValue;
  }
  const validity = wire.validityDuration;
  return {
    csr: wire.csr ?? '',
    validityDurationSeconds: typeof validity === 'number' ? validity : validity ? validity.toNumber() : 0,
    metadata,
  };
}

export function encodeCertificateResponse(res: CertificateResponse): Buffer {
  const type = responseType();
  return Buffer.from(type.encode(type.fromObject({ certChain: [...res.certChain] })).finish());
}

export function decodeCertificateResponse(buf: Buffer): CertificateResponse {
  try {
    const type = responseType();
    const wire = type.toObject(type.decode(buf), { defaults: true }) as WireResponse;
    return { certChain: wire.certChain ?? [] };
  } catch (err) {
    throw new MeshError(ErrorCode.InvalidArgument, 'malformed IstioCertificateResponse', { cause: err });
  }
}

/** The unary method, for grpc.Server#addService and grpc.Client#makeUnaryRequest. */
export const createCertificateMethod: MethodDefinition<CertificateRequest, CertificateResponse> = {
  path: CREATE_CERTIFICATE_PATH,
  requestStream: false,
  responseStream: false,
  requestSerialize: encodeCertificateRequest,
  requestDeserialize: decodeCertificateRequest,
  responseSerialize: encodeCertificateResponse,
  responseDeserialize: decodeCertificateResponse,
};
