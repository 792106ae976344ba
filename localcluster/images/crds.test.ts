// Well-formedness of what users `kubectl apply` from manifests/: every CRD in manifests/crds
// (names, scope, one storage version, a structural schema, status subresource) and every sample
// in manifests/samples (parses, has apiVersion/kind/metadata.name, uses images the cluster knows).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import yaml from 'js-yaml';
import { resolveImage } from './image-map';

type Obj = Record<string, unknown>;
const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

function repoRoot(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    if (existsSync(join(dir, 'manifests', 'crds'))) return dir;
  }
  return process.cwd();
}

function loadDocs(sub: string): { file: string; doc: Obj }[] {
  const dir = join(repoRoot(), 'manifests', sub);
  const out: { file: string; doc: Obj }[] = [];
  for (const name of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n)).sort()) {
    for (const doc of yaml.loadAll(readFileSync(join(dir, name), 'utf8'))) {
      if (doc === null || doc === undefined) continue;
      assert.ok(isObj(doc), `${sub}/${name}: a document is not a mapping`);
      out.push({ file: `${sub}/${name}`, doc });
    }
  }
  return out;
}

const get = (v: unknown, ...path: (string | number)[]): unknown =>
  path.reduce<unknown>((cur, key) => (isObj(cur) || Array.isArray(cur) ? (cur as Record<string | number, unknown>)[key] : undefined), v);

const EXPECTED = {
  'authorizationpolicies.security.istio.io': { scope: 'Namespaced', shortNames: ['ap'], categories: ['istio-io', 'security-istio-io'] },
  'peerauthentications.security.istio.io': { scope: 'Namespaced', shortNames: ['pa'], categories: ['istio-io', 'security-istio-io'] },
  'requestauthentications.security.istio.io': { scope: 'Namespaced', shortNames: ['ra'], categories: ['istio-io', 'security-istio-io'] },
  'virtualservices.networking.istio.io': { scope: 'Namespaced', shortNames: ['vs'], categories: ['istio-io', 'networking-istio-io'] },
  'destinationrules.networking.istio.io': { scope: 'Namespaced', shortNames: ['dr'], categories: ['istio-io', 'networking-istio-io'] },
  'serviceentries.networking.istio.io': { scope: 'Namespaced', shortNames: ['se'], categories: ['istio-io', 'networking-istio-io'] },
  'workloadentries.networking.istio.io': { scope: 'Namespaced', shortNames: ['we'], categories: ['istio-io', 'networking-istio-io'] },
  'gatewayclasses.gateway.networking.k8s.io': { scope: 'Cluster', shortNames: ['gc'], categories: ['gateway-api'] },
  'gateways.gateway.networking.k8s.io': { scope: 'Namespaced', shortNames: ['gtw'], categories: ['gateway-api'] },
  'httproutes.gateway.networking.k8s.io': { scope: 'Namespaced', shortNames: undefined, categories: ['gateway-api'] },
  'grpcroutes.gateway.networking.k8s.io': { scope: 'Namespaced', shortNames: undefined, categories: ['gateway-api'] },
} as const;

/** Problems that make a schema non-structural (what a real kube-apiserver would reject). */
function structuralProblems(schema: unknown, path: string): string[] {
  if (!isObj(schema)) return [`${path}: not a schema object`];
  const out: string[] = [];
  const open = schema['x-kubernetes-preserve-unknown-fields'] === true || schema['x-kubernetes-int-or-string'] === true;
  if (typeof schema.type !== 'string' && !open) out.push(`${path}: no type`);
  if (schema.properties !== undefined && schema.additionalProperties !== undefined) out.push(`${path}: both properties and additionalProperties`);
  if (schema.type === 'array' && schema.items === undefined) out.push(`${path}: array without items`);
  if (Array.isArray(schema.enum)) {
    for (const v of schema.enum) if (typeof v !== (schema.type === 'integer' ? 'number' : schema.type)) out.push(`${path}: enum value ${String(v)} is not a ${String(schema.type)}`);
  }
  if (Array.isArray(schema.required) && isObj(schema.properties)) {
    for (const r of schema.required) if (!(String(r) in schema.properties)) out.push(`${path}: required ${String(r)} is not a property`);
  }
  if (isObj(schema.properties)) for (const [k, v] of Object.entries(schema.properties)) out.push(...structuralProblems(v, `${path}.${k}`));
  if (schema.items !== undefined) out.push(...structuralProblems(schema.items, `${path}[]`));
  if (isObj(schema.additionalProperties)) out.push(...structuralProblems(schema.additionalProperties, `${path}{}`));
  return out;
}

const crds = loadDocs('crds');

test('manifests/crds holds exactly the expected CRDs', () => {
  for (const { file, doc } of crds) {
    assert.equal(doc.apiVersion, 'apiextensions.k8s.io/v1', file);
    assert.equal(doc.kind, 'CustomResourceDefinition', file);
  }
  assert.deepEqual(crds.map((c) => get(c.doc, 'metadata', 'name')).sort(), Object.keys(EXPECTED).sort());
});

for (const { file, doc } of crds) {
  const name = String(get(doc, 'metadata', 'name'));
  test(`CRD ${name} (${file}) is well-formed`, () => {
    const expected = EXPECTED[name as keyof typeof EXPECTED];
    assert.ok(expected, `unexpected CRD ${name}`);
    const spec = get(doc, 'spec');
    const names = get(spec, 'names');
    assert.ok(isObj(names));
    const kind = String(names.kind);
    assert.equal(name, `${String(names.plural)}.${String(get(spec, 'group'))}`, 'metadata.name is <plural>.<group>');
    assert.equal(names.singular, kind.toLowerCase());
    assert.equal(names.listKind, `${kind}List`);
    assert.equal(String(names.plural), String(names.plural).toLowerCase());
    assert.equal(get(spec, 'scope'), expected.scope);
    assert.deepEqual(names.shortNames, expected.shortNames);
    assert.deepEqual(names.categories, expected.categories);

    const versions = get(spec, 'versions');
    assert.ok(Array.isArray(versions) && versions.length > 0);
    const storage = versions.filter((v) => get(v, 'storage') === true);
    assert.equal(storage.length, 1, 'exactly one storage version');
    assert.equal(get(storage[0], 'name'), 'v1');
    assert.equal(get(storage[0], 'served'), true);
    for (const v of versions) {
      const schema = get(v, 'schema', 'openAPIV3Schema');
      assert.equal(get(schema, 'type'), 'object', 'schema present with type object');
      assert.equal(get(schema, 'properties', 'spec', 'type'), 'object', 'spec described');
      assert.equal(get(schema, 'properties', 'status', 'x-kubernetes-preserve-unknown-fields'), true, 'status is open');
      assert.deepEqual(get(v, 'subresources', 'status'), {}, 'status subresource');
      assert.deepEqual(structuralProblems(schema, `${name}`), []);
      const columns = get(v, 'additionalPrinterColumns');
      if (Array.isArray(columns)) for (const c of columns) assert.match(String(get(c, 'jsonPath')), /^\./);
    }
  });
}

const samples = loadDocs('samples');

test('every sample parses and names apiVersion, kind and metadata.name, without a namespace', () => {
  assert.ok(samples.length > 0);
  for (const { file, doc } of samples) {
    const where = `${file} ${String(doc.kind)}/${String(get(doc, 'metadata', 'name'))}`;
    assert.equal(typeof doc.apiVersion, 'string', where);
    assert.equal(typeof doc.kind, 'string', where);
    assert.equal(typeof get(doc, 'metadata', 'name'), 'string', where);
    assert.equal(get(doc, 'metadata', 'namespace'), undefined, `${where}: no namespace, so apply -n works`);
  }
});

test('sample Deployments select their own pods and use images the local cluster knows', () => {
  const deployments = samples.filter((s) => s.doc.kind === 'Deployment');
  assert.deepEqual(deployments.map((d) => get(d.doc, 'metadata', 'name')).sort(), ['client', 'echo-v1', 'echo-v2', 'grpc-echo', 'tcp-echo']);
  for (const { doc } of deployments) {
    const match = get(doc, 'spec', 'selector', 'matchLabels');
    const labels = get(doc, 'spec', 'template', 'metadata', 'labels');
    assert.ok(isObj(match) && isObj(labels));
    for (const [k, v] of Object.entries(match)) assert.equal(labels[k], v);
    const containers = get(doc, 'spec', 'template', 'spec', 'containers');
    assert.ok(Array.isArray(containers));
    for (const c of containers) {
      const r = resolveImage({ image: String(get(c, 'image')) }, '/dist', '/node');
      assert.ok('argv' in r, JSON.stringify(r));
    }
  }
});

test('the echo Service targets the port the echo pods listen on', () => {
  const svc = samples.find((s) => s.doc.kind === 'Service' && get(s.doc, 'metadata', 'name') === 'echo');
  assert.ok(svc);
  assert.deepEqual(get(svc.doc, 'spec', 'ports', 0), { name: 'http', port: 80, targetPort: 8080, protocol: 'TCP' });
  assert.deepEqual(get(svc.doc, 'spec', 'selector'), { app: 'echo' });
  const v1 = samples.find((s) => s.doc.kind === 'Deployment' && get(s.doc, 'metadata', 'name') === 'echo-v1');
  const env = get(v1?.doc, 'spec', 'template', 'spec', 'containers', 0, 'env');
  assert.ok(Array.isArray(env));
  const fieldPaths = env.map((e) => get(e, 'valueFrom', 'fieldRef', 'fieldPath')).filter(Boolean);
  assert.deepEqual(fieldPaths, ['metadata.name', 'metadata.namespace', 'spec.nodeName']);
});
