// The image table as `ambit local` uses it: Kubernetes command/args semantics, image reference
// forms (registry, tag, digest), and the message for an unknown image.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { IMAGE_TABLE, formatImageTable, imageName, resolveImage } from './image-map';

const DIST = '/opt/ambit/dist';
const NODE = '/usr/bin/node';

test('an ambit image runs its script with node', () => {
  assert.deepEqual(resolveImage({ image: 'ambit/echo' }, DIST, NODE), { argv: [NODE, '/opt/ambit/dist/localcluster/images/echo-server.js'] });
  assert.deepEqual(resolveImage({ image: 'ambit/istiod:1.0' }, DIST, NODE), { argv: [NODE, '/opt/ambit/dist/istiod/main.js'] });
  assert.deepEqual(resolveImage({ image: 'ambit/ztunnel' }, DIST, NODE), { argv: [NODE, '/opt/ambit/dist/ztunnel/main.js'] });
  assert.deepEqual(resolveImage({ image: 'ambit/waypoint' }, DIST, NODE), { argv: [NODE, '/opt/ambit/dist/waypoint/main.js'] });
});

test('node is process.execPath unless given', () => {
  const r = resolveImage({ image: 'ambit/sleep' }, DIST);
  assert.deepEqual(r, { argv: [process.execPath, '/opt/ambit/dist/localcluster/images/sleep.js'] });
});

test('args replace the default args and keep the entrypoint', () => {
  assert.deepEqual(resolveImage({ image: 'ambit/tcp-echo', args: ['--verbose'] }, DIST, NODE),
    { argv: [NODE, '/opt/ambit/dist/localcluster/images/tcp-echo.js', '--verbose'] });
  assert.deepEqual(resolveImage({ image: 'curlimages/curl', args: ['-s', 'http://echo/'] }, DIST, NODE),
    { argv: ['curl', '-s', 'http://echo/'] });
  assert.deepEqual(resolveImage({ image: 'busybox', args: ['sh', '-c', 'echo hi'] }, DIST, NODE),
    { argv: ['sh', '-c', 'echo hi'] });
});

test('command replaces the entrypoint and the default args', () => {
  assert.deepEqual(resolveImage({ image: 'busybox', command: ['sleep', '3600'] }, DIST, NODE), { argv: ['sleep', '3600'] });
  assert.deepEqual(resolveImage({ image: 'ambit/echo', command: ['sh', '-c'], args: ['exec sleep 1'] }, DIST, NODE),
    { argv: ['sh', '-c', 'exec sleep 1'] });
});

test('empty command and args lists count as unset', () => {
  assert.deepEqual(resolveImage({ image: 'alpine', command: [], args: [] }, DIST, NODE), { argv: ['sh'] });
  assert.deepEqual(resolveImage({ image: 'curlimages/curl:8.10.1' }, DIST, NODE), { argv: ['curl'] });
});

test('registry hosts, library/, tags and digests are ignored', () => {
  assert.equal(imageName('docker.io/library/busybox:1.36'), 'busybox');
  assert.equal(imageName('busybox:latest'), 'busybox');
  assert.equal(imageName('ghcr.io/ambit/echo@sha256:0123abcd'), 'ambit/echo');
  assert.equal(imageName('localhost:5000/ambit/waypoint:dev'), 'ambit/waypoint');
  assert.equal(imageName('localhost/ambit/echo'), 'ambit/echo');
  assert.equal(imageName('docker.io/curlimages/curl:8.10.1'), 'curlimages/curl');
  assert.deepEqual(resolveImage({ image: 'registry.example.com:443/ambit/echo:v2' }, DIST, NODE),
    { argv: [NODE, '/opt/ambit/dist/localcluster/images/echo-server.js'] });
});

test('an unknown image is an error listing the known images', () => {
  const r = resolveImage({ image: 'nginx:1.27' }, DIST, NODE);
  assert.ok('error' in r);
  assert.match(r.error, /^image "nginx:1\.27" is not known to the local cluster; known images: /);
  for (const e of IMAGE_TABLE) assert.ok(r.error.includes(e.image), e.image);
  assert.deepEqual(resolveImage({ image: '' }, DIST, NODE), { error: 'container has no image' });
});

test('the printable table names every image and what it runs', () => {
  const text = formatImageTable();
  assert.match(text, /^IMAGE\s+RUNS\s+WHAT$/m);
  assert.match(text, /^ambit\/istiod\s+node dist\/istiod\/main\.js\s+/m);
  assert.match(text, /^curlimages\/curl\s+curl\s+/m);
});
