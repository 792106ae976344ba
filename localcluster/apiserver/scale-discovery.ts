// Which resource types have a `scale` subresource (built-in Deployments) and the discovery entry
// that advertises it; kubectl's scale client needs that entry to PUT an autoscaling/v1 Scale.
// Pure, so discovery.ts can use it without pulling in request handling.

import type { ResourceType } from './types';

export const hasScaleSubresource = (type: ResourceType): boolean => type.group === 'apps' && type.kind === 'Deployment';

/** The APIResource entry `<plural>/scale` for a type with a scale subresource. */
export function scaleDiscoveryEntry(type: ResourceType): Record<string, unknown> | undefined {
  if (!hasScaleSubresource(type)) return undefined;
  return {
    name: `${type.plural}/scale`, singularName: '', namespaced: type.namespaced,
    group: 'autoscaling', version: 'v1', kind: 'Scale', verbs: ['get', 'patch', 'update'],
  };
}
