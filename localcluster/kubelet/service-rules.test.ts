// Services + EndpointSlices → the kube-proxy stand-in's rules: only ready endpoints, ports matched
// by name, headless Services skipped, hosts-file names for every ClusterIP Service.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { KubeObject } from '../apiserver/types';
import { serviceNames, serviceRules } from './service-rules';

const svc = (name: string, clusterIP: string, ports: unknown[]): KubeObject =>
  ({ apiVersion: 'v1', kind: 'Service', metadata: { name, namespace: 'default' }, spec: { clusterIP, ports } });
const slice = (svcName: string, ports: unknown[], endpoints: unknown[]): KubeObject =>
  ({ apiVersion: 'discovery.k8s.io/v1', kind: 'EndpointSlice', metadata: { name: `${svcName}-x`, namespace: 'default', labels: { 'kubernetes.io/service-name': svcName } }, addressType: 'IPv4', ports, endpoints });

test('ready endpoints with the resolved port of the matching slice port', () => {
  const rules = serviceRules(
    [svc('echo', '198.19.0.20', [{ name: 'http', port: 80, targetPort: 'http' }, { name: 'admin', port: 9000 }]), svc('db', 'None', [{ port: 5432 }])],
    [slice('echo', [{ name: 'http', port: 8080, protocol: 'TCP' }], [
      { addresses: ['198.18.2.3'], conditions: { ready: true } },
      { addresses: ['198.18.1.9'], conditions: { ready: false } },
      { addresses: ['198.18.1.4'] },
    ])],
  );
  assert.deepEqual(rules, [{
    namespace: 'default', name: 'echo', clusterIP: '198.19.0.20',
    ports: [
      { name: 'http', protocol: 'TCP', port: 80, endpoints: [{ ip: '198.18.1.4', port: 8080 }, { ip: '198.18.2.3', port: 8080 }] },
      { name: 'admin', protocol: 'TCP', port: 9000, endpoints: [] },
    ],
  }]);
  assert.deepEqual(serviceNames([svc('echo', '198.19.0.20', []), svc('db', 'None', [])]), [{ namespace: 'default', name: 'echo', clusterIP: '198.19.0.20' }]);
});
