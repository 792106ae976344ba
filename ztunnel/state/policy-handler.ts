// The xDS handler for `istio.security.Authorization`: decodes every policy strictly, checks that
// the resource name is the policy's `<namespace>/<name>`, and applies a push whole or not at all
// (a NACK names each bad resource and the last good policies stay in force). After each applied
// push the compiled PolicyIndex is rebuilt (unchanged policies keep their compiled form) and
// listeners are told, so open connections can be re-checked.

import type { Authorization } from '../../pkg/api/authorization-types';
import { decodeAuthorization } from '../../pkg/api/authorization-codec';
import { describeError } from '../../pkg/errors/mesh-error';
import { AUTHORIZATION_TYPE_URL, type ApplyResult, type TypeHandler, type XdsResource } from '../../pkg/xds/types';
import { buildPolicyIndex, EMPTY_POLICY_INDEX, type PolicyIndex } from '../policy/policy-index';
import { joinProblems } from './decode-push';

interface HeldPolicy {
  readonly version: string;
  readonly policy: Authorization;
}

const shown = (name: string): string => JSON.stringify(name.length > 200 ? `${name.slice(0, 200)}...` : name);

export class PolicyHandler implements TypeHandler {
  readonly typeUrl = AUTHORIZATION_TYPE_URL;
  private readonly held = new Map<string, HeldPolicy>();
  private current: PolicyIndex = EMPTY_POLICY_INDEX;
  private readonly listeners = new Set<(index: PolicyIndex) => void>();
  private pushes = 0;

  apply(update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult {
    const problems: string[] = [];
    const decoded = new Map<string, HeldPolicy>();
    const seen = new Set<string>();
    for (const r of update.resources) {
      const name = shown(r.name);
      const repeated = seen.has(r.name);
      seen.add(r.name);
      if (r.name === '') problems.push('a resource has no name');
      else if (repeated) problems.push(`${name}: sent twice in one response`);
      else if (r.resource.typeUrl !== this.typeUrl) problems.push(`${name}: type ${JSON.stringify(r.resource.typeUrl)} is not ${this.typeUrl}`);
      else {
        const result = decodeAuthorization(r.resource.value);
        if (!result.ok) problems.push(`${name}: ${result.error}`);
        else if (`${result.value.namespace}/${result.value.name}` !== r.name) {
          problems.push(`${name}: the resource name must be the policy's namespace/name (${result.value.namespace}/${result.value.name})`);
        } else decoded.set(r.name, { version: r.version, policy: result.value });
      }
    }
    if (problems.length) return { ok: false, error: joinProblems(problems) };
    const next = new Map(this.held);
    for (const name of update.removed) next.delete(name);
    for (const [name, held] of decoded) next.set(name, held);
    let index: PolicyIndex;
    try {
      index = buildPolicyIndex([...next.values()].map((h) => h.policy), this.current);
    } catch (err) {
      return { ok: false, error: describeError(err) };
    }
    this.held.clear();
    for (const [name, held] of next) this.held.set(name, held);
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
