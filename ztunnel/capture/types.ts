// The contract of ztunnel's traffic capture (DESIGN §5): node-level TPROXY rules plus the set of
// this node's ambient pod IPs, kept in step with the state store, rebuilt from scratch at start
// and removed at shutdown.

import type { Logger } from '../../pkg/log/logger';
import type { StateView } from '../state/types';
import type { HostSources } from './host-sources';

export interface CaptureSettings {
  readonly nodeName: string;
  readonly ports: { readonly outbound: number; readonly inboundPlaintext: number; readonly inbound: number };
  /**
   * Connections the node's host opens to pods (the kubelet's probes) are not captured: from the
   * default gateway(s) of ztunnel's network namespace, read at each apply, or from a fixed list of
   * IPv4 addresses/CIDRs. Default (undefined): none. See host-sources.ts.
   */
  readonly hostSources?: HostSources;
}

export interface CaptureStatus {
  /** Pod IPs captured right now. */
  readonly pods: readonly string[];
  /** Last error applying rules, if the last attempt failed. */
  readonly lastError?: string;
  readonly appliedVersion: number;
}

export interface RunningCapture {
  /** Resolves once the rules for the current state are in place. */
  readonly ready: Promise<void>;
  status(): CaptureStatus;
  /** Removes every rule, set and route this agent installed. */
  shutdown(): Promise<void>;
}

export interface CaptureDeps {
  readonly settings: CaptureSettings;
  readonly state: StateView;
  readonly logger: Logger;
}
