// Upstream connection pools over loopback "tunnels": HTTP/1.1 keep-alive reuse, retirement after
// maxRequestsPerConnection, maxConnections queueing, idle close; one HTTP/2 session per endpoint
// shared by concurrent requests and re-dialled after it closes; a dial failure is a connect failure.

import assert from 'node:assert/strict';
import type { IncomingMessage } from 'node:http';
import { after, before, describe, it } from 'node:test';
import { DEFAULT_CONNECTION_POOL, type ConnectionPool } from '../../pkg/api/waypoint-types';
import { silentLogger } from '../../pkg/log/logger';
import { loopbackDialer, makeBackend, makeEndpoint, startBackend, type TestBackend } from '../http/test-support';
import type { Endpoint } from '../state/view';
import { sendAttempt, type AttemptResult } from './attempt';
import { BackendState } from './backend-state';

const noBody = { attach: (sink: NodeJS.WritableStream): void => { sink.end(); }, detach: (): void => undefined };

function pool(extra: Partial<ConnectionPool>): ConnectionPool {
  return { ...DEFAULT_CONNECTION_POOL, ...extra };
}

async function fetch(state: BackendState, ep: Endpoint, protocol: 'h1' | 'h2', path = '/'): Promise<string> {
  const r: AttemptResult = await sendAttempt({
    state, endpoint: ep, protocol, body: noBody, signal: new AbortController().signal,
    request: { method: 'GET', path, authority: 'svc:80', headers: {} },
  });
  if (r.kind !== 'response') return `failure ${r.outcome}`;
  const chunks: Buffer[] = [];
  for await (const c of r.response.body as IncomingMessage) chunks.push(c as Buffer);
  return `${r.response.status} ${Buffer.concat(chunks).toString()}`;
}

describe('upstream pools', () => {
  let h1: TestBackend;
  let h2: TestBackend;
  const states: BackendState[] = [];
  const stateFor = (p: ConnectionPool, idleMs?: number): { state: BackendState; dial: ReturnType<typeof loopbackDialer> } => {
    const dial = loopbackDialer();
    const state = new BackendState(makeBackend('b', { pool: p }), { dial, logger: silentLogger, ...(idleMs !== undefined ? { idleMs } : {}) }, 'f');
    states.push(state);
    return { state, dial };
  };

  before(async () => {
    h1 = await startBackend('h1');
    h2 = await startBackend('h2', { h2: true });
  });

  after(async () => {
    for (const s of states) s.destroy();
    await h1.close();
    await h2.close();
  });

  it('reuses an HTTP/1.1 tunnel for sequential requests', async () => {
    const { state, dial } = stateFor(DEFAULT_CONNECTION_POOL);
    const ep = makeEndpoint('h1', h1.port);
    assert.equal(await fetch(state, ep, 'h1', '/1'), '200 h1 GET /1');
    assert.equal(await fetch(state, ep, 'h1', '/2'), '200 h1 GET /2');
    assert.equal(dial.dials, 1);
  });

  it('retires an HTTP/1.1 tunnel after maxRequestsPerConnection requests', async () => {
    const { state, dial } = stateFor(pool({ maxRequestsPerConnection: 1 }));
    const ep = makeEndpoint('h1', h1.port);
    await fetch(state, ep, 'h1');
    await fetch(state, ep, 'h1');
    assert.equal(dial.dials, 2);
  });

  it('queues requests beyond maxConnections onto the one tunnel', async () => {
    const { state, dial } = stateFor(pool({ maxConnections: 1 }));
    const ep = makeEndpoint('h1', h1.port);
    const replies = await Promise.all([fetch(state, ep, 'h1', '/a'), fetch(state, ep, 'h1', '/b'), fetch(state, ep, 'h1', '/c')]);
    assert.deepEqual(replies, ['200 h1 GET /a', '200 h1 GET /b', '200 h1 GET /c']);
    assert.equal(dial.dials, 1);
  });

  it('refuses a request that would queue beyond maxPendingRequests', async () => {
    const { state } = stateFor(pool({ maxConnections: 1, maxPendingRequests: 1 }));
    const ep = makeEndpoint('h1', h1.port);
    const replies = await Promise.all([fetch(state, ep, 'h1'), fetch(state, ep, 'h1'), fetch(state, ep, 'h1')]);
    assert.ok(replies.includes('failure overflow'), replies.join());
  });

  it('closes idle HTTP/1.1 tunnels', async () => {
    const { state, dial } = stateFor(DEFAULT_CONNECTION_POOL, 10);
    const ep = makeEndpoint('h1', h1.port);
    await fetch(state, ep, 'h1');
    while (Object.keys(state.h1.freeSockets).length > 0) await new Promise((r) => setTimeout(r, 5));
    await fetch(state, ep, 'h1');
    assert.equal(dial.dials, 2);
  });

  it('multiplexes concurrent HTTP/2 requests on one session per endpoint and opens a new one when it retires', async () => {
    const { state, dial } = stateFor(pool({ maxRequestsPerConnection: 5 }));
    const ep = makeEndpoint('h2', h2.port);
    const replies = await Promise.all(Array.from({ length: 5 }, (_, i) => fetch(state, ep, 'h2', `/${i}`)));
    assert.deepEqual(replies, ['/0', '/1', '/2', '/3', '/4'].map((p) => `200 h2 GET ${p}`));
    assert.equal(dial.dials, 1);
    assert.equal(await fetch(state, ep, 'h2', '/again'), '200 h2 GET /again');
    assert.equal(dial.dials, 2);
  });

  it('reports a dial failure as a connect failure', async () => {
    const { state } = stateFor(DEFAULT_CONNECTION_POOL);
    const dead = makeEndpoint('dead', 1);
    assert.equal(await fetch(state, dead, 'h1'), 'failure connect-failure');
    assert.equal(await fetch(state, dead, 'h2'), 'failure connect-failure');
  });
});
