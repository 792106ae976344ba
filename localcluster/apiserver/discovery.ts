// Legacy API discovery documents built from the registry: /version, /api (APIVersions), /apis
// (APIGroupList), /apis/<group> (APIGroup) and the per group-version APIResourceList. Pure.

import { scaleDiscoveryEntry } from './scale-discovery';
import type { ResourceType } from './types';

export const KUBE_VERSION = {
  major: '1', minor: '32', gitVersion: 'v1.32.0-ambit', gitCommit: 'ambit', gitTreeState: 'clean',
  buildDate: '2025-01-01T00:00:00Z', goVersion: 'node', compiler: 'node', platform: `${process.platform}/${process.arch}`,
} as const;

interface GroupVersion { groupVersion: string; version: string }
interface ApiGroup { name: string; versions: GroupVersion[]; preferredVersion: GroupVersion }

/** The groups (except the core group) with their served versions, sorted by name. */
function groups(types: readonly ResourceType[]): ApiGroup[] {
  const byGroup = new Map<string, Set<string>>();
  for (const t of types) {
    if (!t.group) continue;
    const versions = byGroup.get(t.group) ?? new Set<string>();
    versions.add(t.version);
    byGroup.set(t.group, versions);
  }
  return [...byGroup.entries()].sort(([a], [b]) => (a < b ? -1 : 1)).map(([name, versions]) => {
    const list = [...versions].sort().reverse().map((version) => ({ groupVersion: `${name}/${version}`, version }));
    return { name, versions: list, preferredVersion: list[0] };
  });
}

export function coreVersions(serverAddress: string): unknown {
  return {
    kind: 'APIVersions', versions: ['v1'],
    serverAddressByClientCIDRs: [{ clientCIDR: '0.0.0.0/0', serverAddress }],
  };
}

export function groupList(types: readonly ResourceType[]): unknown {
  return { kind: 'APIGroupList', apiVersion: 'v1', groups: groups(types) };
}

export function apiGroup(types: readonly ResourceType[], name: string): unknown | undefined {
  const g = groups(types).find((x) => x.name === name);
  return g ? { kind: 'APIGroup', apiVersion: 'v1', ...g } : undefined;
}

/** The APIResourceList of one group-version, or undefined when nothing is served there. */
export function resourceList(types: readonly ResourceType[], group: string, version: string): unknown | undefined {
  const served = types.filter((t) => t.group === group && t.version === version)
    .sort((a, b) => (a.plural < b.plural ? -1 : 1));
  if (served.length === 0) return undefined;
  const resources: unknown[] = [];
  for (const t of served) {
    const entry: Record<string, unknown> = {
      name: t.plural, singularName: t.singular, namespaced: t.namespaced, kind: t.kind, verbs: t.verbs,
    };
    if (t.shortNames.length) entry.shortNames = t.shortNames;
    if (t.categories.length) entry.categories = t.categories;
    resources.push(entry);
    if (t.statusSubresource) {
      resources.push({ name: `${t.plural}/status`, singularName: '', namespaced: t.namespaced, kind: t.kind, verbs: ['get', 'patch', 'update'] });
    }
    const scale = scaleDiscoveryEntry(t);
    if (scale) resources.push(scale);
    if (t.group === '' && t.plural === 'serviceaccounts') {
      resources.push({
        name: 'serviceaccounts/token', singularName: '', namespaced: true, group: 'authentication.k8s.io',
        version: 'v1', kind: 'TokenRequest', verbs: ['create'],
      });
    }
  }
  return { kind: 'APIResourceList', apiVersion: 'v1', groupVersion: group ? `${group}/${version}` : version, resources };
}
