// The CRD schemas in manifests/crds are precise enough for strict field validation: realistic
// resources have no unknown fields, and typical typos (`spec.selectr`, `spec.rules[].form`) or bad
// enum values are caught at the path a user would look at. Uses a small checker written here that
// follows the Kubernetes rules (unknown fields, types, enums, required); root metadata is skipped.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function schemasByKind(): Map<string, Obj> {
  let dir = __dirname;
  while (!existsSync(join(dir, 'manifests', 'crds')) && dir !== dirname(dir)) dir = dirname(dir);
  const crdDir = existsSync(join(dir, 'manifests', 'crds')) ? join(dir, 'manifests', 'crds') : join(process.cwd(), 'manifests', 'crds');
  const out = new Map<string, Obj>();
  for (const name of readdirSync(crdDir).filter((n) => n.endsWith('.yaml'))) {
    for (const doc of yaml.loadAll(readFileSync(join(crdDir, name), 'utf8'))) {
      if (!isObj(doc) || !isObj(doc.spec) || !isObj(doc.spec.names) || !Array.isArray(doc.spec.versions)) continue;
      const version: unknown = doc.spec.versions[0];
      const schema = isObj(version) && isObj(version.schema) ? version.schema.openAPIV3Schema : undefined;
      if (isObj(schema)) out.set(String(doc.spec.names.kind), schema);
    }
  }
  return out;
}

function check(schema: Obj, value: unknown, path: string, out: string[]): void {
  if (schema['x-kubernetes-int-or-string'] === true) return;
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true;
  switch (schema.type) {
    case 'object': {
      if (!isObj(value)) { out.push(`${path}: must be an object`); return; }
      const props = isObj(schema.properties) ? schema.properties : {};
      for (const r of Array.isArray(schema.required) ? schema.required : []) if (!(String(r) in value)) out.push(`${path}.${String(r)}: required`);
      for (const [key, v] of Object.entries(value)) {
        const sub = props[key] ?? schema.additionalProperties;
        if (path === '' && key === 'metadata') continue;
        if (isObj(sub)) check(sub, v, path ? `${path}.${key}` : key, out);
        else if (!open && sub !== true) out.push(`${path ? `${path}.` : ''}${key}: unknown field`);
      }
      return;
    }
    case 'array':
      if (!Array.isArray(value)) { out.push(`${path}: must be an array`); return; }
      value.forEach((v, i) => { if (isObj(schema.items)) check(schema.items, v, `${path}[${i}]`, out); });
      return;
    case 'string': case 'boolean': case 'number':
      if (typeof value !== schema.type) out.push(`${path}: must be a ${schema.type}`);
      break;
    case 'integer':
      if (!Number.isInteger(value)) out.push(`${path}: must be an integer`);
      break;
  }
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) out.push(`${path}: ${JSON.stringify(value)} is not one of ${schema.enum.join(', ')}`);
}

const schemas = schemasByKind();
function problems(manifest: string): string[] {
  const doc = yaml.load(manifest);
  assert.ok(isObj(doc));
  const schema = schemas.get(String(doc.kind));
  assert.ok(schema, `no CRD for ${String(doc.kind)}`);
  const out: string[] = [];
  check(schema, doc, '', out);
  return out;
}

const GOOD = {
  AuthorizationPolicy: `
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: echo-viewers, labels: { team: shop } }
spec:
  selector: { matchLabels: { app: echo } }
  action: ALLOW
  rules:
    - from: [{ source: { principals: [cluster.local/ns/default/sa/client], notNamespaces: [untrusted] } }]
      to: [{ operation: { methods: [GET], paths: [/api/*], ports: ["8080"] } }]
      when: [{ key: "request.headers[x-team]", values: [shop] }]
`,
  PeerAuthentication: `
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: { name: strict }
spec:
  selector: { matchLabels: { app: echo } }
  mtls: { mode: STRICT }
  portLevelMtls: { "8081": { mode: PERMISSIVE } }
`,
  HTTPRoute: `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: echo-canary }
spec:
  parentRefs: [{ group: "", kind: Service, name: echo, port: 80 }]
  rules:
    - matches: [{ path: { type: PathPrefix, value: /beta }, headers: [{ name: x-canary, value: "1" }] }]
      filters: [{ type: RequestHeaderModifier, requestHeaderModifier: { set: [{ name: x-route, value: canary }] } }]
      backendRefs: [{ name: echo-v2, port: 80, weight: 90 }, { name: echo-v1, port: 80, weight: 10 }]
      timeouts: { request: 2s }
`,
  Gateway: `
apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata: { name: waypoint, labels: { istio.io/waypoint-for: service } }
spec:
  gatewayClassName: istio-waypoint
  listeners: [{ name: mesh, port: 15008, protocol: HBONE }]
`,
  VirtualService: `
apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: { name: echo }
spec:
  hosts: [echo]
  http:
    - match: [{ uri: { prefix: /v2 }, headers: { x-user: { exact: alice } } }]
      route: [{ destination: { host: echo, subset: v2, port: { number: 80 } }, weight: 100 }]
      timeout: 1s
      retries: { attempts: 3, perTryTimeout: 200ms, retryOn: 5xx }
      fault: { abort: { httpStatus: 503, percentage: { value: 10 } } }
`,
  DestinationRule: `
apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: { name: echo }
spec:
  host: echo
  trafficPolicy: { loadBalancer: { simple: ROUND_ROBIN }, connectionPool: { http: { http1MaxPendingRequests: 1 } } }
  subsets:
    - { name: v1, labels: { version: v1 } }
    - { name: v2, labels: { version: v2 }, trafficPolicy: { outlierDetection: { consecutive5xxErrors: 5, interval: 10s } } }
`,
} as const;

test('realistic resources pass strict validation', () => {
  for (const [kind, manifest] of Object.entries(GOOD)) assert.deepEqual(problems(manifest), [], kind);
});

test('typos are rejected with the path of the unknown field', () => {
  const cases: [keyof typeof GOOD, string, string, string][] = [
    ['AuthorizationPolicy', 'selector:', 'selectr:', 'spec.selectr: unknown field'],
    ['AuthorizationPolicy', '- from:', '- form:', 'spec.rules[0].form: unknown field'],
    ['AuthorizationPolicy', 'principals:', 'principal:', 'spec.rules[0].from[0].source.principal: unknown field'],
    ['AuthorizationPolicy', 'to: [{ operation', 'to: [{ operations', 'spec.rules[0].to[0].operations: unknown field'],
    ['PeerAuthentication', 'mtls: { mode', 'mtls: { mod', 'spec.mtls.mod: unknown field'],
    ['HTTPRoute', 'backendRefs:', 'backendRef:', 'spec.rules[0].backendRef: unknown field'],
    ['HTTPRoute', 'timeouts: { request', 'timeouts: { requests', 'spec.rules[0].timeouts.requests: unknown field'],
    ['Gateway', 'protocol: HBONE', 'proto: HBONE', 'spec.listeners[0].proto: unknown field'],
    ['VirtualService', 'host: echo, subset', 'hots: echo, subset', 'spec.http[0].route[0].destination.hots: unknown field'],
    ['DestinationRule', 'interval: 10s', 'intervall: 10s', 'spec.subsets[1].trafficPolicy.outlierDetection.intervall: unknown field'],
  ];
  for (const [kind, from, to, expected] of cases) {
    const manifest = GOOD[kind].replace(from, to);
    assert.notEqual(manifest, GOOD[kind], `${kind}: '${from}' not found`);
    assert.ok(problems(manifest).includes(expected), `${kind}: ${problems(manifest).join('; ')}`);
  }
});

test('bad enum values, wrong types and missing required fields are reported', () => {
  assert.deepEqual(problems(GOOD.AuthorizationPolicy.replace('action: ALLOW', 'action: PERMIT')),
    ['spec.action: "PERMIT" is not one of ALLOW, DENY, AUDIT, CUSTOM']);
  assert.deepEqual(problems(GOOD.PeerAuthentication.replace('mode: STRICT', 'mode: strict')),
    ['spec.mtls.mode: "strict" is not one of UNSET, DISABLE, PERMISSIVE, STRICT']);
  assert.deepEqual(problems(GOOD.Gateway.replace('port: 15008', 'port: "15008"')), ['spec.listeners[0].port: must be an integer']);
  assert.deepEqual(problems(GOOD.Gateway.replace('gatewayClassName: istio-waypoint', '')), ['spec.gatewayClassName: required']);
});
