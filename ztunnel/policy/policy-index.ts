// The compiled policies ztunnel holds, indexed the way evaluation looks them up: GLOBAL policies,
// NAMESPACE-scoped policies by namespace, and every policy by `ns/name` (workloads name their
// WORKLOAD_SELECTOR policies). Built whole on each policy update; compiled forms of unchanged
// policies (the same Authorization object) are reused from the previous index. Pure.

import type { Authorization } from '../../pkg/api/authorization-types';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { compilePolicy, type CompiledPolicy } from './compile';

export interface PolicyIndex {
  /** Every policy by `<namespace>/<name>`. */
  readonly byName: ReadonlyMap<string, CompiledPolicy>;
  /** NAMESPACE-scoped policies by their namespace, each list sorted by key. */
  readonly byNamespace: ReadonlyMap<string, readonly CompiledPolicy[]>;
  /** GLOBAL policies (any namespace, usually the root namespace), sorted by key. */
  readonly global: readonly CompiledPolicy[];
}

export const EMPTY_POLICY_INDEX: PolicyIndex = Object.freeze({
  byName: new Map<string, CompiledPolicy>(),
  byNamespace: new Map<string, readonly CompiledPolicy[]>(),
  global: Object.freeze([]) as readonly CompiledPolicy[],
});

function byKey(a: CompiledPolicy, b: CompiledPolicy): number {
  return a.key < b.key ? -1 : a.key > b.key ? 1 : 0;
}

/**
 * Compiles and indexes policies (valid ones: decodeAuthorization output). Throws MeshError
 * (InvalidArgument) when two policies share a `ns/name` or a policy does not compile.
 */
export function buildPolicyIndex(policies: Iterable<Authorization>, previous?: PolicyIndex): PolicyIndex {
  const byName = new Map<string, CompiledPolicy>();
  const byNamespace = new Map<string, CompiledPolicy[]>();
  const global: CompiledPolicy[] = [];
  for (const a of policies) {
    const key = `${a.namespace}/${a.name}`;
    if (byName.has(key)) throw new MeshError(ErrorCode.InvalidArgument, `authorization policy ${key} appears twice`);
    const old = previous?.byName.get(key);
    const compiled = old !== undefined && old.source === a ? old : compilePolicy(a);
    byName.set(key, compiled);
    if (a.scope === 'GLOBAL') {
      global.push(compiled);
    } else if (a.scope === 'NAMESPACE') {
      const list = byNamespace.get(a.namespace);
      if (list) list.push(compiled);
      else byNamespace.set(a.namespace, [compiled]);
    }
  }
  global.sort(byKey);
  for (const list of byNamespace.values()) list.sort(byKey);
  return { byName, byNamespace, global };
}
