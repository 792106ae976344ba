// Re-checking open connections after a policy push, with real sockets on loopback: a connection
// the new policy denies is closed with a reset the client sees (TCP RST for plaintext and same-node
// clients; RST_STREAM on the tunnel, turned into a TCP RST by the client's ztunnel, for HBONE),
// its access-log line says deny, the policy and why, it counts as decision="deny" phase="recheck",
// and connections the policy still allows keep working. Also: an app that resets its connection
// behind an HBONE tunnel resets the remote client, never a clean end.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Socket } from 'node:net';
import { policy, rule } from '../policy/test-policies';
import type { Destination } from './context';
import { CLIENT_IP, LOCAL_IP, OUTSIDE_IP, SERVER_IP, metricSum, openClient, startTwoNodes, until, type OpenClient, type TestNode, type TwoNodes } from './test-nodes';

const DECISIONS = 'ztunnel_authorization_decisions_total';

async function withNodes(fn: (mesh: TwoNodes) => Promise<void>): Promise<void> {
  const mesh = await startTwoNodes();
  try {
    await fn(mesh);
  } finally {
    await mesh.close();
  }
}

/** An open connection through `handler` to `target` from `from`, past its first echo. */
async function openThrough(mesh: TwoNodes, handler: (s: Socket, d: Destination) => void, target: string, from: string): Promise<OpenClient> {
  const port = await mesh.capture(handler, { address: target, port: mesh.appPort });
  const client = await openClient(port, from);
  client.socket.write('ping');
  await until('the first echo', () => client.received().endsWith('ping'));
  return client;
}

function inboundLines(node: TestNode): string[] {
  return node.logger.lines.filter((l) => l.includes('connection complete') && l.includes('direction="inbound"'));
}

const CLOSED_BY_DENY = / authz\.result="deny" authz\.policy="shop\/deny-outside" error="no longer allowed by authorization policy: denied by DENY policy shop\/deny-outside/;

test('a policy push resets the open connections it denies on every inbound path and keeps the others', () =>
  withNodes(async (mesh) => {
    const outbound = (s: Socket, d: Destination): void => void mesh.a.proxies.handleOutbound(s, d);
    const plaintext = (s: Socket, d: Destination): void => void mesh.b.proxies.handleInboundPlaintext(s, d);
    const hbone = await openThrough(mesh, outbound, SERVER_IP, CLIENT_IP);
    const sameNode = await openThrough(mesh, outbound, LOCAL_IP, CLIENT_IP);
    const plain = await openThrough(mesh, plaintext, SERVER_IP, OUTSIDE_IP);
    const kept = await openThrough(mesh, plaintext, SERVER_IP, LOCAL_IP);
    try {
      assert.deepEqual(mesh.b.proxies.reauthorize(), { checked: 3, closed: 0 }, 'no policy yet: nothing closes');

      // Deny the client workload and the outside address; the connection from LOCAL_IP stays allowed.
      mesh.setPolicies([policy('DENY', [rule([{ sourceIps: [CLIENT_IP, OUTSIDE_IP] }])], { name: 'deny-outside' })]);
      assert.deepEqual(mesh.b.proxies.reauthorize(), { checked: 3, closed: 2 });
      assert.deepEqual(mesh.a.proxies.reauthorize(), { checked: 1, closed: 1 });
      assert.equal(await hbone.ended, 'reset', 'HBONE: RST_STREAM reaches the client as a TCP reset');
      assert.equal(await sameNode.ended, 'reset');
      assert.equal(await plain.ended, 'reset');

      kept.socket.write('still');
      await until('the kept connection to echo', () => kept.received().endsWith('pingstill'));

      await until('node-b to log both closes', () => inboundLines(mesh.b).length === 2);
      for (const line of inboundLines(mesh.b)) assert.match(line, CLOSED_BY_DENY);
      await until('node-a to log the same-node close', () => inboundLines(mesh.a).length === 1);
      assert.match(inboundLines(mesh.a)[0]!, CLOSED_BY_DENY);
      assert.equal(metricSum(mesh.b.metrics, DECISIONS, { decision: 'deny', policy: 'shop/deny-outside', destination_workload_namespace: 'shop', phase: 'recheck' }), 2);
      assert.equal(metricSum(mesh.a.metrics, DECISIONS, { decision: 'deny', policy: 'shop/deny-outside', phase: 'recheck' }), 1);
      // The client's node sees the tunnel reset, not a clean end.
      await until('node-a to log the tunnel', () => mesh.a.logger.lines.some((l) => l.includes('direction="outbound"') && l.includes(`dst.workload=server`)));
      assert.match(mesh.a.logger.lines.find((l) => l.includes('direction="outbound"') && l.includes('dst.workload=server'))!, /error="[^"]*NGHTTP2_INTERNAL_ERROR"/);
      assert.deepEqual(mesh.b.proxies.stats(), { activeOutbound: 0, activeInbound: 1 });
    } finally {
      for (const c of [hbone, sameNode, plain, kept]) c.socket.destroy();
    }
  }));

test('an app that resets its connection behind an HBONE tunnel resets the remote client', () =>
  withNodes(async (mesh) => {
    const client = await openThrough(mesh, (s, d) => void mesh.a.proxies.handleOutbound(s, d), SERVER_IP, CLIENT_IP);
    try {
      client.socket.write('RESET');
      assert.equal(await client.ended, 'reset');
    } finally {
      client.socket.destroy();
    }
  }));
