// Tests of the delta ADS codecs: round trips, Envoy's field numbers on the wire, Struct metadata
// mapping, and malformed bytes becoming MeshError(InvalidArgument).

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { messageType } from '../api/proto-root';
import { isMeshError, ErrorCode } from '../errors/mesh-error';
import {
  DELTA_ADS_SERVICE,
  decodeDeltaRequest,
  decodeDeltaResponse,
  deltaAdsMethod,
  encodeDeltaRequest,
  encodeDeltaResponse,
} from './delta-messages';
import { ADDRESS_TYPE_URL, DELTA_ADS_PATH, type DeltaDiscoveryRequest, type DeltaDiscoveryResponse } from './types';
import { field, tags } from '../testing/proto-fields';



const request: DeltaDiscoveryRequest = {
  node: {
    id: 'ztunnel~198.18.0.10~ztunnel-abc.istio-system~istio-system.svc.cluster.local',
    cluster: 'Kubernetes',
    metadata: { NAME: 'ztunnel-abc', NAMESPACE: 'istio-system', INSTANCE_IPS: ['198.18.0.10', 'fd00::10'], PORT: 15008, AMBIENT: true },
  },
  typeUrl: ADDRESS_TYPE_URL,
  resourceNamesSubscribe: ['a'],
  resourceNamesUnsubscribe: ['b'],
  initialResourceVersions: { 'Kubernetes//Pod/shop/p': 'v1' },
  responseNonce: 'nonce-1',
  errorDetail: { code: 3, message: 'workload.uid: empty' },
};

const response: DeltaDiscoveryResponse = {
  systemVersionInfo: '2024-01-01T00:00:00Z/1',
  typeUrl: ADDRESS_TYPE_URL,
  resources: [{ name: 'shop/reviews.shop.svc.cluster.local', version: 'v7', aliases: ['/198.19.0.10'], resource: { typeUrl: ADDRESS_TYPE_URL, value: Buffer.from([0x12, 0x00]) } }],
  removedResources: ['Kubernetes//Pod/shop/gone'],
  nonce: 'n-42',
};

describe('delta ADS messages', () => {
  it('round-trips a request with node metadata and a NACK', () => {
    assert.deepEqual(decodeDeltaRequest(encodeDeltaRequest(request)), request);
    const ack: DeltaDiscoveryRequest = { typeUrl: 't', resourceNamesSubscribe: [], resourceNamesUnsubscribe: [], initialResourceVersions: {}, responseNonce: 'x' };
    assert.deepEqual(decodeDeltaRequest(encodeDeltaRequest(ack)), ack);
  });

  it('round-trips a response', () => {
    assert.deepEqual(decodeDeltaResponse(encodeDeltaResponse(response)), response);
  });

  it("puts the request on the wire with Envoy's field numbers", () => {
    const buf = encodeDeltaRequest(request);
    assert.deepEqual(tags(buf), [1, 2, 3, 4, 5, 6, 7]);
    assert.deepEqual(tags(field(buf, 1)), [1, 2, 3]); // Node{id, cluster, metadata}
    assert.equal(Buffer.from(field(field(buf, 1), 1)).toString(), request.node?.id);
    assert.deepEqual(tags(field(buf, 7)), [1, 2]); // google.rpc.Status{code, message}
    assert.deepEqual(tags(field(buf, 5)), [1, 2]); // map entry {key, value}
  });

  it("puts the response on the wire with Envoy's field numbers", () => {
    const buf = encodeDeltaResponse(response);
    assert.deepEqual(tags(buf).sort(), [1, 2, 4, 5, 6]);
    const resource = field(buf, 2);
    assert.deepEqual(tags(resource).sort(), [1, 2, 3, 4]); // version, Any, name, aliases
    assert.deepEqual(tags(field(resource, 2)), [1, 2]); // Any{type_url, value}
    assert.equal(Buffer.from(field(field(resource, 2), 1)).toString(), ADDRESS_TYPE_URL);
  });

  it('drops Struct metadata values ambit cannot represent', () => {
    const t = messageType('envoy.service.discovery.v3.DeltaDiscoveryRequest');
    const buf = t.encode(t.fromObject({
      node: {
        id: 'n',
        metadata: {
          fields: {
            KEEP: { stringValue: 's' },
            NULL: { nullValue: 0 },
            NESTED: { structValue: { fields: { a: { stringValue: 'b' } } } },
            MIXED: { listValue: { values: [{ stringValue: 'a' }, { numberValue: 1 }] } },
            ['__proto__']: { stringValue: 'p' },
          },
        },
      },
    })).finish();
    const decoded = decodeDeltaRequest(buf);
    assert.deepEqual(Object.keys(decoded.node?.metadata ?? {}).sort(), ['KEEP', '__proto__']);
    assert.equal(Object.getPrototypeOf(decoded.node?.metadata), Object.prototype);
  });

  it('a resource without a body (TTL heartbeat) gets the response type and an empty value', () => {
    const t = messageType('envoy.service.discovery.v3.DeltaDiscoveryResponse');
    const buf = t.encode(t.fromObject({ typeUrl: ADDRESS_TYPE_URL, nonce: 'n', resources: [{ name: 'r', version: '1' }] })).finish();
    const res = decodeDeltaResponse(buf);
    assert.deepEqual(res.resources[0]?.resource, { typeUrl: ADDRESS_TYPE_URL, value: Buffer.alloc(0) });
  });

  it('malformed bytes become MeshError(InvalidArgument)', () => {
    for (const bad of [Buffer.from([0x0a, 0x05, 0x01]), Buffer.from([0x0f]), Buffer.from([0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff])]) {
      assert.throws(() => decodeDeltaResponse(bad), (err) => isMeshError(err, ErrorCode.InvalidArgument) && /malformed DeltaDiscoveryResponse/.test(err.message));
      assert.throws(() => decodeDeltaRequest(bad), (err) => isMeshError(err, ErrorCode.InvalidArgument) && /malformed DeltaDiscoveryRequest/.test(err.message));
    }
  });

  it('describes the bidi DeltaAggregatedResources method', () => {
    assert.equal(deltaAdsMethod.path, DELTA_ADS_PATH);
    assert.equal(DELTA_ADS_PATH, `/${DELTA_ADS_SERVICE}/DeltaAggregatedResources`);
    assert.equal(deltaAdsMethod.requestStream, true);
    assert.equal(deltaAdsMethod.responseStream, true);
  });
});
