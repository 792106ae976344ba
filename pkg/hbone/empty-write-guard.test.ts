// node:http over HBONE streams: without the guard, Node's HTTP/2 empty-writev bug hands the peer
// freed memory in place of the first bytes of a response or request; with it the bytes arrive
// intact — a response written on an accepted server stream, a POST written on a pool stream.

import assert from 'node:assert/strict';
import { createServer, request } from 'node:http';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { guardEmptyWrites } from './empty-write-guard';
import { collect, startHboneTestBed } from './test-support';

test('node:http answers intact on an accepted stream', async (t) => {
  const app = createServer((req, res) => {
    req.resume();
    res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 });
    res.end('hello');
  });
  const bed = await startHboneTestBed({ onConnect: async () => ({ kind: 'accepted', onStream: (s: Duplex) => app.emit('connection', s) }) });
  t.after(() => bed.dispose());
  for (let i = 0; i < 3; i++) {
    const { stream } = await bed.dial('198.19.0.10:9080');
    const reply = collect(stream);
    stream.write('GET / HTTP/1.1\r\nhost: reviews\r\nconnection: close\r\n\r\n');
    const text = (await reply).toString();
    assert.match(text, /^HTTP\/1\.1 200 OK\r\ncontent-type: text\/plain\r\n/);
    assert.ok(text.endsWith('\r\n\r\nhello'));
  }
});

test('node:http sends a request body intact on a guarded pool stream', async (t) => {
  const received: Promise<Buffer>[] = [];
  const bed = await startHboneTestBed({
    onConnect: async () => ({
      kind: 'accepted',
      onStream: (s: Duplex) => {
        received.push(collect(s));
        s.end();
      },
    }),
  });
  t.after(() => bed.dispose());
  const { stream } = await bed.dial('198.19.0.10:9080');
  const req = request({ createConnection: () => guardEmptyWrites(stream), method: 'POST', path: '/x', headers: { host: 'reviews', 'content-length': 5 } });
  req.on('error', () => undefined);
  req.end('hello', () => stream.end());
  const text = (await (received[0] ?? assert.fail('no stream'))).toString();
  assert.match(text, /^POST \/x HTTP\/1\.1\r\nhost: reviews\r\n/);
  assert.ok(text.endsWith('\r\n\r\nhello'));
});

test('guarding is idempotent and leaves streams without writev alone', () => {
  const plain = { _writev: null } as unknown as Duplex;
  assert.equal(guardEmptyWrites(plain), plain);
});
