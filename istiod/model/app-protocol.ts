// A Service port's application protocol as Istio infers it: `appProtocol` when set, else the port
// name's prefix before the first '-' (`http-web`, `grpc`, `tcp-db`), case-insensitive; UDP/SCTP
// ports and anything unrecognised are UNKNOWN (ztunnel treats them as opaque TCP).

import type { AppProtocol } from '../../pkg/api/workload-types';

const BY_NAME: ReadonlyMap<string, AppProtocol> = new Map<string, AppProtocol>([
  ['http', 'HTTP11'],
  ['http2', 'HTTP2'],
  ['h2c', 'HTTP2'],
  ['kubernetes.io/h2c', 'HTTP2'],
  ['grpc', 'GRPC'],
  ['tcp', 'TCP'],
  ['tls', 'TLS'],
  ['https', 'TLS'],
]);

export interface ProtocolPort {
  readonly name: string;
  /** TCP (default), UDP or SCTP. */
  readonly protocol?: string;
  readonly appProtocol?: string;
}

export function appProtocolOf(port: ProtocolPort): AppProtocol {
  const transport = (port.protocol ?? 'TCP').toUpperCase();
  if (transport !== 'TCP') return 'UNKNOWN';
  const name = (port.appProtocol || port.name).toLowerCase();
  const exact = BY_NAME.get(name);
  if (exact) return exact;
  // grpc-web is HTTP, not native gRPC: checked before the generic prefix rule.
  if (name.startsWith('grpc-web')) return 'UNKNOWN';
  const dash = name.indexOf('-');
  return (dash > 0 ? BY_NAME.get(name.slice(0, dash)) : undefined) ?? 'UNKNOWN';
}
