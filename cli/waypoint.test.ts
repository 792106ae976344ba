// `ambit waypoint generate` and `apply` as a user sees them: the YAML printed, usage errors (exit
// 2) and failures (exit 1) through the `ambit` binary, and against a real API server: the Gateway
// created with the right spec and labels, an idempotent re-apply, --enroll-namespace labelling
// and refusing to replace another binding, --wait returning once the status says Programmed=True
// and timing out with the conditions otherwise.

import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { writeKubeconfig } from '../localcluster/apiserver/server';
import { eventually, startTestApiServer } from '../localcluster/apiserver/test-support';
import { GATEWAYS, programmedStatus, startWaypointFixture, type WaypointFixture } from './waypoint-test-support';

const CLI = join(__dirname, 'main.js');

function ambit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

const GENERATED = `apiVersion: gateway.networking.k8s.io/v1
kind: Gateway
metadata:
  name: waypoint
  namespace: shop
spec:
  gatewayClassName: istio-waypoint
  listeners:
    - name: mesh
      port: 15008
      protocol: HBONE
`;

test('generate prints the waypoint Gateway, with the waypoint-for label only when --for is given', async () => {
  const plain = await ambit(['waypoint', 'generate', '-n', 'shop'], { KUBECONFIG: '/nonexistent/kubeconfig' });
  assert.equal(plain.code, 0, plain.stderr);
  assert.equal(plain.stdout, GENERATED);
  const labelled = await ambit(['waypoint', 'generate', '-n', 'shop', '--name', 'reviews-wp', '--for', 'workload']);
  assert.equal(labelled.stdout, GENERATED
    .replace('name: waypoint', 'name: reviews-wp')
    .replace('namespace: shop\n', 'namespace: shop\n  labels:\n    istio.io/waypoint-for: workload\n'));
});

test('usage errors exit 2 and say what is wrong', async () => {
  const cases: [string[], RegExp][] = [
    [['waypoint', 'generate', '--name', 'none'], /the name 'none' is reserved/],
    [['waypoint', 'generate', '--for', 'everything'], /--for everything: pick service, workload, all or none/],
    [['waypoint', 'apply', '--name', 'wp'], /say which namespace gets the waypoint: -n NS/],
    [['waypoint', 'apply', '-n', 'shop', '--overwrite'], /--overwrite only matters with --enroll-namespace/],
    [['waypoint', 'apply', '-n', 'shop', '--wait', '--timeout', 'soon'], /--timeout soon: not a duration/],
    [['waypoint', 'delete', '-n', 'shop'], /name the waypoints to delete, or pass --all/],
    [['waypoint', 'list', '-A', '-n', 'shop'], /use one or the other/],
    [['waypoint', 'generate', '--name', 'Bad_Name'], /'Bad_Name' is not a valid waypoint name/],
    [['waypoint', 'frobnicate'], /unknown waypoint command 'frobnicate'/],
  ];
  for (const [args, message] of cases) {
    const r = await ambit(args);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, message);
    assert.match(r.stderr, /usage: ambit waypoint /);
  }
});

test('a cluster without the Gateway API CRDs is told so (exit 1)', async () => {
  const bare = await startTestApiServer();
  try {
    const kubeconfig = join(bare.stateDir, 'kubeconfig');
    await writeKubeconfig(kubeconfig, bare.urls[0], bare.caPem, bare.adminToken, 'test');
    const r = await ambit(['waypoint', 'list', '-A'], { KUBECONFIG: kubeconfig });
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'ambit: the cluster does not serve gateways.gateway.networking.k8s.io/v1: install the Gateway API CRDs (ambit install applies them)\n');
  } finally {
    await bare.dispose();
  }
});

describe('apply against an API server', () => {
  let f: WaypointFixture;
  before(async () => {
    f = await startWaypointFixture();
    await f.namespace('shop', { 'istio.io/dataplane-mode': 'ambient' });
    await f.namespace('plain');
  });
  after(() => f.dispose());

  test('a namespace that does not exist is refused (exit 1 through the binary)', async () => {
    const r = await ambit(['waypoint', 'apply', '-n', 'nowhere', '--kubeconfig', f.kubeconfig]);
    assert.equal(r.code, 1);
    assert.equal(r.stderr, 'ambit: namespace nowhere does not exist: create it first (kubectl create namespace nowhere)\n');
    assert.equal(await f.get(`${GATEWAYS}/namespaces/nowhere/gateways/waypoint`), undefined);
  });

  test('creates the Gateway with the waypoint spec; re-applying changes nothing', async () => {
    const first = await f.runStrict(['apply', '-n', 'shop']);
    assert.deepEqual(first.out, ['waypoint shop/waypoint created']);
    assert.deepEqual(first.err, [], 'shop is ambient: no warning');
    const gw = await f.get(`${GATEWAYS}/namespaces/shop/gateways/waypoint`) as { metadata: { labels?: unknown; resourceVersion: string }; spec: unknown };
    assert.deepEqual(gw.spec, { gatewayClassName: 'istio-waypoint', listeners: [{ name: 'mesh', port: 15008, protocol: 'HBONE' }] });
    assert.equal(gw.metadata.labels, undefined);
    const again = await f.runStrict(['apply', '-n', 'shop']);
    assert.deepEqual(again.out, ['waypoint shop/waypoint unchanged']);
    const same = await f.get(`${GATEWAYS}/namespaces/shop/gateways/waypoint`) as { metadata: { resourceVersion: string } };
    assert.equal(same.metadata.resourceVersion, gw.metadata.resourceVersion);
  });

  test('--for sets istio.io/waypoint-for; a namespace outside the mesh gets a warning', async () => {
    const r = await f.runStrict(['apply', '-n', 'plain', '--name', 'wl', '--for', 'workload']);
    assert.deepEqual(r.out, ['waypoint plain/wl created']);
    assert.equal(r.err.length, 1);
    assert.match(r.err[0], /^warning: namespace plain is not in the mesh \(it has no istio.io\/dataplane-mode=ambient label\).*kubectl label namespace plain istio.io\/dataplane-mode=ambient$/);
    assert.deepEqual(await f.labelsOf(`${GATEWAYS}/namespaces/plain/gateways/wl`), { 'istio.io/waypoint-for': 'workload' });
  });

  test('a Gateway of another class is not taken over', async () => {
    await f.create(`${GATEWAYS}/namespaces/shop/gateways`, {
      apiVersion: 'gateway.networking.k8s.io/v1', kind: 'Gateway', metadata: { name: 'ingress' },
      spec: { gatewayClassName: 'istio', listeners: [{ name: 'http', port: 80, protocol: 'HTTP' }] },
    });
    const r = await f.run(['apply', '-n', 'shop', '--name', 'ingress']);
    assert.equal(r.code, 1);
    assert.deepEqual(r.err, ['gateway shop/ingress exists and is not a waypoint (gatewayClassName istio): pick another --name']);
  });

  test('--enroll-namespace labels the namespace and refuses to replace another waypoint without --overwrite', async () => {
    const enrolled = await f.runStrict(['apply', '-n', 'shop', '--enroll-namespace']);
    assert.deepEqual(enrolled.out, ['waypoint shop/waypoint unchanged', 'namespace shop labeled istio.io/use-waypoint=waypoint']);
    assert.equal((await f.labelsOf('/api/v1/namespaces/shop'))['istio.io/use-waypoint'], 'waypoint');
    assert.match(enrolled.err.join('\n'), /^note: waypoint shop\/waypoint is not programmed yet; traffic bound to it is refused until it is \(fail closed\)/);

    const again = await f.runStrict(['apply', '-n', 'shop', '--enroll-namespace']);
    assert.deepEqual(again.out, ['waypoint shop/waypoint unchanged', 'namespace shop already uses waypoint waypoint']);

    const refused = await f.run(['apply', '-n', 'shop', '--name', 'second', '--enroll-namespace']);
    assert.equal(refused.code, 1);
    assert.deepEqual(refused.err, ['namespace shop already has istio.io/use-waypoint=waypoint: pass --overwrite to make it use waypoint shop/second instead']);
    assert.equal(await f.get(`${GATEWAYS}/namespaces/shop/gateways/second`), undefined, 'nothing was created');

    const replaced = await f.runStrict(['apply', '-n', 'shop', '--name', 'second', '--enroll-namespace', '--overwrite']);
    assert.deepEqual(replaced.out, ['waypoint shop/second created', 'namespace shop labeled istio.io/use-waypoint=second (was istio.io/use-waypoint=waypoint)']);
    assert.equal((await f.labelsOf('/api/v1/namespaces/shop'))['istio.io/use-waypoint'], 'second');
  });

  test('--wait returns once istiod reports Programmed=True, then enrolls the namespace', async () => {
    await f.namespace('books', { 'istio.io/dataplane-mode': 'ambient' });
    const path = `${GATEWAYS}/namespaces/books/gateways/waypoint`;
    const running = f.runStrict(['apply', '-n', 'books', '--enroll-namespace', '--wait', '--timeout', '30s']);
    await eventually('the Gateway', () => f.get(path));
    assert.equal((await f.labelsOf('/api/v1/namespaces/books'))['istio.io/use-waypoint'], undefined, 'not enrolled while waiting');
    await f.setStatus(path, { conditions: [{ type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted', observedGeneration: 1, lastTransitionTime: '2024-01-01T00:00:00Z' }] });
    await f.setStatus(path, programmedStatus('books', 'waypoint'));
    const r = await running;
    assert.equal(r.out[0], 'waypoint books/waypoint created');
    assert.equal(r.out[1], 'waiting up to 30 s for waypoint books/waypoint to be programmed ...');
    assert.equal(r.out.at(-2), 'waypoint books/waypoint is programmed: address waypoint.books.svc.cluster.local');
    assert.equal(r.out.at(-1), 'namespace books labeled istio.io/use-waypoint=waypoint');
    assert.equal((await f.labelsOf('/api/v1/namespaces/books'))['istio.io/use-waypoint'], 'waypoint');
  });

  test('--wait times out with the conditions and the Deployment, and does not enroll', async () => {
    await f.namespace('slow', { 'istio.io/dataplane-mode': 'ambient' });
    const path = `${GATEWAYS}/namespaces/slow/gateways/waypoint`;
    await f.runStrict(['apply', '-n', 'slow']);
    await f.setStatus(path, {
      conditions: [
        { type: 'Accepted', status: 'True', reason: 'Accepted', message: 'Resource accepted', observedGeneration: 1, lastTransitionTime: '2024-01-01T00:00:00Z' },
        { type: 'Programmed', status: 'False', reason: 'NoReadyPods', message: 'waypoint pods are not ready\n(0 of 1)', observedGeneration: 1, lastTransitionTime: '2024-01-01T00:00:00Z' },
      ],
    });
    await assert.rejects(f.runStrict(['apply', '-n', 'slow', '--enroll-namespace', '--wait', '--timeout', '300ms']), (err: Error) => {
      assert.equal(err.message, [
        'waypoint slow/waypoint is not programmed after 0.3 s:',
        '  Accepted=True (Accepted): Resource accepted',
        '  Programmed=False (NoReadyPods): waypoint pods are not ready (0 of 1)',
        '  no waypoint Deployment yet (istiod creates slow/waypoint once it accepts the Gateway)',
        'namespace slow was not enrolled; once the waypoint is ready: ambit waypoint apply -n slow --name waypoint --enroll-namespace',
      ].join('\n'));
      return true;
    });
    assert.equal((await f.labelsOf('/api/v1/namespaces/slow'))['istio.io/use-waypoint'], undefined);
  });
});
