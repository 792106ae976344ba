// The `accepted` connect outcome: after the 200 the handler owns the CONNECT stream itself (no
// splice) — bytes both ways, half-close carried — and a handler that throws resets the stream.

import assert from 'node:assert/strict';
import type { Duplex } from 'node:stream';
import { test } from 'node:test';
import { collect, startHboneTestBed } from './test-support';
import type { ConnectHandler } from './types';

test('an accepted stream is handed to the handler, which answers on it directly', async (t) => {
  const seen: string[] = [];
  const onConnect: ConnectHandler = async (request) => ({
    kind: 'accepted',
    responseBaggage: 'service.name=waypoint',
    onStream: (stream: Duplex) => {
      seen.push(request.authority.host);
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      // Answers once the client has half-closed: proof the FIN arrives as the stream's end.
      stream.once('end', () => stream.end(`got ${Buffer.concat(chunks).toString()} for ${request.authority.host}:${request.authority.port}`));
    },
  });
  const bed = await startHboneTestBed({ onConnect });
  t.after(() => bed.dispose());
  const { stream, responseHeaders } = await bed.dial('198.19.0.10:9080');
  assert.equal(responseHeaders['baggage'], 'service.name=waypoint');
  const reply = collect(stream);
  stream.end('hello');
  assert.equal((await reply).toString(), 'got hello for 198.19.0.10:9080');
  assert.deepEqual(seen, ['198.19.0.10']);
  assert.equal(bed.server.stats().streamsConnected, 1);
});

test('a handler that throws while taking the stream resets it', async (t) => {
  const bed = await startHboneTestBed({
    onConnect: async () => ({ kind: 'accepted', onStream: () => { throw new Error('boom'); } }),
  });
  t.after(() => bed.dispose());
  const { stream } = await bed.dial('198.19.0.10:9080');
  stream.end('x');
  await assert.rejects(collect(stream));
});
