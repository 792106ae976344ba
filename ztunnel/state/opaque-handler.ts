// An xDS type handler that accepts resources of one type and holds them undecoded (name → version
// and bytes), so ztunnel ACKs and tracks `istio.security.Authorization` until policy decoding lands.
// A push is still checked whole: a nameless, duplicated or wrongly typed resource rejects it.

import type { ApplyResult, TypeHandler, XdsResource } from '../../pkg/xds/types';
import { joinProblems } from './decode-push';

export interface OpaqueResource {
  readonly name: string;
  readonly version: string;
  readonly value: Buffer;
}

export class OpaqueHandler implements TypeHandler {
  private readonly held = new Map<string, OpaqueResource>();
  private pushes = 0;

  constructor(readonly typeUrl: string) {}

  apply(update: { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] }): ApplyResult {
    const problems: string[] = [];
    const seen = new Set<string>();
    for (const r of update.resources) {
      const name = JSON.stringify(r.name.length > 200 ? `${r.name.slice(0, 200)}...` : r.name);
      if (r.name === '') problems.push('a resource has no name');
      else if (seen.has(r.name)) problems.push(`${name}: sent twice in one response`);
      else if (r.resource.typeUrl !== this.typeUrl) problems.push(`${name}: type ${JSON.stringify(r.resource.typeUrl)} is not ${this.typeUrl}`);
      seen.add(r.name);
    }
    if (problems.length) return { ok: false, error: joinProblems(problems) };
    for (const name of update.removed) this.held.delete(name);
    for (const r of update.resources) this.held.set(r.name, Object.freeze({ name: r.name, version: r.version, value: r.resource.value }));
    this.pushes++;
    return { ok: true };
  }

  versions(): ReadonlyMap<string, string> {
    return new Map([...this.held.values()].map((r) => [r.name, r.version]));
  }

  /** The resources held, sorted by name. */
  resources(): readonly OpaqueResource[] {
    return [...this.held.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
  }

  /** Pushes applied so far. */
  get applied(): number {
    return this.pushes;
  }
}
