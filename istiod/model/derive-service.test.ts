// Unit tests for Service → istio.workload.Service: hostname, VIPs (headless, dual-stack), ports,
// ExternalName.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { deriveService } from './derive-service';
import { modelSettings } from './settings';
import { service, SETTINGS } from './test-fixtures';

test('a ClusterIP Service: hostname, VIP and ports', () => {
  const s = deriveService(service('shop', 'web', {
    ports: [
      { name: 'http', port: 80, targetPort: 'http', protocol: 'TCP' },
      { name: 'grpc', port: 9090, targetPort: 9091, protocol: 'TCP', appProtocol: 'grpc' },
      { name: 'dns', port: 53, targetPort: 53, protocol: 'UDP' },
    ],
  }), SETTINGS);
  assert.deepEqual(s, {
    name: 'web', namespace: 'shop', hostname: 'web.shop.svc.cluster.local',
    addresses: [{ network: '', address: '198.19.0.10' }],
    ports: [
      { servicePort: 80, targetPort: 0, appProtocol: 'HTTP11' },
      { servicePort: 9090, targetPort: 9091, appProtocol: 'GRPC' },
      { servicePort: 53, targetPort: 53, appProtocol: 'UNKNOWN' },
    ],
    subjectAltNames: [],
  });
});

test('the domain suffix comes from the settings', () => {
  assert.equal(deriveService(service('shop', 'web'), modelSettings({ domainSuffix: 'corp.example' }))?.hostname, 'web.shop.svc.corp.example');
});

test('headless Services have no VIP; dual-stack Services have both; garbage is dropped', () => {
  assert.deepEqual(deriveService(service('shop', 'db', { clusterIPs: ['None'] }), SETTINGS)?.addresses, []);
  assert.deepEqual(deriveService(service('shop', 'web', { clusterIPs: ['198.19.0.10', 'fd00:10::a'] }), SETTINGS)?.addresses,
    [{ network: '', address: '198.19.0.10' }, { network: '', address: 'fd00:10::a' }]);
  assert.deepEqual(deriveService(service('shop', 'web', { clusterIPs: ['not-an-ip', ''] }), SETTINGS)?.addresses, []);
});

test('ExternalName Services have no Address resource', () => {
  assert.equal(deriveService(service('shop', 'ext', { type: 'ExternalName', clusterIPs: [] }), SETTINGS), undefined);
});
