// Decoding the protobuf bodies kubectl sends: hand-encoded Namespace, TokenRequest, Service and
// Deployment bodies against the JSON they must become, and hostile input (truncation, lengths
// past the end, deep nesting, huge counts, random corruption) that must be a 400, never a crash.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ApiError } from './errors';
import { decodeProtobufMessage, decodeProtobufObject } from './protobuf';
import { list, Message, one, opt } from './protobuf-schema';

// --- a tiny encoder ---------------------------------------------------------------------------

const varint = (value: number | bigint): Buffer => {
  let n = BigInt.asUintN(64, BigInt(value));
  const out: number[] = [];
  do { out.push(Number(n & 0x7fn) | (n > 0x7fn ? 0x80 : 0)); n >>= 7n; } while (n > 0n);
  return Buffer.from(out);
};
/** A length-delimited field (string, bytes or message). */
const lf = (no: number, ...body: Array<Buffer | string>): Buffer => {
  const b = Buffer.concat(body.map((x) => (Buffer.isBuffer(x) ? x : Buffer.from(x))));
  return Buffer.concat([varint((no << 3) | 2), varint(b.length), b]);
};
/** A varint field (int32, int64, bool). */
const vf = (no: number, n: number | bigint | boolean): Buffer => Buffer.concat([varint(no << 3), varint(typeof n === 'boolean' ? Number(n) : n)]);
const entry = (no: number, key: string, value: string | Buffer): Buffer => lf(no, lf(1, key), lf(2, value));
const intStr = (v: number | string): Buffer => (typeof v === 'number' ? Buffer.concat([vf(1, 0), vf(2, v), lf(3, '')]) : Buffer.concat([vf(1, 1), vf(2, 0), lf(3, v)]));
const quantity = (s: string): Buffer => lf(1, s);
const envelope = (apiVersion: string, kind: string, raw: Buffer): Buffer =>
  Buffer.concat([Buffer.from('k8s\0', 'latin1'), lf(1, lf(1, apiVersion), lf(2, kind)), lf(2, raw)]);

const statusOf = (fn: () => unknown): number => {
  try { fn(); } catch (e) { if (e instanceof ApiError) return e.code; throw e; }
  return 0;
};

/** ObjectMeta as Go writes it: every non-pointer field, zero or not. */
const meta = (name: string, labels: Record<string, string> = {}): Buffer => Buffer.concat([
  lf(1, name), lf(2, ''), lf(3, ''), lf(5, ''), lf(6, ''), vf(7, 0), lf(8, Buffer.alloc(0)),
  ...Object.entries(labels).map(([k, v]) => entry(11, k, v)),
]);

// --- well-formed bodies -------------------------------------------------------------------------

test('a Namespace with labels decodes to JSON; Go zero values are dropped', () => {
  const decoded = decodeProtobufObject(envelope('v1', 'Namespace', Buffer.concat([lf(1, meta('shop', { team: 'a' })), lf(2)])));
  assert.deepEqual(decoded, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'shop', labels: { team: 'a' } }, spec: {} });
});

test('a TokenRequest keeps audiences, expiry and the bound pod', () => {
  const spec = Buffer.concat([lf(1, 'mesh'), lf(1, 'api'), vf(4, 600), lf(3, lf(1, 'Pod'), lf(3, 'web-1'))]);
  const decoded = decodeProtobufObject(envelope('authentication.k8s.io/v1', 'TokenRequest', lf(2, spec)));
  assert.deepEqual(decoded.spec, { audiences: ['mesh', 'api'], expirationSeconds: 600, boundObjectRef: { kind: 'Pod', name: 'web-1' } });
});

test('a Service as kubectl create service sends it', () => {
  const ports = [
    lf(1, lf(1, '80-8080'), lf(2, 'TCP'), vf(3, 80), lf(4, intStr(8080)), vf(5, 0)),
    lf(1, lf(1, 'web'), lf(2, 'TCP'), lf(6, 'http'), vf(3, 81), lf(4, intStr('http')), vf(5, 30081)),
    lf(1, lf(1, 'bare'), lf(2, 'UDP'), vf(3, 53), lf(4, intStr(0)), vf(5, 0)),
  ];
  const spec = Buffer.concat([
    ...ports, entry(2, 'app', 'web'), lf(3, ''), lf(4, 'NodePort'), lf(7, ''), lf(10, ''), lf(11, ''), vf(12, 0),
    vf(13, false), lf(19, 'IPv4'), lf(17, 'SingleStack'), lf(14, lf(1, vf(1, 10800))),
  ]);
  const decoded = decodeProtobufObject(envelope('v1', 'Service', Buffer.concat([lf(1, meta('web', { app: 'web' })), lf(2, spec), lf(3, lf(1))])));
  assert.deepEqual(decoded, {
    apiVersion: 'v1', kind: 'Service', metadata: { name: 'web', labels: { app: 'web' } },
    spec: {
      ports: [
        { name: '80-8080', protocol: 'TCP', port: 80, targetPort: 8080 },
        { name: 'web', protocol: 'TCP', appProtocol: 'http', port: 81, targetPort: 'http', nodePort: 30081 },
        { name: 'bare', protocol: 'UDP', port: 53 },
      ],
      selector: { app: 'web' }, type: 'NodePort', ipFamilies: ['IPv4'], ipFamilyPolicy: 'SingleStack',
      sessionAffinityConfig: { clientIP: { timeoutSeconds: 10800 } },
    },
    status: { loadBalancer: {} },
  });
});

test('a Deployment with a full pod template', () => {
  const container = Buffer.concat([
    lf(1, 'echo'), lf(2, 'ambit/echo'), lf(3, '/echo'), lf(4, '--port'), lf(4, '8080'), lf(5, ''),
    lf(6, lf(1, ''), vf(2, 0), vf(3, 8080), lf(4, 'TCP'), lf(5, '')),
    lf(7, lf(1, 'MODE'), lf(2, 'fast')),
    lf(7, lf(1, 'POD'), lf(2, ''), lf(3, lf(1, lf(1, 'v1'), lf(2, 'metadata.name')))),
    lf(7, lf(1, 'KEY'), lf(2, ''), lf(3, lf(3, lf(1, lf(1, 'settings')), lf(2, 'key')))),
    lf(7, lf(1, 'PW'), lf(2, ''), lf(3, lf(4, lf(1, lf(1, 'creds')), lf(2, 'pw'), vf(3, false)))),
    lf(19, lf(1, ''), lf(3, lf(1, lf(1, 'extra')), vf(2, true))),
    lf(8, entry(1, 'cpu', quantity('500m')), entry(2, 'memory', quantity('64Mi'))),
    lf(9, lf(1, 'cfg'), vf(2, true), lf(3, '/etc/cfg'), lf(4, ''), lf(6, '')),
    lf(11, lf(1, lf(2, lf(1, '/healthz'), lf(2, intStr('http')), lf(3, ''), lf(4, 'HTTP'))), vf(2, 0), vf(3, 1), vf(4, 5), vf(5, 1), vf(6, 3)),
    lf(10, lf(1, lf(3, lf(1, intStr(8080)), lf(2, ''))), vf(4, 10)),
    lf(13, '/dev/termination-log'), lf(20, 'File'), lf(14, 'IfNotPresent'),
    lf(15, vf(4, 0), vf(5, true)), vf(16, false), vf(17, false), vf(18, false),
  ]);
  const volumes = [
    lf(1, lf(1, 'cfg'), lf(2, lf(19, lf(1, lf(1, 'settings')), vf(3, 420)))),
    lf(1, lf(1, 'tmp'), lf(2, lf(2, lf(1, '')))),
    lf(1, lf(1, 'tok'), lf(2, lf(26, lf(1, lf(4, lf(1, 'mesh'), vf(2, 3600), lf(3, 'token')))))),
  ];
  const podSpec = Buffer.concat([
    ...volumes, lf(2, container), lf(3, 'Always'), vf(4, 0), lf(6, 'ClusterFirst'), entry(7, 'disk', 'ssd'),
    lf(8, 'web'), lf(9, ''), lf(10, ''), vf(11, false), vf(12, false), vf(13, false), lf(14), lf(19, 'default-scheduler'),
  ]);
  const template = Buffer.concat([lf(1, meta('', { app: 'web' })), lf(2, podSpec)]);
  const selector = Buffer.concat([entry(1, 'app', 'web'), lf(2, lf(1, 'tier'), lf(2, 'In'), lf(3, 'a'), lf(3, 'b'))]);
  const strategy = Buffer.concat([lf(1, 'RollingUpdate'), lf(2, lf(1, intStr(0)), lf(2, intStr('25%')))]);
  const spec = Buffer.concat([
    vf(1, 2), lf(2, selector), lf(3, template), lf(4, strategy), vf(5, 0), vf(6, -1), vf(7, false), vf(9, 600),
  ]);
  const metaWithTime = Buffer.concat([meta('web', { app: 'web' }), lf(8, vf(1, 1700000000), vf(2, 5))]);
  const decoded = decodeProtobufObject(envelope('apps/v1', 'Deployment', Buffer.concat([lf(1, metaWithTime), lf(2, spec), lf(3)])));
  assert.deepEqual(decoded, {
    apiVersion: 'apps/v1', kind: 'Deployment',
    metadata: { name: 'web', labels: { app: 'web' }, creationTimestamp: '2023-11-14T22:13:20Z' },
    spec: {
      replicas: 2, revisionHistoryLimit: -1, progressDeadlineSeconds: 600,
      selector: { matchLabels: { app: 'web' }, matchExpressions: [{ key: 'tier', operator: 'In', values: ['a', 'b'] }] },
      strategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 0, maxSurge: '25%' } },
      template: {
        metadata: { labels: { app: 'web' } },
        spec: {
          volumes: [
            { name: 'cfg', configMap: { name: 'settings', defaultMode: 420 } },
            { name: 'tmp', emptyDir: {} },
            { name: 'tok', projected: { sources: [{ serviceAccountToken: { audience: 'mesh', expirationSeconds: 3600, path: 'token' } }] } },
          ],
          containers: [{
            name: 'echo', image: 'ambit/echo', command: ['/echo'], args: ['--port', '8080'],
            ports: [{ containerPort: 8080, protocol: 'TCP' }],
            env: [
              { name: 'MODE', value: 'fast' },
              { name: 'POD', valueFrom: { fieldRef: { apiVersion: 'v1', fieldPath: 'metadata.name' } } },
              { name: 'KEY', valueFrom: { configMapKeyRef: { name: 'settings', key: 'key' } } },
              { name: 'PW', valueFrom: { secretKeyRef: { name: 'creds', key: 'pw', optional: false } } },
            ],
            envFrom: [{ secretRef: { name: 'extra', optional: true } }],
            resources: { limits: { cpu: '500m' }, requests: { memory: '64Mi' } },
            volumeMounts: [{ name: 'cfg', readOnly: true, mountPath: '/etc/cfg' }],
            readinessProbe: { httpGet: { path: '/healthz', port: 'http', scheme: 'HTTP' }, timeoutSeconds: 1, periodSeconds: 5, successThreshold: 1, failureThreshold: 3 },
            livenessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 10 },
            terminationMessagePath: '/dev/termination-log', terminationMessagePolicy: 'File', imagePullPolicy: 'IfNotPresent',
            securityContext: { runAsUser: 0, runAsNonRoot: true },
          }],
          restartPolicy: 'Always', terminationGracePeriodSeconds: 0, dnsPolicy: 'ClusterFirst', nodeSelector: { disk: 'ssd' },
          serviceAccountName: 'web', securityContext: {}, schedulerName: 'default-scheduler',
        },
      },
    },
    status: {},
  });
});

test('a DaemonSet, a Pod and a Scale decode through the same tables', () => {
  const podSpec = Buffer.concat([lf(2, lf(1, 'agent'), lf(2, 'ambit/ztunnel'), lf(8)), vf(11, true), lf(10, 'node-1'), vf(25, 0)]);
  const template = Buffer.concat([lf(1, meta('', { app: 'agent' })), lf(2, podSpec)]);
  const dsSpec = Buffer.concat([lf(1, entry(1, 'app', 'agent')), lf(2, template), lf(3, lf(1, 'RollingUpdate'), lf(2, lf(1, intStr(1)))), vf(4, 0)]);
  const ds = decodeProtobufObject(envelope('apps/v1', 'DaemonSet', Buffer.concat([lf(1, meta('agent')), lf(2, dsSpec)])));
  assert.deepEqual(ds.spec, {
    selector: { matchLabels: { app: 'agent' } },
    template: { metadata: { labels: { app: 'agent' } }, spec: { containers: [{ name: 'agent', image: 'ambit/ztunnel', resources: {} }], hostNetwork: true, nodeName: 'node-1', priority: 0 } },
    updateStrategy: { type: 'RollingUpdate', rollingUpdate: { maxUnavailable: 1 } },
  });
  const pod = decodeProtobufObject(envelope('v1', 'Pod', Buffer.concat([lf(1, meta('one', { run: 'one' })), lf(2, lf(2, lf(1, 'one'), lf(2, 'ambit/sleep'))), lf(3)])));
  assert.deepEqual(pod, { apiVersion: 'v1', kind: 'Pod', metadata: { name: 'one', labels: { run: 'one' } }, spec: { containers: [{ name: 'one', image: 'ambit/sleep' }] }, status: {} });
  const scale = decodeProtobufObject(envelope('autoscaling/v1', 'Scale', Buffer.concat([lf(1, meta('web')), lf(2, vf(1, 3)), lf(3, vf(1, 2), lf(2, 'app=web'))])));
  assert.deepEqual(scale, { apiVersion: 'autoscaling/v1', kind: 'Scale', metadata: { name: 'web' }, spec: { replicas: 3 }, status: { replicas: 2, selector: 'app=web' } });
});

test('a Secret keeps its bytes as base64 and a map key named __proto__ stays data', () => {
  const body = Buffer.concat([lf(1, meta('creds', { ['__proto__']: 'x' })), entry(2, 'pw', Buffer.from([0, 255, 1])), lf(3, 'Opaque')]);
  const decoded = decodeProtobufObject(envelope('v1', 'Secret', body));
  assert.deepEqual(decoded.data, { pw: 'AP8B' });
  const labels = (decoded.metadata as { labels: Record<string, unknown> }).labels;
  assert.equal(Object.getPrototypeOf(labels), Object.prototype);
  assert.deepEqual(Object.keys(labels), ['__proto__']);
  assert.equal(({} as Record<string, unknown>).x, undefined);
});

test('unknown fields of every wire type are skipped; packed repeated ints are read', () => {
  const spec: Message = { 1: one('name', 'string'), 2: list('ids', 'int') };
  const unknown = Buffer.concat([vf(9, 7), Buffer.from([(10 << 3) | 1, 1, 2, 3, 4, 5, 6, 7, 8]), Buffer.from([(11 << 3) | 5, 1, 2, 3, 4]), lf(12, lf(1, 'x'))]);
  const packed = lf(2, Buffer.concat([varint(1), varint(300), varint(-2)]));
  assert.deepEqual(decodeProtobufMessage(Buffer.concat([unknown, lf(1, 'n'), packed, vf(2, 4)]), spec), { name: 'n', ids: [1, 300, -2, 4] });
});

// --- hostile bodies ----------------------------------------------------------------------------

test('unknown kinds get 415; malformed framing and fields get 400', () => {
  assert.equal(statusOf(() => decodeProtobufObject(envelope('batch/v1', 'Job', Buffer.alloc(0)))), 415);
  assert.equal(statusOf(() => decodeProtobufObject(Buffer.from('{"json": true}'))), 400);
  const magic = Buffer.from('k8s\0', 'latin1');
  const cases: Array<[string, Buffer]> = [
    ['truncated varint', Buffer.concat([magic, Buffer.from([0x0a, 0xff])])],
    ['length past the end', Buffer.concat([magic, Buffer.from([0x12, 0x10, 0x01])])],
    ['truncated envelope', envelope('v1', 'Namespace', lf(1, 'x')).subarray(0, 12)],
    ['overlong varint', Buffer.concat([magic, Buffer.from([0x08, ...Array<number>(11).fill(0xff), 0x01])])],
    ['field number 0', Buffer.concat([magic, Buffer.from([0x02, 0x00])])],
    ['group wire type', envelope('v1', 'Namespace', Buffer.from([(5 << 3) | 3]))],
    ['truncated fixed64', envelope('v1', 'Namespace', Buffer.from([(9 << 3) | 1, 1, 2]))],
    ['wrong wire type', envelope('v1', 'Namespace', vf(1, 5))],
    ['truncated nested length', envelope('apps/v1', 'Deployment', Buffer.from([0x12, 0x05, 0x08, 0x02, 0x1a, 0x7f]))],
    ['time out of range', envelope('v1', 'Namespace', lf(1, lf(8, vf(1, 2n ** 60n))))],
    ['huge length', Buffer.concat([magic, Buffer.from([0x12, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x7f])])],
  ];
  for (const [what, body] of cases) assert.equal(statusOf(() => decodeProtobufObject(body)), 400, what);
});

test('nesting deeper than the limit is refused; shallower nesting decodes', () => {
  const node: Record<number, ReturnType<typeof opt>> = {};
  node[1] = opt('child', node);
  const nest = (depth: number): Buffer => (depth === 0 ? Buffer.alloc(0) : lf(1, nest(depth - 1)));
  assert.equal(statusOf(() => decodeProtobufMessage(nest(200), node)), 400);
  let v: unknown = decodeProtobufMessage(nest(50), node);
  for (let i = 0; i < 50; i++) v = (v as { child: unknown }).child;
  assert.deepEqual(v, {});
});

test('value counts are bounded: a body of millions of tiny repeated fields is a 400', () => {
  const spec: Message = { 1: list('xs', 'string') };
  assert.equal(statusOf(() => decodeProtobufMessage(Buffer.concat(Array<Buffer>(2000).fill(lf(1, ''))), spec, { maxValues: 1000 })), 400);
  // The largest body the server accepts (3 MiB) of two-byte fields goes past the default limit.
  const huge = Buffer.alloc(3 * 1024 * 1024);
  for (let i = 0; i < huge.length; i += 2) { huge[i] = 0x0a; huge[i + 1] = 0; }
  assert.equal(statusOf(() => decodeProtobufMessage(huge, spec)), 400);
  assert.equal(statusOf(() => decodeProtobufMessage(lf(1, lf(1, 'not json')), { 1: one('raw', 'rawExtension') })), 400);
  assert.deepEqual(decodeProtobufMessage(lf(1, lf(1, '{"a":[1]}')), { 1: one('raw', 'rawExtension') }), { raw: { a: [1] } });
});

test('random corruption of a valid Deployment body is decoded or refused, never thrown otherwise', () => {
  const body = envelope('apps/v1', 'Deployment', Buffer.concat([
    lf(1, meta('web', { app: 'web' })),
    lf(2, vf(1, 3), lf(2, entry(1, 'app', 'web')), lf(3, lf(1, meta('', { app: 'web' })), lf(2, lf(2, lf(1, 'c'), lf(2, 'img'), lf(6, vf(3, 80)))))),
  ]));
  let seed = 42;
  const rand = (n: number): number => { seed = (seed * 1103515245 + 12345) % 2147483648; return seed % n; };
  for (let i = 0; i < 3000; i++) {
    const mutated = Buffer.from(body.subarray(0, 4 + rand(body.length - 3)));
    for (let j = 0, flips = rand(4); j < flips; j++) mutated[4 + rand(Math.max(1, mutated.length - 4))] = rand(256);
    const code = statusOf(() => decodeProtobufObject(mutated));
    assert.ok(code === 0 || code === 400 || code === 415, `unexpected status ${code}`);
  }
});
