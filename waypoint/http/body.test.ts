// The replayable request body: a retry gets the whole body again while it is under the retry
// limit, not beyond it; a mirror gets the complete body up to its own limit.

import assert from 'node:assert/strict';
import { PassThrough, Writable } from 'node:stream';
import { describe, it } from 'node:test';
import { ReplayableBody, RETRY_BUFFER_LIMIT } from './body';

function collector(): Writable & { text(): string; ended: boolean } {
  const chunks: Buffer[] = [];
  const w = new Writable({
    write(c: Buffer, _e, cb) { chunks.push(c); cb(); },
    final(cb) { (w as Writable & { ended: boolean }).ended = true; cb(); },
  }) as Writable & { text(): string; ended: boolean };
  w.ended = false;
  w.text = () => Buffer.concat(chunks).toString();
  return w;
}

const tick = (): Promise<void> => new Promise((r) => setImmediate(r));

describe('ReplayableBody', () => {
  it('replays a small body to a second attempt', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, false);
    const first = collector();
    body.attach(first);
    src.write('hello ');
    await tick();
    body.detach();
    const second = collector();
    body.attach(second);
    src.end('world');
    await tick();
    assert.equal(second.text(), 'hello world');
    assert.equal(second.ended, true);
    assert.equal(first.text(), 'hello ');
    assert.equal(body.replayable, true);
    assert.equal(body.bytes, 11);
  });

  it('is not replayable once more than the retry limit has been read', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, false);
    const sink = collector();
    body.attach(sink);
    src.end(Buffer.alloc(RETRY_BUFFER_LIMIT + 1, 1));
    await tick();
    assert.equal(body.replayable, false);
    assert.equal(sink.text().length, RETRY_BUFFER_LIMIT + 1);
  });

  it('hands a mirror the complete body, or nothing when there is no body to read', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, true);
    const got: (string | undefined)[] = [];
    body.onComplete((b) => { got.push(b?.toString()); });
    body.attach(collector());
    src.end('mirrored');
    await tick();
    assert.deepEqual(got, ['mirrored']);
    const none = new ReplayableBody(undefined, true);
    const empty: (string | undefined)[] = [];
    none.onComplete((b) => { empty.push(b?.toString()); });
    assert.deepEqual(empty, ['']);
  });

  it('does not read the source until an attempt is attached', async () => {
    const src = new PassThrough();
    const body = new ReplayableBody(src, false);
    src.write('waiting');
    await tick();
    assert.equal(body.bytes, 0);
    const sink = collector();
    body.attach(sink);
    await tick();
    assert.equal(sink.text(), 'waiting');
    src.end();
  });
});
