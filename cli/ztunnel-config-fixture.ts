// Test support for `ambit ztunnel-config` (not used by the command): a node agent's dump sources
// built the way ztunnel builds them — a StateStore and PolicyHandler fed with encoded xDS
// resources, a CertificateManager backed by a throw-away mesh CA — so the tests format what the
// real /config_dump (ztunnel/admin/config-dump.ts) returns.

import { EMPTY_MATCH, authorizationResourceName, type Authorization } from '../pkg/api/authorization-types';
import { encodeAuthorization } from '../pkg/api/authorization-codec';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';
import { createTestMesh, type TestMesh } from '../pkg/testing/mesh-certs';
import { AUTHORIZATION_TYPE_URL, type XdsResource } from '../pkg/xds/types';
import { configDump, type DumpSources } from '../ztunnel/admin/config-dump';
import { CertificateManager } from '../pkg/certs/cert-manager';
import { PolicyHandler } from '../ztunnel/state/policy-handler';
import { StateStore } from '../ztunnel/state/store';
import { resource, service, workload } from '../ztunnel/state/test-resources';
import type { ConfigDump } from './ztunnel-config-format';

export interface AgentFixture {
  readonly mesh: TestMesh;
  readonly sources: DumpSources;
  /** The dump as a client parses it off the wire. */
  dump(): ConfigDump;
  close(): void;
}

const CART = 'shop/cart.shop.svc.cluster.local';
const WAYPOINT = { kind: 'hostname', hostname: { namespace: 'shop', hostname: 'waypoint.shop.svc.cluster.local' }, hboneMtlsPort: 15008 } as const;

function policyResource(p: Authorization): XdsResource {
  return { name: authorizationResourceName(p), version: '1', aliases: [], resource: { typeUrl: AUTHORIZATION_TYPE_URL, value: Buffer.from(encodeAuthorization(p)) } };
}

export const FIXTURE_POLICIES: readonly Authorization[] = [
  {
    name: 'allow-web', namespace: 'shop', scope: 'WORKLOAD_SELECTOR', action: 'ALLOW', dryRun: false,
    rules: [{ clauses: [
      { matches: [{ ...EMPTY_MATCH, namespaces: [{ kind: 'exact', value: 'web' }] }] },
      { matches: [{ ...EMPTY_MATCH, destinationPorts: [8080] }] },
    ] }],
  },
  {
    name: 'istio_converted_static_strict', namespace: 'istio-system', scope: 'GLOBAL', action: 'DENY', dryRun: false,
    rules: [{ clauses: [{ matches: [{ ...EMPTY_MATCH, notPrincipals: [{ kind: 'presence' }] }] }] }],
  },
  { name: 'try-deny', namespace: 'shop', scope: 'NAMESPACE', action: 'DENY', dryRun: true, rules: [] },
];

/** Workloads on two nodes (one plain TCP, one behind another namespace's waypoint), two Services, three policies, two identities. */
export async function agentFixture(): Promise<AgentFixture> {
  const mesh = await createTestMesh();
  const certs = new CertificateManager({
    fetcher: (id) => (id.serviceAccount === 'broken'
      ? Promise.reject(new MeshError(ErrorCode.PermissionDenied, 'not on this node'))
      : mesh.issue(id.namespace, id.serviceAccount)),
    backoff: { initialMs: 3_600_000, maxMs: 3_600_000 },
  });
  const store = new StateStore();
  const policies = new PolicyHandler();
  const tcp = { servicePort: 80, targetPort: 8080, appProtocol: 'TCP' } as const;
  const applied = store.addressHandler.apply({ removed: [], resources: [
    resource(workload('cart-1', { addresses: ['198.18.1.5'], serviceAccount: 'cart', waypoint: WAYPOINT, services: { [CART]: [tcp] } })),
    resource(workload('cart-2', { addresses: ['198.18.2.6'], serviceAccount: 'cart', node: 'node2', status: 'UNHEALTHY', services: { [CART]: [tcp] } })),
    resource(workload('legacy-1', { namespace: 'legacy', addresses: ['198.18.1.9'], tunnelProtocol: 'NONE' })),
    resource(workload('web-1', { namespace: 'web', addresses: ['198.18.1.7', 'fd00::7'], serviceAccount: 'web', waypoint: WAYPOINT })),
    resource(service('cart', { addresses: [{ network: '', address: '198.19.0.10' }], waypoint: WAYPOINT })),
    resource(service('db', { namespace: 'data' })),
  ] });
  const pushed = policies.apply({ removed: [], resources: FIXTURE_POLICIES.map(policyResource) });
  if (!applied.ok || !pushed.ok) throw new Error(`fixture push refused: ${JSON.stringify([applied, pushed])}`);
  await certs.get(mesh.identity('shop', 'cart'));
  await certs.get(mesh.identity('shop', 'broken')).catch(() => undefined);
  const sources: DumpSources = {
    state: store,
    certificates: certs,
    config: { nodeName: 'node1', capture: 'none' },
    capture: () => ({ mode: 'none' }),
    xds: () => ({ connected: true }),
    policies: () => policies.policies(),
  };
  return {
    mesh,
    sources,
    dump: () => JSON.parse(JSON.stringify(configDump(sources))) as ConfigDump,
    close: () => certs.close(),
  };
}
