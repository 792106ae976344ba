// The L4 authorization counter of the node agent: one increment per decision that matters to a
// user — a new inbound connection allowed, denied, or allowed although a dry-run policy would deny
// it, and an open connection closed because a re-check after a policy or workload push denies it.
// Label values come only from configuration (policy names, workload namespaces), so the number of
// series stays bounded by the mesh's config, never by traffic.

import type { Counter, Registry } from '../../pkg/telemetry/metrics';

export const AUTHZ_METRIC_NAME = 'ztunnel_authorization_decisions_total';
export const AUTHZ_LABEL_NAMES = ['decision', 'policy', 'destination_workload_namespace', 'phase'] as const;

/** `dry_run_deny`: allowed, but a dry-run policy would have denied it (counted instead of `allow`). */
export type AuthzDecisionLabel = 'allow' | 'deny' | 'dry_run_deny';
/** `connect`: a new connection; `recheck`: an open connection re-checked after a push (only closes are counted). */
export type AuthzPhase = 'connect' | 'recheck';

/** The `policy` label when no single policy decided (no policy applies, or no ALLOW matched). */
export const NO_POLICY = 'none';

export class AuthorizationMetrics {
  private readonly decisions: Counter;

  constructor(registry: Registry) {
    this.decisions = registry.counter(
      AUTHZ_METRIC_NAME,
      'L4 authorization decisions on inbound connections: allow, deny, dry_run_deny (allowed; a dry-run policy would deny); phase connect or recheck (open connections closed after a policy change)',
      AUTHZ_LABEL_NAMES,
    );
  }

  count(decision: AuthzDecisionLabel, policy: string | undefined, destinationNamespace: string, phase: AuthzPhase): void {
    this.decisions.inc({ decision, policy: policy ?? NO_POLICY, destination_workload_namespace: destinationNamespace, phase });
  }
}
