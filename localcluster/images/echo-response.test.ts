// Pure rules of the echo sample app: directive parsing and clamping, target splitting, the reply.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { ECHO_LIMITS, buildReply, fillerPayload, parseDirectives, splitTarget } from './echo-response';
import { formatSource, portFromEnv } from './sample-app-env';

test('delay and size are clamped to their bounds', () => {
  const r = parseDirectives(new URLSearchParams('delay=999999&size=999999999'));
  assert.deepEqual(r, { ok: true, directives: { status: 200, delayMs: ECHO_LIMITS.maxDelayMs, sizeBytes: ECHO_LIMITS.maxSizeBytes } });
});

test('defaults when no directives are given', () => {
  assert.deepEqual(parseDirectives(new URLSearchParams('')), { ok: true, directives: { status: 200, delayMs: 0, sizeBytes: null } });
});

test('absolute-form targets are split into path and query', () => {
  const { path, search } = splitTarget('http://echo.shop:80/a/b?x=1');
  assert.equal(path, '/a/b');
  assert.equal(search.get('x'), '1');
});

test('the reply takes host from the Host header', () => {
  const reply = buildReply(
    { pod: 'p', namespace: 'n', version: 'v1', node: 'nd' },
    { method: 'GET', url: '/', headers: { host: 'echo' }, source: '198.18.1.5:40000', bodyBytes: 0 },
  );
  assert.equal(reply.host, 'echo');
  assert.equal(reply.source, '198.18.1.5:40000');
});

test('filler payload has the requested length', () => {
  assert.equal(fillerPayload(0).length, 0);
  assert.equal(fillerPayload(1000).length, 1000);
});

test('source addresses are printed as users write them', () => {
  assert.equal(formatSource('::ffff:198.18.1.7', 5000), '198.18.1.7:5000');
  assert.equal(formatSource('::1', 5000), '[::1]:5000');
});

test('PORT parsing', () => {
  assert.equal(portFromEnv(undefined, 8080), 8080);
  assert.equal(portFromEnv('9090', 8080), 9090);
  assert.match(String(portFromEnv('http', 8080)), /PORT must be a TCP port number/);
  assert.match(String(portFromEnv('70000', 8080)), /PORT must be a TCP port number/);
});
