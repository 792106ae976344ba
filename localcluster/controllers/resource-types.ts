// The built-in resource types the controllers read and write, looked up once from the registry,
// with their store type keys so event routing is a string comparison.

import { Registry } from '../apiserver/registry';
import { ResourceType, typeKey } from '../apiserver/types';

export interface ControllerTypes {
  pods: ResourceType;
  nodes: ResourceType;
  services: ResourceType;
  endpoints: ResourceType;
  endpointSlices: ResourceType;
  deployments: ResourceType;
  daemonSets: ResourceType;
  namespaces: ResourceType;
  serviceAccounts: ResourceType;
}

export type ControllerTypeKeys = { [K in keyof ControllerTypes]: string };

const WANTED: Record<keyof ControllerTypes, readonly [string, string]> = {
  pods: ['', 'pods'],
  nodes: ['', 'nodes'],
  services: ['', 'services'],
  endpoints: ['', 'endpoints'],
  endpointSlices: ['discovery.k8s.io', 'endpointslices'],
  deployments: ['apps', 'deployments'],
  daemonSets: ['apps', 'daemonsets'],
  namespaces: ['', 'namespaces'],
  serviceAccounts: ['', 'serviceaccounts'],
};

/** Resolves every type the controllers need; throws naming the first one the registry lacks. */
export function resolveTypes(registry: Registry): { types: ControllerTypes; keys: ControllerTypeKeys } {
  const types = {} as ControllerTypes;
  const keys = {} as ControllerTypeKeys;
  for (const name of Object.keys(WANTED) as (keyof ControllerTypes)[]) {
    const [group, plural] = WANTED[name];
    const t = registry.find(group, plural);
    if (!t) throw new Error(`controllers: the registry has no ${group ? `${plural}.${group}` : plural}`);
    types[name] = t;
    keys[name] = typeKey(t);
  }
  return { types, keys };
}
