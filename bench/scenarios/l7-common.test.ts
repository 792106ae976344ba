import { test } from 'node:test';
import assert from 'node:assert/strict';
import { packagesFor } from '../harness/tools';
import { L7_TOOLS, l7Paths, l7TopologyNote } from './l7-common';

test('all five paths by default; --without-waypoint leaves only the waypoint out', () => {
  assert.deepEqual(l7Paths(new Set()), ['direct', 'ztunnel', 'waypoint', 'haproxy', 'haproxy-tls']);
  assert.deepEqual(l7Paths(new Set(['without-waypoint'])), ['direct', 'ztunnel', 'haproxy', 'haproxy-tls']);
});

test('a machine without HAProxy is told to install the Debian package haproxy', () => {
  assert.deepEqual(packagesFor(L7_TOOLS.filter((t) => t.bin === 'haproxy' || t.bin === 'h2load')), ['nghttp2-client', 'haproxy']);
});

test('the topology note names the proxy core, or says there is no pinning', () => {
  assert.match(l7TopologyNote({ proxy: 0, load: 1 }, 3, -10).pinning, /the waypoint, HAProxy, both stunnels\) pinned to core 0; server pods and load generators to core 1/);
  assert.equal(l7TopologyNote({}, 1, undefined).pinning, 'no pinning (fewer than 2 cores)');
  assert.equal(l7TopologyNote({}, 1, undefined).nice, undefined);
});
