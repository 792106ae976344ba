// What ztunnel's traffic proxies need from the rest of the node agent, and what they offer it.
// The proxies: outbound (captured app connections → HBONE or passthrough), inbound HBONE (15008),
// inbound plaintext (15006) and SOCKS5 (15080, opt-in).

import type { SpiffeId } from '../../pkg/identity/spiffe';
import type { Logger } from '../../pkg/log/logger';
import type { Registry } from '../../pkg/telemetry/metrics';
import type { WorkloadCertificate } from '../../pkg/tls/workload-cert';
import type { SocketFactory } from '../net/types';
import type { StateView } from '../state/types';

export interface ProxyPorts {
  readonly outbound: number; // 15001
  readonly inboundPlaintext: number; // 15006
  readonly inbound: number; // 15008
  /** SOCKS5 on 127.0.0.1; undefined = off. */
  readonly socks5?: number; // 15080
}

export interface ProxySettings {
  /** This node's name (workloads with `node` equal to it are local). */
  readonly nodeName: string;
  /** This node's IP: source of HBONE connections to other nodes. */
  readonly nodeIP: string;
  readonly trustDomain: string;
  /** Host the three capture listeners bind ("0.0.0.0" in production; "127.0.0.1" in tests). */
  readonly listenHost: string;
  readonly ports: ProxyPorts;
  /** Port HBONE is dialled on at the destination (15008; tests may change it). */
  readonly hbonePort: number;
  readonly connectTimeoutMs: number; // 10 s
  /** Open connections are given this long on shutdown before being closed. */
  readonly drainTimeoutMs: number;
}

export interface ProxyDeps {
  readonly settings: ProxySettings;
  readonly state: StateView;
  /** The certificate of a local workload identity (fetched on first use, renewed by the manager). */
  certificateFor(identity: SpiffeId): Promise<WorkloadCertificate>;
  readonly sockets: SocketFactory;
  readonly metrics: Registry;
  readonly logger: Logger;
}

export interface ProxyStats {
  readonly activeOutbound: number;
  readonly activeInbound: number;
}

export interface RunningProxies {
  readonly ports: ProxyPorts;
  stats(): ProxyStats;
  /** Stop accepting, wait for open connections up to drainTimeoutMs, then close what is left. */
  shutdown(): Promise<void>;
}
