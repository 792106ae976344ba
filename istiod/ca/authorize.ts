// Who may get which certificate — pure decisions over plain data, no I/O. A caller gets its own
// service account's identity; a trusted node agent (ztunnel) may ask for the identity of a pod
// scheduled on its own node, proven by its pod-bound token and the pods the API server reports.

import type { ServiceAccountRef } from '../config';
import type { KubePod, TokenReviewOutcome } from '../kube/types';
import { formatSpiffeId, parseSpiffeId, SpiffeId } from '../../pkg/identity/spiffe';

const SA_USER_PREFIX = 'system:serviceaccount:';
export const POD_NAME_EXTRA = 'authentication.kubernetes.io/pod-name';
export const POD_UID_EXTRA = 'authentication.kubernetes.io/pod-uid';

/** The authenticated caller, as read from its TokenReview. */
export interface Caller {
  readonly namespace: string;
  readonly serviceAccount: string;
  /** Set when the token is bound to a pod (projected tokens are). */
  readonly pod?: { readonly name: string; readonly uid: string };
}

export type Refusal = { readonly allowed: false; readonly code: 'Unauthenticated' | 'PermissionDenied'; readonly reason: string };
export type Decision = { readonly allowed: true; readonly identity: SpiffeId; readonly impersonated: boolean } | Refusal;

const refuse = (code: Refusal['code'], reason: string): Refusal => ({ allowed: false, code, reason });

function single(extra: Readonly<Record<string, readonly string[]>>, key: string): string | undefined {
  const values = extra[key];
  return values && values.length === 1 && values[0] ? values[0] : undefined;
}

/** Reads the caller from a TokenReview; refuses tokens that are not authenticated service account tokens. */
export function callerFromReview(review: TokenReviewOutcome, audience: string): { ok: true; caller: Caller } | { ok: false; refusal: Refusal } {
  if (!review.authenticated) {
    return { ok: false, refusal: refuse('Unauthenticated', `the token was not accepted: ${review.error ?? 'no reason given'}`) };
  }
  if (review.audiences.length > 0 && !review.audiences.includes(audience)) {
    return { ok: false, refusal: refuse('Unauthenticated', `the token is not valid for audience ${JSON.stringify(audience)}`) };
  }
  const username = review.username ?? '';
  const parts = username.startsWith(SA_USER_PREFIX) ? username.slice(SA_USER_PREFIX.length).split(':') : [];
  const [namespace, serviceAccount] = parts;
  if (parts.length !== 2 || !namespace || !serviceAccount) {
    return { ok: false, refusal: refuse('Unauthenticated', `${JSON.stringify(username)} is not a service account; only service account tokens may ask for certificates`) };
  }
  const podName = single(review.extra, POD_NAME_EXTRA);
  const podUid = single(review.extra, POD_UID_EXTRA);
  const caller: Caller = podName && podUid ? { namespace, serviceAccount, pod: { name: podName, uid: podUid } } : { namespace, serviceAccount };
  return { ok: true, caller };
}

export function describeCaller(caller: Caller): string {
  return `${caller.namespace}/${caller.serviceAccount}${caller.pod ? ` (pod ${caller.pod.name})` : ''}`;
}

export interface AuthorizeInput {
  readonly review: TokenReviewOutcome;
  /** The `ImpersonatedIdentity` metadata value, if the request carried one. */
  readonly requestedIdentity?: string;
  /** The caller's own pod as fetched by name from its token's claims (undefined: not found or not fetched). */
  readonly callerPod?: KubePod;
  /** Pods of the requested namespace on the caller's node. */
  readonly podsOnNode: readonly KubePod[];
  readonly trustedNodeAccounts: readonly ServiceAccountRef[];
  readonly trustDomain: string;
  readonly audience: string;
}

/** What the CA must fetch before `authorize` can decide an impersonation request. */
export type Impersonation = { readonly kind: 'none' } | { readonly kind: 'other'; readonly target: SpiffeId } | { readonly kind: 'invalid'; readonly reason: string };

/** Classifies the requested identity: none (or the caller's own), another valid identity, or invalid. */
export function impersonationOf(requested: string | undefined, caller: Caller, trustDomain: string): Impersonation {
  if (requested === undefined || requested === '') return { kind: 'none' };
  let target: SpiffeId;
  try {
    target = parseSpiffeId(requested);
  } catch (err) {
    return { kind: 'invalid', reason: err instanceof Error ? err.message : String(err) };
  }
  if (target.trustDomain !== trustDomain) {
    return { kind: 'invalid', reason: `${requested} is not in this mesh's trust domain ${JSON.stringify(trustDomain)}` };
  }
  if (target.namespace === caller.namespace && target.serviceAccount === caller.serviceAccount) return { kind: 'none' };
  return { kind: 'other', target };
}

const isTerminated = (pod: KubePod): boolean => pod.phase === 'Succeeded' || pod.phase === 'Failed';

export function authorize(input: AuthorizeInput): Decision {
  const who = callerFromReview(input.review, input.audience);
  if (!who.ok) return who.refusal;
  const { caller } = who;
  const callerText = `${caller.namespace}/${caller.serviceAccount}`;
  const wanted = impersonationOf(input.requestedIdentity, caller, input.trustDomain);
  if (wanted.kind === 'invalid') return refuse('PermissionDenied', `invalid requested identity: ${wanted.reason}`);
  if (wanted.kind === 'none') {
    let own: SpiffeId;
    try {
      own = parseSpiffeId(`spiffe://${input.trustDomain}/ns/${caller.namespace}/sa/${caller.serviceAccount}`);
    } catch (err) {
      return refuse('PermissionDenied', `the caller's service account has no valid identity: ${err instanceof Error ? err.message : String(err)}`);
    }
    return { allowed: true, identity: own, impersonated: false };
  }

  const target = wanted.target;
  const targetText = formatSpiffeId(target);
  if (!input.trustedNodeAccounts.some((a) => a.namespace === caller.namespace && a.serviceAccount === caller.serviceAccount)) {
    return refuse('PermissionDenied', `${callerText} is not a trusted node account, so it may not ask for ${targetText}`);
  }
  if (!caller.pod) {
    return refuse('PermissionDenied', `the token of ${callerText} is not bound to a pod, so its node cannot be proven`);
  }
  const pod = input.callerPod;
  if (!pod || pod.namespace !== caller.namespace || pod.name !== caller.pod.name) {
    return refuse('PermissionDenied', `the caller's pod ${caller.namespace}/${caller.pod.name} does not exist`);
  }
  if (pod.uid !== caller.pod.uid) {
    return refuse('PermissionDenied', `the caller's pod ${caller.namespace}/${caller.pod.name} has uid ${pod.uid}, not ${caller.pod.uid} as in its token (stale token)`);
  }
  if (pod.serviceAccountName !== caller.serviceAccount) {
    return refuse('PermissionDenied', `the caller's pod runs as service account ${pod.serviceAccountName}, not ${caller.serviceAccount}`);
  }
  if (isTerminated(pod)) return refuse('PermissionDenied', `the caller's pod ${caller.namespace}/${pod.name} has terminated`);
  const node = pod.nodeName;
  if (!node) return refuse('PermissionDenied', `the caller's pod ${caller.namespace}/${pod.name} is not scheduled on a node`);
  const running = input.podsOnNode.some((p) => p.namespace === target.namespace && p.serviceAccountName === target.serviceAccount
    && p.nodeName === node && !isTerminated(p));
  if (!running) {
    return refuse('PermissionDenied', `no pod with service account ${target.namespace}/${target.serviceAccount} runs on node ${node}, the node of ${callerText}`);
  }
  return { allowed: true, identity: target, impersonated: true };
}
