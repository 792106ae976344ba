// A pod's volumes on disk: the `..data` layout a reader sees, atomic replacement (stale names and
// the old generation gone, unchanged content not rewritten), a pod waiting for a ConfigMap that
// appears later, content following the ConfigMap, and each container's bind mounts.

import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtemp, readdir, readFile, readlink, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { KubeObject } from '../apiserver/types';
import { writeVolumeFiles } from './atomic-writer';
import { PodVolumes } from './pod-volumes';
import type { ContentLookups, KeyData } from './volume-content';
import { planPodVolumes } from './volume-plan';

const file = (path: string, data: string, mode = 0o644) => ({ path, data: Buffer.from(data), mode });

test('volume files are links through ..data to one generation, replaced in one step', async (t) => {
  const dir = await mkdtemp(join(tmpdir(), 'ambit-vol-'));
  t.after(() => rm(dir, { recursive: true, force: true }));
  assert.equal(await writeVolumeFiles(dir, [file('root-cert.pem', 'ROOT-1'), file('certs/a.pem', 'A', 0o600)]), true);
  const first = await readlink(join(dir, '..data'));
  assert.match(first, /^\.\.\d{4}_/);
  assert.equal(await readlink(join(dir, 'root-cert.pem')), '..data/root-cert.pem');
  assert.equal(await readFile(join(dir, 'root-cert.pem'), 'utf8'), 'ROOT-1');
  assert.equal(await readFile(join(dir, 'certs', 'a.pem'), 'utf8'), 'A');
  assert.equal((await stat(join(dir, 'certs', 'a.pem'))).mode & 0o777, 0o600);

  assert.equal(await writeVolumeFiles(dir, [file('root-cert.pem', 'ROOT-1'), file('certs/a.pem', 'A', 0o600)]), false, 'unchanged content is left alone');
  assert.equal(await readlink(join(dir, '..data')), first);

  assert.equal(await writeVolumeFiles(dir, [file('root-cert.pem', 'ROOT-2')]), true);
  assert.equal(await readFile(join(dir, 'root-cert.pem'), 'utf8'), 'ROOT-2');
  assert.deepEqual((await readdir(dir)).filter((n) => !n.startsWith('..')), ['root-cert.pem'], 'the stale name is gone');
  assert.deepEqual((await readdir(dir)).filter((n) => n.startsWith('..') && n !== '..data').length, 1, 'only the new generation is left');
});

const pod: KubeObject = {
  apiVersion: 'v1', kind: 'Pod', metadata: { name: 'ztunnel-x', namespace: 'istio-system', uid: 'u' },
  spec: {
    containers: [{ name: 'istio-proxy', image: 'ambit/ztunnel', volumeMounts: [
      { name: 'istio-token', mountPath: '/var/run/secrets/tokens' }, { name: 'istiod-ca-cert', mountPath: '/var/run/secrets/istio' },
    ] }],
    volumes: [
      { name: 'istio-token', projected: { sources: [{ serviceAccountToken: { audience: 'istio-ca', expirationSeconds: 43200, path: 'istio-token' } }] } },
      { name: 'istiod-ca-cert', configMap: { name: 'istio-ca-root-cert' } },
    ],
  },
};

test('a pod waits for its ConfigMap, then gets it, follows its changes, and its containers get bind mounts', async (t) => {
  const podDir = await mkdtemp(join(tmpdir(), 'ambit-pod-'));
  const configMaps = new Map<string, KeyData>();
  const issued: string[] = [];
  const lookups: ContentLookups = {
    configMap: (n) => configMaps.get(n), secret: () => undefined, clusterCA: () => 'CA',
    token: (aud, exp) => { issued.push(`${aud ?? 'api'}/${exp}`); return `jwt-${issued.length}`; },
    field: (p) => (p === 'metadata.namespace' ? 'istio-system' : undefined),
  };
  const logs: string[] = [];
  const volumes = new PodVolumes(planPodVolumes(pod, { defaultTokenSeconds: 86400 }), { podDir, lookups, log: (m) => logs.push(m) });
  t.after(async () => { await volumes.stop(); await rm(podDir, { recursive: true, force: true }); });

  assert.deepEqual(await volumes.setUp(), {
    ok: false, volume: 'istiod-ca-cert', message: 'MountVolume.SetUp failed for volume "istiod-ca-cert" : configmap "istio-ca-root-cert" not found',
  });
  assert.ok(volumes.reads('ConfigMap', 'istio-ca-root-cert'));
  assert.ok(!volumes.reads('ConfigMap', 'other'));

  configMaps.set('istio-ca-root-cert', { 'root-cert.pem': Buffer.from('ROOT-1') });
  assert.deepEqual(await volumes.setUp(), { ok: true });
  assert.equal(await readFile(join(podDir, 'volumes/istio-token/istio-token'), 'utf8'), 'jwt-1', 'the token was not re-issued on retry');
  assert.equal(await readFile(join(podDir, 'volumes/istiod-ca-cert/root-cert.pem'), 'utf8'), 'ROOT-1');
  assert.equal(await readFile(join(podDir, 'serviceaccount/namespace'), 'utf8'), 'istio-system');
  assert.equal(await readFile(join(podDir, 'serviceaccount/ca.crt'), 'utf8'), 'CA');
  assert.deepEqual(issued, ['istio-ca/43200', 'api/86400']);

  configMaps.set('istio-ca-root-cert', { 'root-cert.pem': Buffer.from('ROOT-2') });
  await volumes.refresh('ConfigMap', 'istio-ca-root-cert');
  assert.equal(await readFile(join(podDir, 'volumes/istiod-ca-cert/root-cert.pem'), 'utf8'), 'ROOT-2');
  assert.equal(await readFile(join(podDir, 'volumes/istio-token/istio-token'), 'utf8'), 'jwt-1', 'tokens are kept until their refresh time');

  configMaps.delete('istio-ca-root-cert');
  await volumes.refresh('ConfigMap', 'istio-ca-root-cert');
  assert.equal(await readFile(join(podDir, 'volumes/istiod-ca-cert/root-cert.pem'), 'utf8'), 'ROOT-2', 'a deleted ConfigMap keeps the last content');
  assert.match(logs.join('\n'), /keeping the previous content: configmap "istio-ca-root-cert" not found/);

  assert.deepEqual(volumes.mountsFor('istio-proxy'), [
    { hostDir: join(podDir, 'volumes/istio-token'), mountPath: '/var/run/secrets/tokens', readOnly: true },
    { hostDir: join(podDir, 'volumes/istiod-ca-cert'), mountPath: '/var/run/secrets/istio', readOnly: true },
    { hostDir: join(podDir, 'serviceaccount'), mountPath: '/var/run/secrets/kubernetes.io/serviceaccount', readOnly: true },
  ]);
});
