// Protocol sniffing, table-driven: the HTTP/2 preface, HTTP/1.x request lines, TCP, and
// prefixes that need more bytes; and sniffStream putting every byte back for the next reader.

import assert from 'node:assert/strict';
import { PassThrough } from 'node:stream';
import { describe, it } from 'node:test';
import { MAX_SNIFF_BYTES, sniffProtocol, sniffStream } from './sniff';

describe('sniffProtocol', () => {
  const cases: [string, string | Buffer, string][] = [
    ['h2 preface', 'PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n', 'h2'],
    ['h2 preface with a frame after it', Buffer.concat([Buffer.from('PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n'), Buffer.from([0, 0, 0, 4])]), 'h2'],
    ['partial h2 preface', 'PRI * HTTP/2', 'more'],
    ['GET request line', 'GET /index.html HTTP/1.1\r\nHost: a\r\n', 'h1'],
    ['HTTP/1.0 request line', 'POST /x HTTP/1.0\r\n', 'h1'],
    ['custom method', 'PURGE /cache HTTP/1.1\r\n', 'h1'],
    ['request line without its end yet', 'GET /a/very/long/pa', 'more'],
    ['method alone', 'GET', 'more'],
    ['HTTP/2.0 in a request line is not HTTP/1', 'GET / HTTP/2.0\r\n', 'tcp'],
    ['TLS client hello', Buffer.from([0x16, 0x03, 0x01, 0x02, 0x00]), 'tcp'],
    ['binary', Buffer.from([0, 1, 2, 3]), 'tcp'],
    ['text that is not a request', 'hello there\n', 'tcp'],
    ['space first', ' GET / HTTP/1.1\r\n', 'tcp'],
    ['control characters in the target', 'GET /\u0001 HTTP/1.1', 'tcp'],
    ['overlong line without an end', `GET /${'a'.repeat(MAX_SNIFF_BYTES)}`, 'tcp'],
    ['nothing yet', '', 'more'],
  ];
  for (const [name, input, want] of cases) {
    it(name, () => assert.equal(sniffProtocol(typeof input === 'string' ? Buffer.from(input, 'latin1') : input), want));
  }
});

describe('sniffStream', () => {
  it('decides across chunks and leaves every byte for the next reader', async () => {
    const s = new PassThrough();
    const verdict = sniffStream(s, 10_000, 'tcp');
    s.write('GE');
    s.write('T / HTTP/1.1\r\nHost: a\r\n\r\n');
    assert.deepEqual(await verdict, { protocol: 'h1' });
    s.end();
    const chunks: Buffer[] = [];
    for await (const c of s) chunks.push(c as Buffer);
    assert.equal(Buffer.concat(chunks).toString(), 'GET / HTTP/1.1\r\nHost: a\r\n\r\n');
  });

  it('falls back when the stream ends before a verdict, handing back what it read', async () => {
    const s = new PassThrough();
    const verdict = sniffStream(s, 10_000, 'tcp');
    s.end('HEL');
    const r = await verdict;
    assert.equal(r.protocol, 'tcp');
    assert.equal(r.endedWith?.toString(), 'HEL');
  });

  it('reports a stream that closes empty', async () => {
    const s = new PassThrough();
    const verdict = sniffStream(s, 10_000, 'tcp');
    s.end();
    assert.deepEqual(await verdict, { protocol: 'closed' });
  });

  it('falls back after the timeout for a silent client (server-first protocols)', async () => {
    const s = new PassThrough();
    assert.deepEqual(await sniffStream(s, 1, 'tcp'), { protocol: 'tcp' });
    s.destroy();
  });
});
