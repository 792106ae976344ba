// The xDS handler for `istio.security.Authorization`: decodes every policy strictly, checks that
// the resource name is the policy's `<namespace>/<name>`, and applies a push whole or not at all
// (a NACK names each bad resource and the last good policies stay in force). After each applied
// push the compiled PolicyIndex is rebuilt (unchanged policies keep their compiled form) and
// listeners are told, so open connections can be re-checked.

import { authorizationResourceName, type Authorization } from '../../pkg/api/authorization-types';
import { decodeAuthorization } from '../../pkg/api/authorization-codec';
import { describeError } from '../../pkg/errors/mesh-error';
import { AUTHORIZATION_TYPE_URL, type ApplyResult, type TypeHandler, type XdsResource } from '../../pkg/xds/types';
import { buildPolicyIndex, EMPTY_POLICY_INDEX, type PolicyIndex } from '../policy/policy-index';
import { decodePush, type PushDecoder } from './decode-push';

interface HeldPolicy {
  readonly version: string;
  readonly policy: Authorization;
}

const POLICY_DECODER: PushDecoder<Authorization> = {
  typeUrl: AUTHORIZATION_TYPE_URL,
  decode: decodeAuthorization,
  misnamed: (policy, name) => {
    const expected = authorizationResourceName(policy);
    return expected === name ? undefined : `the resource name must be the policy's namespace/name (${expected})`;
  },
};

export class PolicyHandler implements TypeHandler {
  readonly typeUrl = AUTHORIZATION_TYPE_URL;
  private held = new Map<string, HeldPolicy>();
  private current: PolicyIndex = EMPTY_POLICY_INDEX;
  private readonly listeners = new Set<(index: PolicyIndex) => void>();
  private pushes = 0;

  apply(update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult {
    const decoded = decodePush(update, POLICY_DECODER);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    const next = new Map(this.held);
    for (const name of decoded.removed) next.delete(name);
    for (const { name, version, value } of decoded.upserts) next.set(name, { version, policy: value });
    let index: PolicyIndex;
    try {
      index = buildPolicyIndex([...next.values()].map((h) => h.policy), this.current);
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
    this.held = next;
    this.current = index;
    this.pushes++;
    for (const listener of this.listeners) listener(index);
    return { ok: true };
  }

  versions(): ReadonlyMap<string, string> {
    return new Map([...this.held].map(([name, h]) => [name, h.version]));
  }

  /** The compiled policies in force. */
  index(): PolicyIndex {
    return this.current;
  }

  /** The policies in force, sorted by resource name. */
  policies(): readonly Authorization[] {
    return [...this.held.keys()].sort().map((name) => (this.held.get(name) as HeldPolicy).policy);
  }

  /** Called after every applied push; returns the unsubscribe function. */
  onChange(listener: (index: PolicyIndex) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Pushes applied so far. */
  get applied(): number {
    return this.pushes;
  }
}
