// Unit tests for the list-then-watch loop with a scripted source: resume from the last
// resourceVersion, relist after 410 Gone (reporting what disappeared), retry a failed list.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { memoryLogger } from '../../pkg/log/logger';
import { startListWatch, type ListWatchSource } from './list-watch';

interface Obj { metadata: { name: string; resourceVersion?: string } }
type Step = { type: string; object: unknown } | { end: 'close' | 'gone' | 'error' };
const obj = (name: string, rv?: string): Obj => ({ metadata: { name, ...(rv ? { resourceVersion: rv } : {}) } });

async function until(what: string, cond: () => boolean): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (cond()) return;
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`timed out waiting for ${what}`);
}

function scripted(lists: Array<Obj[] | Error>, watches: Step[][]) {
  const watchedFrom: string[] = [];
  let listCalls = 0;
  const source: ListWatchSource<string> = {
    what: 'things',
    list: async () => {
      const next = lists[Math.min(listCalls, lists.length - 1)];
      listCalls++;
      if (next instanceof Error) throw next;
      return { items: next, resourceVersion: String(listCalls * 10) };
    },
    watch: async (rv, onEvent, onDone) => {
      watchedFrom.push(rv);
      const steps = watches.shift();
      let aborted = false;
      if (steps) {
        setImmediate(() => {
          for (const step of steps) {
            if (aborted) return;
            if ('end' in step) {
              onDone(step.end === 'close' ? null : step.end === 'gone' ? Object.assign(new Error('Gone'), { statusCode: 410 }) : new Error('reset'));
              return;
            }
            onEvent(step.type, step.object);
          }
        });
      }
      return { abort: () => { aborted = true; onDone(null); } };
    },
    convert: (o) => (o as Obj).metadata?.name,
    key: (name) => name,
  };
  return { source, watchedFrom, listCalls: () => listCalls };
}

test('resumes from the last resourceVersion, relists after 410 and reports what vanished', async () => {
  const { source, watchedFrom } = scripted([[obj('a'), obj('b')], [obj('b'), obj('d')]], [
    [{ type: 'ADDED', object: obj('c', '11') }, { type: 'DELETED', object: obj('a', '12') }, { type: 'ERROR', object: { code: 410 } }],
    [{ type: 'BOOKMARK', object: obj('', '25') }, { end: 'close' }],
  ]);
  const seen: string[] = [];
  const w = startListWatch(source, {
    synced: (items) => seen.push(`synced ${items.join(',')}`),
    added: (n) => seen.push(`added ${n}`),
    deleted: (n) => seen.push(`deleted ${n}`),
  }, memoryLogger(), { initialMs: 1, maxMs: 5 });
  try {
    await w.synced;
    await until('the third watch', () => watchedFrom.length >= 3);
    assert.deepEqual(seen, ['synced a,b', 'added c', 'deleted a', 'synced b,d', 'deleted c']);
    assert.deepEqual(watchedFrom, ['10', '20', '25']);
  } finally {
    await w.stop();
  }
});

test('a failed list is retried with backoff and logged', async () => {
  const { source, listCalls } = scripted([new Error('connection refused'), [obj('x')]], []);
  const logger = memoryLogger();
  const synced: string[][] = [];
  const w = startListWatch(source, { synced: (items) => synced.push([...items]) }, logger, { initialMs: 1, maxMs: 5 });
  try {
    await w.synced;
    assert.deepEqual(synced, [['x']]);
    assert.equal(listCalls(), 2);
    assert.ok(logger.lines.some((l) => /watch things: list failed: connection refused; retrying/.test(l)));
  } finally {
    await w.stop();
  }
});

test('stop ends a pending watch and no handler runs afterwards', async () => {
  const { source } = scripted([[obj('a')]], []);
  let calls = 0;
  const w = startListWatch(source, { synced: () => calls++, added: () => calls++ }, memoryLogger());
  await w.synced;
  await w.stop();
  assert.equal(calls, 1);
});
