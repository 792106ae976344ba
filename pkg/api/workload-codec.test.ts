// Tests of the istio.workload.Address codec: round trips, Istio's field numbers on the wire,
// omitted defaults, and hostile inputs refused with a message naming the field.

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { bytesToIp, ipToBytes } from './ip-bytes';
import { messageType } from './proto-root';
import { ADDRESS_MESSAGE, decodeAddress, encodeAddress, MAX_ADDRESS_BYTES } from './workload-codec';
import type { Address, Service, Workload } from './workload-types';
import { field, tags } from '../testing/proto-fields';

const workload: Workload = {
  uid: 'Kubernetes//Pod/shop/reviews-v1-abc',
  name: 'reviews-v1-abc',
  namespace: 'shop',
  addresses: ['198.18.1.5', 'fd00::5'],
  network: 'net1',
  tunnelProtocol: 'HBONE',
  trustDomain: 'example.org',
  serviceAccount: 'reviews',
  waypoint: { kind: 'hostname', hostname: { namespace: 'shop', hostname: 'waypoint.shop.svc.cluster.local' }, hboneMtlsPort: 15008 },
  node: 'node-1',
  canonicalName: 'reviews',
  canonicalRevision: 'v1',
  workloadType: 'POD',
  workloadName: 'reviews-v1',
  services: {
    'shop/reviews.shop.svc.cluster.local': [{ servicePort: 9080, targetPort: 8080, appProtocol: 'HTTP11' }],
    'shop/ratings.shop.svc.cluster.local': [
      { servicePort: 80, targetPort: 0, appProtocol: 'UNKNOWN' },
      { servicePort: 443, targetPort: 8443, appProtocol: 'TLS' },
    ],
  },
  authorizationPolicies: ['shop/allow-frontend'],
  status: 'UNHEALTHY',
  clusterId: 'Kubernetes',
};

const service: Service = {
  name: 'reviews',
  namespace: 'shop',
  hostname: 'reviews.shop.svc.cluster.local',
  addresses: [{ network: '', address: '198.19.0.10' }, { network: 'net1', address: '2001:db8::a' }],
  ports: [{ servicePort: 9080, targetPort: 8080, appProtocol: 'GRPC' }],
  subjectAltNames: ['spiffe://cluster.local/ns/shop/sa/reviews'],
  waypoint: { kind: 'address', address: { network: '', address: '198.18.2.7' }, hboneMtlsPort: 15008 },
};



/** Encodes a raw wire object (camelCase) without ambit's encoder, for hostile inputs. */
function raw(obj: object): Buffer {
  const t = messageType(ADDRESS_MESSAGE);
  return Buffer.from(t.encode(t.fromObject(obj)).finish());
}

const okWorkload = { uid: 'c//Pod/ns/p', name: 'p', namespace: 'ns', addresses: [Buffer.from([198, 18, 1, 5])] };

function rejects(buf: Uint8Array, expected: RegExp): void {
  const result = decodeAddress(buf);
  assert.equal(result.ok, false, `accepted: ${JSON.stringify(result)}`);
  if (!result.ok) assert.match(result.error, expected);
}

describe('workload codec', () => {
  it('round-trips a full Workload and a full Service', () => {
    for (const address of [{ kind: 'workload', workload }, { kind: 'service', service }] as Address[]) {
      const result = decodeAddress(encodeAddress(address));
      assert.deepEqual(result, { ok: true, address });
    }
  });

  it("encodes a Workload with Istio's field numbers", () => {
    const buf = encodeAddress({ kind: 'workload', workload });
    assert.deepEqual(tags(buf), [1]);
    const w = field(buf, 1);
    const t = tags(w);
    // uid=20, addresses=3, tunnel_protocol=5, trust_domain=6, service_account=7, waypoint=8, node=9,
    // services=22 (map entries), status=17, authorization_policies=16, cluster_id=18.
    for (const n of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 16, 17, 18, 20, 22]) assert.ok(t.includes(n), `field ${n} missing from ${t}`);
    assert.equal(t.filter((n) => n === 3).length, 2, 'one field 3 per address');
    assert.equal(t.filter((n) => n === 22).length, 2, 'one field 22 per service');
    assert.deepEqual([...field(w, 20)], [...Buffer.from(workload.uid)]);
    assert.deepEqual([...field(w, 3)], [198, 18, 1, 5]);
    // waypoint: GatewayAddress{hostname=1{namespace=1, hostname=2}, hbone_mtls_port=3}
    const wp = field(w, 8);
    assert.deepEqual(tags(wp), [1, 3]);
    assert.deepEqual(tags(field(wp, 1)), [1, 2]);
    // services entry: key=1, value=2 PortList{ports=1 Port{service_port=1, target_port=2, app_protocol=3}}
    const entry = field(w, 22);
    assert.deepEqual(tags(entry), [1, 2]);
    assert.deepEqual(tags(field(field(entry, 2), 1)), [1, 2, 3]);
    // Enums by number: tunnel_protocol HBONE=1 is the byte after tag (5<<3|0 = 0x28).
    assert.ok(Buffer.from(w).includes(Buffer.from([0x28, 0x01])));
  });

  it('encodes a Service with its addresses as NetworkAddress{network=1, address=2}', () => {
    const buf = encodeAddress({ kind: 'service', service });
    assert.deepEqual(tags(buf), [2]);
    const s = field(buf, 2);
    assert.deepEqual(tags(s), [1, 2, 3, 4, 4, 5, 6, 7]);
    const addr = field(s, 4);
    assert.deepEqual(tags(addr), [2]); // default network omitted
    assert.deepEqual([...field(addr, 2)], [198, 19, 0, 10]);
  });

  it('omits the default trust domain, service account and other defaults, and decodes them back', () => {
    const plain: Workload = {
      ...workload,
      trustDomain: 'cluster.local',
      serviceAccount: 'default',
      network: '',
      tunnelProtocol: 'NONE',
      workloadType: 'DEPLOYMENT',
      status: 'HEALTHY',
      services: {},
      authorizationPolicies: [],
    };
    delete (plain as { waypoint?: unknown }).waypoint;
    const buf = encodeAddress({ kind: 'workload', workload: plain });
    const t = tags(field(buf, 1));
    for (const n of [4, 5, 6, 7, 8, 12, 16, 17, 22]) assert.ok(!t.includes(n), `field ${n} should be omitted, got ${t}`);
    assert.deepEqual(decodeAddress(buf), { ok: true, address: { kind: 'workload', workload: plain } });
  });

  it('converts IPs to raw bytes and back canonically', () => {
    assert.deepEqual([...ipToBytes('198.18.2.3')!], [198, 18, 2, 3]);
    assert.equal(bytesToIp(ipToBytes('fd00:0:0:0:0:0:0:5')!), 'fd00::5');
    assert.equal(bytesToIp(ipToBytes('::ffff:1.2.3.4')!), '::ffff:1.2.3.4');
    assert.equal(bytesToIp(ipToBytes('1:0:0:2:0:0:0:3')!), '1:0:0:2::3');
    assert.equal(bytesToIp(ipToBytes('::')!), '::');
    assert.equal(ipToBytes('1.2.3'), undefined);
    assert.equal(ipToBytes('fe80::1%eth0'), undefined);
    assert.throws(() => encodeAddress({ kind: 'workload', workload: { ...workload, addresses: ['nope'] } }), /workload\.addresses\[0\]: "nope" is not an IP/);
  });

  it('accepts a minimal workload and ignores fields ambit does not model', () => {
    const result = decodeAddress(raw({ workload: { ...okWorkload, locality: { region: 'r' }, capacity: { value: 3 }, nativeTunnel: true } }));
    assert.equal(result.ok, true);
    if (result.ok && result.address.kind === 'workload') {
      assert.equal(result.address.workload.serviceAccount, 'default');
      assert.equal(result.address.workload.trustDomain, 'cluster.local');
    }
  });

  describe('refuses hostile input, naming the field', () => {
    const cases: Array<[string, Uint8Array, RegExp]> = [
      ['empty message', Buffer.alloc(0), /^address: neither workload nor service set$/],
      ['both oneof members', raw({ workload: okWorkload, service: { name: 's', namespace: 'ns', hostname: 'h' } }), /^address: both workload and service set$/],
      ['truncated protobuf', Buffer.from([0x0a, 0x05, 0x01]), /^address: malformed protobuf/],
      ['string running past the end', Buffer.from([0x0a, 0x04, 0xa2, 0x01, 0x05, 0x61]), /^address: malformed protobuf/],
      ['invalid wire type', Buffer.from([0x0f]), /^address: malformed protobuf/],
      ['deeply nested groups (field 100)', Buffer.from(Array.from({ length: 400_000 }, (_, i) => (i % 2 === 0 ? 0xa3 : 0x06))), /^address: malformed protobuf/],
      ['oversized buffer', Buffer.alloc(MAX_ADDRESS_BYTES + 1), /^address: \d+ bytes \(max \d+\)$/],
      ['empty uid', raw({ workload: { ...okWorkload, uid: '' } }), /^workload\.uid: empty$/],
      ['empty name', raw({ workload: { ...okWorkload, name: '' } }), /^workload\.name: empty$/],
      ['namespace not a DNS label', raw({ workload: { ...okWorkload, namespace: 'Shop_1' } }), /^workload\.namespace: "Shop_1" is not a valid DNS label$/],
      ['5-byte address', raw({ workload: { ...okWorkload, addresses: [Buffer.alloc(4), Buffer.alloc(5)] } }), /^workload\.addresses\[1\]: 5 bytes \(want 4 or 16\)$/],
      ['17 addresses', raw({ workload: { ...okWorkload, addresses: new Array(17).fill(Buffer.alloc(4)) } }), /^workload\.addresses: 17 entries \(max 16\)$/],
      ['unknown tunnel protocol', raw({ workload: { ...okWorkload, tunnelProtocol: 7 } }), /^workload\.tunnel_protocol: unknown enum value 7$/],
      ['legacy mTLS tunnel', raw({ workload: { ...okWorkload, tunnelProtocol: 2 } }), /^workload\.tunnel_protocol: unknown enum value 2$/],
      ['negative workload type', raw({ workload: { ...okWorkload, workloadType: -1 } }), /^workload\.workload_type: unknown enum value -1$/],
      ['unknown status', raw({ workload: { ...okWorkload, status: 5 } }), /^workload\.status: unknown enum value 5$/],
      ['1 KiB+ node name', raw({ workload: { ...okWorkload, node: 'n'.repeat(1025) } }), /^workload\.node: 1025 bytes \(max 1024\)$/],
      ['service key without a slash', raw({ workload: { ...okWorkload, services: { __proto__x: { ports: [] } } } }), /^workload\.services\["__proto__x"\]: key is not "<namespace>\/<name>"$/],
      ['service port 0', raw({ workload: { ...okWorkload, services: { 'ns/h': { ports: [{ servicePort: 0, targetPort: 1 }] } } } }), /^workload\.services\["ns\/h"\]\.ports\[0\]\.service_port: 0 \(want 1\.\.65535\)$/],
      ['target port 70000', raw({ workload: { ...okWorkload, services: { 'ns/h': { ports: [{ servicePort: 80, targetPort: 70000 }] } } } }), /target_port: 70000 \(want 0\.\.65535\)$/],
      ['1025 services', raw({ workload: { ...okWorkload, services: Object.fromEntries(Array.from({ length: 1025 }, (_, i) => [`ns/h${i}`, { ports: [] }])) } }), /^workload\.services: 1025 entries \(max 1024\)$/],
      ['bad service account', raw({ workload: { ...okWorkload, serviceAccount: 'A/B' } }), /^workload\.service_account: "A\/B" is not a valid service account name$/],
      ['bad trust domain', raw({ workload: { ...okWorkload, trustDomain: 'Cluster Local' } }), /^workload\.trust_domain: /],
      ['policy without namespace', raw({ workload: { ...okWorkload, authorizationPolicies: ['allow-all'] } }), /^workload\.authorization_policies\[0\]: key is not/],
      ['waypoint without destination', raw({ workload: { ...okWorkload, waypoint: { hboneMtlsPort: 15008 } } }), /^workload\.waypoint: neither hostname nor address set$/],
      ['waypoint port 0', raw({ workload: { ...okWorkload, waypoint: { address: { address: Buffer.alloc(4) } } } }), /^workload\.waypoint\.hbone_mtls_port: 0 \(want 1\.\.65535\)$/],
      ['service hostname over 253 bytes', raw({ service: { name: 's', namespace: 'ns', hostname: `${'a'.repeat(250)}.com` } }), /^service\.hostname: 254 bytes \(max 253\)$/],
      ['service hostname with a space', raw({ service: { name: 's', namespace: 'ns', hostname: 'a b' } }), /^service\.hostname: "a b" is not a valid hostname$/],
      ['service CIDR address', raw({ service: { name: 's', namespace: 'ns', hostname: 'h', addresses: [{ address: Buffer.alloc(4), length: 24 }] } }), /^service\.addresses\[0\]\.length: CIDR prefix \/24 not supported/],
      ['service VIP of 3 bytes', raw({ service: { name: 's', namespace: 'ns', hostname: 'h', addresses: [{ address: Buffer.alloc(3) }] } }), /^service\.addresses\[0\]\.address: 3 bytes \(want 4 or 16\)$/],
      ['service app protocol 99', raw({ service: { name: 's', namespace: 'ns', hostname: 'h', ports: [{ servicePort: 80, appProtocol: 99 }] } }), /^service\.ports\[0\]\.app_protocol: unknown enum value 99$/],
      ['1025 service ports', raw({ service: { name: 's', namespace: 'ns', hostname: 'h', ports: new Array(1025).fill({ servicePort: 80 }) } }), /^service\.ports: 1025 entries \(max 1024\)$/],
    ];
    for (const [name, buf, expected] of cases) it(name, () => rejects(buf, expected));

    it('a "__proto__" service key is refused, not swallowed', () => {
      // Map entry: key "__proto__", value PortList{} — hand-built, as no encoder would emit it.
      const entry = Buffer.concat([Buffer.from([0x0a, 9]), Buffer.from('__proto__'), Buffer.from([0x12, 0])]);
      const w = Buffer.concat([raw({ workload: okWorkload }).subarray(2), Buffer.from([0xb2, 0x01, entry.length]), entry]);
      rejects(Buffer.concat([Buffer.from([0x0a, w.length]), w]), /^workload\.services\["__proto__"\]: key is not/);
    });
  });
});
