// The waypoint's holder of `istio.security.Authorization` resources: decoded strictly, named
// "<namespace>/<name>", a push applied whole or NACKed with every problem. Held for L7 policy (a
// later issue); today only counted and shown in /config_dump.

import { decodeAuthorization } from '../../pkg/api/authorization-codec';
import { authorizationResourceName, type Authorization } from '../../pkg/api/authorization-types';
import { AUTHORIZATION_TYPE_URL, type ApplyResult, type TypeHandler } from '../../pkg/xds/types';
import { decodePush, shownName, type PushDecoder, type Update } from './decode-push';

const POLICY_DECODER: PushDecoder<Authorization> = {
  typeUrl: AUTHORIZATION_TYPE_URL,
  decode: decodeAuthorization,
  misnamed: (policy, name) => {
    const expected = authorizationResourceName(policy);
    return expected === name ? undefined : `the resource name must be the policy's namespace/name (${shownName(expected)})`;
  },
};

export class AuthorizationStore implements TypeHandler {
  readonly typeUrl = AUTHORIZATION_TYPE_URL;
  private held = new Map<string, { readonly version: string; readonly policy: Authorization }>();
  private readonly listeners = new Set<() => void>();

  apply(update: Update): ApplyResult {
    const decoded = decodePush(update, POLICY_DECODER);
    if (!decoded.ok) return { ok: false, error: decoded.error };
    const next = new Map(this.held);
    for (const name of decoded.removed) next.delete(name);
    for (const { name, version, value } of decoded.upserts) next.set(name, { version, policy: value });
    this.held = next;
    for (const listener of [...this.listeners]) listener();
    return { ok: true };
  }

  versions(): ReadonlyMap<string, string> {
    return new Map([...this.held].map(([name, h]) => [name, h.version]));
  }

  /** Every policy held, by resource name order. */
  policies(): readonly Authorization[] {
    return [...this.held.keys()].sort().map((k) => (this.held.get(k) as { policy: Authorization }).policy);
  }

  onChange(listener: () => void): () => void {
    const entry = (): void => listener();
    this.listeners.add(entry);
    return () => {
      this.listeners.delete(entry);
    };
  }
}
