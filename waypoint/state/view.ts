// The contract between the waypoint's state (fed by xDS: Address + WaypointConfig) and its
// proxy (listener, HTTP pipeline, upstream): read-only lookups the data path makes per stream and
// per request, and the dialer that opens an HBONE tunnel to an endpoint with the waypoint's own
// identity. The store implements WaypointView; the proxy never sees xDS.

import type { Duplex } from 'node:stream';
import type { AppProtocol } from '../../pkg/api/workload-types';
import type { Backend, PortRoutes, WaypointConfig } from '../../pkg/api/waypoint-types';

/** An upstream endpoint of a Service port: a workload and the port its app listens on. */
export interface Endpoint {
  /** Workload uid (the key for balancing, outlier ejection and subset filters). */
  readonly uid: string;
  readonly ip: string;
  readonly targetPort: number;
  /** "spiffe://<td>/ns/<ns>/sa/<sa>": the identity its ztunnel presents for it. */
  readonly identity: string;
  /** HBONE (through its node's ztunnel on ip:15008) or NONE (plain TCP to ip:targetPort). */
  readonly tunnel: 'HBONE' | 'NONE';
  readonly healthy: boolean;
  /** Telemetry labels of the destination. */
  readonly namespace: string;
  readonly workloadName: string;
  readonly canonicalName: string;
  readonly canonicalRevision: string;
}

/** What an accepted CONNECT stream is for, resolved from its `:authority`. */
export type StreamTarget =
  | {
    readonly kind: 'service';
    /** Address Service key "<ns>/<hostname>". */
    readonly serviceKey: string;
    readonly serviceName: string;
    readonly serviceNamespace: string;
    readonly hostname: string;
    /** The Service port dialled (VIP:port). */
    readonly port: number;
    readonly routes: PortRoutes;
  }
  | {
    /** Workload traffic (pod IP:port) to a workload bound to this waypoint. */
    readonly kind: 'workload';
    readonly endpoint: Endpoint;
    readonly port: number;
    readonly protocol: AppProtocol;
  };

export interface WaypointView {
  /** The current config (undefined before the first push). */
  config(): WaypointConfig | undefined;
  /** `:authority` host:port → what it is for; undefined = not bound to this waypoint (refuse). */
  resolveTarget(host: string, port: number): StreamTarget | undefined;
  backend(name: string): Backend | undefined;
  /** Endpoints of a backend (its Service port, restricted to the subset's workloads), healthy or not. */
  endpoints(backend: Backend): readonly Endpoint[];
  /** Called after every applied push (routes or endpoints may have changed). */
  onChange(listener: () => void): () => void;
}

/** Opens a tunnel to an endpoint: HBONE to ip:15008 with `:authority` ip:targetPort, or plain TCP. */
export type TunnelDialer = (endpoint: Endpoint, signal?: AbortSignal) => Promise<Duplex>;
