// L4 authorization of inbound connections, shared by the three inbound paths (HBONE, plaintext,
// same-node delivery) and the re-check after a push: ask the authorizer, put the outcome on the
// connection's telemetry records (the access-log line says allow/deny and the deciding policy),
// count the decision (ztunnel_authorization_decisions_total), remember what an admitted connection
// was admitted as, and — on a re-check — close with a reset the open connections no longer allowed.

import type { AccessLogAuthz } from '../telemetry/access-log';
import type { AuthzDecisionLabel } from '../telemetry/authz-metrics';
import type { ConnectionRecord } from '../telemetry/tcp-metrics';
import type { AuthorizationDecision, AuthorizationRequest } from './authorize';
import type { TrackedConnection } from './connection-tracker';
import type { ProxyContext } from './context';

export type ReauthorizeScope = 'all' | 'changed-workloads';

const ALLOWED: AccessLogAuthz = Object.freeze({ result: 'allow' });
const DENIED: AccessLogAuthz = Object.freeze({ result: 'deny' });

/** The access-log form of a decision. */
export function authzLogOutcome(decision: AuthorizationDecision): AccessLogAuthz {
  if (!decision.allow) return decision.policy === undefined ? DENIED : { result: 'deny', policy: decision.policy };
  if (decision.policy === undefined && !decision.dryRunDeny) return ALLOWED;
  const dryRun = decision.dryRunDeny;
  return {
    result: 'allow',
    ...(decision.policy !== undefined ? { policy: decision.policy } : {}),
    ...(dryRun ? { dryRunDeny: dryRun.policy !== undefined ? { policy: dryRun.policy } : {} } : {}),
  };
}

function decisionLabel(decision: AuthorizationDecision): AuthzDecisionLabel {
  if (!decision.allow) return 'deny';
  return decision.dryRunDeny ? 'dry_run_deny' : 'allow';
}

/**
 * Decides a new inbound connection: the outcome goes on every record of it (same-node delivery has
 * two) and into the decision counter; an allowed connection is remembered for re-checks.
 */
export function admitConnection(
  ctx: ProxyContext,
  conn: TrackedConnection,
  request: AuthorizationRequest,
  records: readonly ConnectionRecord[],
): AuthorizationDecision {
  const decision = ctx.authorize(request);
  const authz = authzLogOutcome(decision);
  for (const record of records) record.authorized(authz);
  const policy = decision.allow && decision.dryRunDeny ? decision.dryRunDeny.policy : decision.policy;
  ctx.authzMetrics.count(decisionLabel(decision), policy, request.destination.namespace, 'connect');
  if (decision.allow) conn.admitted(request, records);
  return decision;
}

/**
 * Re-checks open inbound connections against the policies and workloads in force now; the ones no
 * longer allowed are closed with a reset (TCP RST to a plaintext or same-node client, RST_STREAM
 * on an HBONE stream), their log line says `authz.result="deny"` with the policy and why, and they
 * count as decision="deny", phase="recheck".
 */
export function reauthorize(ctx: ProxyContext, scope: ReauthorizeScope): { checked: number; closed: number } {
  let checked = 0;
  let closed = 0;
  for (const conn of ctx.tracker.admittedConnections()) {
    const before = conn.admission;
    if (!before) continue;
    // The destination's attached policies may have changed with its workload.
    const destination = ctx.deps.state.workloadByUid(before.destination.uid) ?? before.destination;
    if (scope === 'changed-workloads' && destination === before.destination) continue;
    checked++;
    const now = { ...before, destination };
    const decision = ctx.authorize(now);
    if (decision.allow) {
      conn.reauthorized(now);
      continue;
    }
    closed++;
    const reason = `no longer allowed by authorization policy: ${decision.reason}`;
    const authz = authzLogOutcome(decision);
    for (const record of conn.records) record.authorized(authz);
    ctx.authzMetrics.count('deny', decision.policy, destination.namespace, 'recheck');
    ctx.deps.logger.info(`closing connection from ${before.sourceAddress} to ${before.destinationAddress}:${before.destinationPort}: ${reason}`);
    conn.abort(reason);
  }
  return { checked, closed };
}
