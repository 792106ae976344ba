// HBONE on loopback with real mesh certificates: bulk bytes both ways (checked by SHA-256),
// 1 000 concurrent streams over pooled connections, half-close both ways, and a reset stream
// that leaves its siblings on the same connection untouched.
import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { HbonePool } from '../../pkg/hbone/pool';
import { collect, hashOf, startHboneTestBed, startTcpTarget, type HboneTestBed, type TcpTarget } from '../../pkg/hbone/test-support';

let bed: HboneTestBed;
let echo: TcpTarget;
let hash: TcpTarget;
let greeter: TcpTarget;

before(async () => {
  bed = await startHboneTestBed();
  echo = await startTcpTarget('echo');
  hash = await startTcpTarget('hash');
  greeter = await startTcpTarget('greeter');
});

after(async () => {
  await bed.dispose();
  echo.close();
  hash.close();
  greeter.close();
});

const MiB = 1024 * 1024;

/** 100 MiB of data made from one random MiB, each copy stamped with its index (order matters). */
function bulk(totalMiB: number): { source: () => Readable; sha256: string } {
  const block = randomBytes(MiB);
  const chunk = (i: number): Buffer => {
    const copy = Buffer.from(block);
    copy.writeUInt32BE(i, 0);
    return copy;
  };
  const digest = createHash('sha256');
  for (let i = 0; i < totalMiB; i++) digest.update(chunk(i));
  return {
    source: () => Readable.from((function* () {
      for (let i = 0; i < totalMiB; i++) yield chunk(i);
    })()),
    sha256: digest.digest('hex'),
  };
}

test('100 MiB upload through the tunnel arrives intact (SHA-256 from the target)', { timeout: 120_000 }, async () => {
  const data = bulk(100);
  const { stream, responseHeaders } = await bed.dial(`127.0.0.1:${hash.port}`);
  assert.equal(responseHeaders['baggage'], 'k8s.namespace.name=shop,service.name=reviews');
  const reply = collect(stream);
  data.source().pipe(stream);
  assert.equal((await reply).toString(), data.sha256);
});

test('100 MiB download through the tunnel arrives intact (SHA-256 at the client)', { timeout: 120_000 }, async () => {
  const data = bulk(100);
  const { stream } = await bed.dial(`127.0.0.1:${echo.port}`);
  // Echo: what goes up comes back down; the client hashes the download while uploading.
  const downloaded = hashOf(stream);
  data.source().pipe(stream);
  assert.equal(await downloaded, data.sha256);
});

test('1 000 concurrent streams share pooled connections and all bytes come back right', { timeout: 120_000 }, async () => {
  const pool = new HbonePool();
  try {
    const results = await Promise.all(
      Array.from({ length: 1000 }, async (_, i) => {
        const payload = Buffer.from(`stream ${i} `.repeat(50 + (i % 200)));
        const { stream } = await pool.connect(bed.request(`127.0.0.1:${echo.port}`));
        const back = collect(stream);
        stream.end(payload);
        return (await back).equals(payload);
      }),
    );
    assert.equal(results.filter(Boolean).length, 1000);
    const opened = pool.stats().connectionsOpened;
    assert.ok(opened >= 10 && opened <= 12, `opened ${opened} connections for 1000 streams at 100 per connection`);
  } finally {
    await pool.close();
  }
});

test('bulk echo on 10 streams of one connection at once never stalls (both peers writing)', { timeout: 60_000 }, async () => {
  const pool = new HbonePool({ pingIntervalMs: 2000, pingTimeoutMs: 5000 });
  try {
    const data = bulk(8);
    const digests = await Promise.all(
      Array.from({ length: 10 }, async () => {
        const { stream } = await pool.connect(bed.request(`127.0.0.1:${echo.port}`));
        const digest = hashOf(stream);
        data.source().pipe(stream);
        return digest;
      }),
    );
    assert.deepEqual(digests, Array.from({ length: 10 }, () => data.sha256));
    assert.equal(pool.stats().connectionsOpened, 1);
  } finally {
    await pool.close();
  }
});

test('half-close: the client ends its side and still receives the reply', async () => {
  const { stream } = await bed.dial(`127.0.0.1:${hash.port}`);
  const reply = collect(stream);
  stream.end('some request bytes');
  assert.equal((await reply).toString(), createHash('sha256').update('some request bytes').digest('hex'));
});

test('half-close the other way: the target ends first and still receives the client bytes', async () => {
  const { stream } = await bed.dial(`127.0.0.1:${greeter.port}`);
  const greeting = await collect(stream);
  assert.equal(greeting.toString(), 'hello\n');
  while (greeter.received.length === 0) await new Promise((r) => setTimeout(r, 5));
  stream.end('written after the target finished');
  assert.equal((await greeter.received[0]!).toString(), 'written after the target finished');
});

test('resetting one stream mid-transfer leaves its 9 siblings on the same connection intact', { timeout: 60_000 }, async () => {
  const pool = new HbonePool();
  try {
    const streams = await Promise.all(Array.from({ length: 10 }, () => pool.connect(bed.request(`127.0.0.1:${echo.port}`))));
    assert.equal(pool.stats().connectionsOpened, 1);
    const outcomes = streams.map(({ stream }, i) => {
      const chunk = Buffer.alloc(64 * 1024, i);
      const received = collect(stream);
      return { stream, chunk, received };
    });
    // Half of the data on every stream first.
    for (const { stream, chunk } of outcomes) for (let k = 0; k < 8; k++) stream.write(chunk);
    const victim = outcomes[3]!;
    victim.received.catch(() => undefined);
    victim.stream.destroy();
    for (const [i, { stream, chunk }] of outcomes.entries()) {
      if (i === 3) continue;
      for (let k = 0; k < 8; k++) stream.write(chunk);
      stream.end();
    }
    for (const [i, { chunk, received }] of outcomes.entries()) {
      if (i === 3) continue;
      const got = await received;
      assert.equal(got.length, 16 * chunk.length, `stream ${i}`);
      assert.ok(got.every((b) => b === i), `stream ${i} bytes`);
    }
    await assert.rejects(victim.received);
    assert.equal(pool.stats().connectionsOpened, 1);
    assert.equal(pool.stats().connections, 1);
  } finally {
    await pool.close();
  }
});
