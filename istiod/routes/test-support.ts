// Test support for the traffic-model tests: a RouteState loaded from a scenario (multi-document
// YAML: Namespaces, Services, Pods, waypoint Gateways, traffic resources, AuthorizationPolicies and
// RequestAuthentications, as kubectl would show them) and a rendering of every waypoint config and
// resource status. Not used by production code.

import assert from 'node:assert/strict';
import { loadAll } from 'js-yaml';
import { waypointConfigProblems } from '../../pkg/api/waypoint-validate';
import type { WaypointFor } from '../../pkg/api/waypoint-types';
import { toMeshNamespace, toMeshPod, toMeshPolicy, toMeshService } from '../kube/mesh-convert';
import type { WaypointGateway } from '../waypoint/types';
import type { RouteSettings } from './inputs';
import { emptyTouched, RouteState } from './route-state';
import { ROUTE_KINDS, type RouteKind } from './types';

function need<T>(v: T | undefined): T {
  if (v === undefined) throw new Error('a scenario document could not be read');
  return v;
}

type Doc = Record<string, unknown> & { kind?: string; metadata?: Record<string, unknown> };

/** A RouteState loaded from a scenario file. */
export function loadScenario(text: string, settings: Partial<RouteSettings> = {}): RouteState {
  const docs = loadAll(text).filter((d) => d !== null && d !== undefined) as Doc[];
  const state = new RouteState({ clusterId: 'Kubernetes', clusterDomain: 'cluster.local', ...settings });
  const t = emptyTouched();
  const gateways = new Map<string, WaypointGateway>();
  for (const d of docs) {
    if (d.kind === 'Namespace') state.applyNamespace(need(toMeshNamespace(d)), t);
    else if (d.kind === 'Service') state.applyService(need(toMeshService(d)), t);
    else if (d.kind === 'Pod') state.applyPod(need(toMeshPod(d)), t);
    else if (d.kind === 'Gateway') {
      const meta = d.metadata ?? {};
      const labels = (meta.labels ?? {}) as Record<string, string>;
      const g: WaypointGateway = {
        namespace: String(meta.namespace), name: String(meta.name), uid: `uid-${String(meta.name)}`, generation: 1,
        waypointFor: (labels['istio.io/waypoint-for'] ?? 'service') as WaypointFor, ready: true, problems: [],
      };
      gateways.set(`${g.namespace}/${g.name}`, g);
    } else if ((ROUTE_KINDS as readonly string[]).includes(d.kind ?? '')) {
      state.applyObject(d.kind as RouteKind, need(toMeshPolicy({ ...d, metadata: { generation: 1, ...d.metadata } })), t);
    } else if (d.kind === 'AuthorizationPolicy') {
      state.security.applyAuthorizationPolicy(need(toMeshPolicy({ ...d, metadata: { generation: 1, ...d.metadata } })), t);
    } else if (d.kind === 'RequestAuthentication') {
      state.security.applyRequestAuthentication(need(toMeshPolicy({ ...d, metadata: { generation: 1, ...d.metadata } })), t);
    } else throw new Error(`unexpected document kind ${String(d.kind)}`);
  }
  state.setGateways(gateways, gateways.keys(), t);
  return state;
}

export function render(state: RouteState): Record<string, unknown> {
  const configs: Record<string, unknown> = {};
  for (const key of [...state.gateways().keys()].sort()) {
    const config = state.build(key);
    assert.ok(config, key);
    assert.deepEqual(waypointConfigProblems(config), [], `config ${key} is valid`);
    configs[key] = config;
  }
  const statuses: Record<string, unknown> = {};
  for (const key of state.objectKeys().sort()) statuses[key] = state.status(key) ?? null;
  for (const key of state.security.authnStatusKeys().sort()) statuses[key] = state.security.authnStatus(key)?.view ?? null;
  return { configs, statuses };
}

