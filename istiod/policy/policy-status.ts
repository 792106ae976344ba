// Status conditions for converted security policies, for the lead to write to the resource's
// `status.conditions` (adding lastTransitionTime / observedGeneration): `Accepted` (True or False,
// with every problem and warning in the message, saying what is enforced and by whom — ztunnel, or
// the waypoints of the targets — and, when rejected, what stays in force) and, for
// AuthorizationPolicies ztunnel enforces, `PartiallyEnforced` (whether some rules or attributes
// could not be enforced at L4). Pure.

import type { AuthorizationPolicyConversion } from './authorization-policy';
import type { FieldProblem } from './field-report';
import type { PeerAuthenticationResult } from './peer-authentication';

export interface PolicyCondition {
  readonly type: 'Accepted' | 'PartiallyEnforced';
  readonly status: 'True' | 'False';
  readonly reason: string;
  readonly message: string;
}

/** Kubernetes allows 32 KiB per condition message; keep well under it. */
export const MAX_MESSAGE_CHARS = 8192;

/** The message head of an accepted waypoint AuthorizationPolicy. */
function waypointHead(result: AuthorizationPolicyConversion): string {
  let text = 'Enforced by the waypoint of each targeted Gateway/Service (per request).';
  const l7 = result.l7;
  if (l7?.custom) text += ' CUSTOM is enforced as DENY (no ext-authz provider).';
  else if (l7?.action === 'AUDIT') text += ' AUDIT: matching requests are logged and counted, never denied.';
  if (l7?.dryRun) text += ' Dry-run: the decisions it would take are reported, never enforced.';
  return text;
}

/** Why a rejected waypoint policy enforces what it does, when no valid version came before. */
function waypointNothing(result: AuthorizationPolicyConversion): string {
  if (!result.refs?.some((r) => r.kind !== 'ServiceEntry')) return 'nothing of this policy is enforced (no valid targetRefs a waypoint takes).';
  return 'until it is fixed the waypoint enforces it as an ALLOW policy with no rules, so it allows nothing (fail closed).';
}

function listed(items: readonly FieldProblem[]): string {
  return items.map((p) => (p.field ? `${p.field}: ${p.reason}` : p.reason)).join('; ');
}

export function message(head: string, problems: readonly FieldProblem[], warnings: readonly FieldProblem[]): string {
  let text = head;
  if (problems.length > 0) text += ` Problems: ${listed(problems)}.`;
  if (warnings.length > 0) text += ` Warnings: ${listed(warnings)}.`;
  return text.length > MAX_MESSAGE_CHARS ? `${text.slice(0, MAX_MESSAGE_CHARS - 3)}...` : text;
}

/** The head of a rejection: what is enforced instead of the rejected version. */
export function rejected(previousGeneration: number | undefined, nothing: string): string {
  return previousGeneration === undefined
    ? `Rejected: ${nothing}`
    : `Rejected: the last valid version (generation ${previousGeneration}) stays in force.`;
}

/**
 * Conditions describing how an AuthorizationPolicy was taken. `previousGeneration`: for a rejected
 * update, the generation of the last valid version, which stays in force.
 */
export function authorizationPolicyStatus(result: AuthorizationPolicyConversion, previousGeneration?: number): readonly PolicyCondition[] {
  const { problems, warnings } = result;
  if (problems.length > 0) {
    const nothing = result.enforcedBy === 'waypoint' ? waypointNothing(result) : 'nothing of this policy is enforced.';
    return [{
      type: 'Accepted', status: 'False', reason: 'Invalid',
      message: message(rejected(previousGeneration, nothing), problems, warnings),
    }];
  }
  if (result.enforcedBy === 'waypoint' || !result.policy) {
    return [{
      type: 'Accepted', status: 'True', reason: 'WaypointTarget',
      message: message(waypointHead(result), [], warnings),
    }];
  }
  const how = result.policy.dryRun ? 'Enforced by ztunnel in dry-run mode (matches are reported, never enforced).' : 'Enforced by ztunnel.';
  const accepted: PolicyCondition = {
    type: 'Accepted', status: 'True', reason: warnings.length > 0 ? 'AcceptedWithWarnings' : 'Accepted',
    message: message(how, [], warnings),
  };
  const partial: PolicyCondition = result.partial
    ? {
      type: 'PartiallyEnforced', status: 'True', reason: 'HTTPAttributesNotEnforced',
      message: result.policy.action === 'ALLOW'
        ? 'ztunnel enforces L4 attributes only: rules with HTTP attributes are omitted, so they allow nothing.'
        : 'ztunnel enforces L4 attributes only: HTTP attributes are dropped from the rules, so they deny more.',
    }
    : { type: 'PartiallyEnforced', status: 'False', reason: 'FullyEnforced', message: 'Every rule is enforced at L4.' };
  return [accepted, partial];
}

/** Conditions describing how a PeerAuthentication was taken (`previousGeneration` as for AuthorizationPolicies). */
export function peerAuthenticationStatus(result: PeerAuthenticationResult, previousGeneration?: number): readonly PolicyCondition[] {
  const { problems, warnings } = result;
  if (problems.length > 0) {
    return [{
      type: 'Accepted', status: 'False', reason: 'Invalid',
      message: message(rejected(previousGeneration, 'the policy is ignored.'), problems, warnings),
    }];
  }
  return [{
    type: 'Accepted', status: 'True', reason: warnings.length > 0 ? 'AcceptedWithWarnings' : 'Accepted',
    message: message('Enforced by ztunnel.', [], warnings),
  }];
}
