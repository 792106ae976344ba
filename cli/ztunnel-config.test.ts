// `ambit ztunnel-config` end to end against a real ztunnel admin server on loopback (--admin-url),
// through the `ambit` binary too (exit codes, one-line errors); the child-process fetch used for
// node network namespaces, run here without a namespace; and "the local cluster is not running".

import { after, before, test } from 'node:test';
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryLogger } from '../pkg/log/logger';
import type { RunningHttpServer } from '../ztunnel/admin/http';
import { startAdminServer } from '../ztunnel/admin/servers';
import { UsageError } from './args';
import { fetchAdminUrl, fetchWithCommand } from './ztunnel-admin';
import { ztunnelConfigCommand } from './ztunnel-config';
import { agentFixture, type AgentFixture } from './ztunnel-config-fixture';
import { formatConfig } from './ztunnel-config-format';

const CLI = join(__dirname, 'main.js');

let fixture: AgentFixture;
let admin: RunningHttpServer;
let adminUrl: string;
let other: Server;
let otherUrl: string;
let closedUrl: string;

interface Run { code: number; stdout: string; stderr: string }

function ambit(args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(process.execPath, [CLI, ...args], { env: { ...process.env, ...env } }, (err, stdout, stderr) => {
      resolve({ code: err ? Number((err as { code?: unknown }).code ?? 1) : 0, stdout, stderr });
    });
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

before(async () => {
  fixture = await agentFixture();
  admin = await startAdminServer({ listen: { host: '127.0.0.1', port: 0 }, sources: fixture.sources, onQuit: () => undefined, logger: memoryLogger() });
  adminUrl = `http://127.0.0.1:${admin.address.port}`;
  // Answers /config_dump with something that is not a dump; anything else with 404; /hang never.
  other = createServer((req, res) => {
    if (req.url === '/hang/config_dump') return;
    if (req.url === '/config_dump') res.end('<html>login required</html>');
    else { res.statusCode = 404; res.end('no such endpoint\nsecond line'); }
  });
  otherUrl = await listen(other);
  const gone = createServer();
  closedUrl = await listen(gone);
  await new Promise((r) => gone.close(r));
});

after(async () => {
  other.closeAllConnections();
  await Promise.all([admin.close(), new Promise((r) => other.close(r))]);
  fixture.close();
});

test('--admin-url: the tables of a real agent', async () => {
  let out = '';
  await ztunnelConfigCommand(['workloads', '--admin-url', adminUrl], { write: (t) => { out += t; } });
  assert.equal(out, formatConfig(fixture.dump(), 'workloads', 'table'));
  assert.match(out, /^shop +cart-1 +198\.18\.1\.5 +node1 +waypoint +HBONE +HEALTHY +spiffe:\/\/cluster\.local\/ns\/shop\/sa\/cart$/m);
});

test('the ambit binary: -o json prints the section as the agent sent it, exit 0', async () => {
  const r = await ambit(['ztunnel-config', 'services', '-o', 'json', '--admin-url', adminUrl]);
  assert.equal(r.code, 0, r.stderr);
  assert.deepEqual(JSON.parse(r.stdout), fixture.dump().services);
  const policies = await ambit(['ztunnel-config', 'policy', '--admin-url', `${adminUrl}/`]);
  assert.match(policies.stdout, /^shop +allow-web +ALLOW +WORKLOAD_SELECTOR +no +1 rule: namespaces, ports$/m);
});

test('the ambit binary: an agent that does not answer is one line on stderr and exit 1', async () => {
  const r = await ambit(['ztunnel-config', 'workloads', '--admin-url', closedUrl]);
  assert.equal(r.code, 1);
  assert.equal(r.stdout, '');
  assert.match(r.stderr, new RegExp(`^ambit: the node agent at ${closedUrl} did not answer: connect ECONNREFUSED 127\\.0\\.0\\.1:\\d+\\n$`));
});

test('the ambit binary: a bad argument is a usage error, exit 2', async () => {
  const r = await ambit(['ztunnel-config', 'pods']);
  assert.equal(r.code, 2);
  assert.match(r.stderr, /^ambit: unknown section 'pods'/);
});

test('a non-JSON answer and an HTTP error are clear one-line errors', async () => {
  await assert.rejects(ztunnelConfigCommand(['all', '--admin-url', otherUrl], { write: () => assert.fail('no output expected') }),
    { message: new RegExp(`^the node agent at ${otherUrl} answered with something that is not JSON \\(<html>login required</html>\\)`) });
  await assert.rejects(fetchAdminUrl(new URL(`${otherUrl}/elsewhere/config_dump`)),
    { message: `the node agent at ${otherUrl} answered HTTP 404 for /elsewhere/config_dump: no such endpoint` });
  await assert.rejects(fetchAdminUrl(new URL(`${otherUrl}/hang/config_dump`), 200),
    { code: 'Timeout', message: `the node agent at ${otherUrl} did not answer: no answer within 200 ms` });
});

test('the child-process fetch (what runs under ip netns exec) returns the dump or says why not', async () => {
  const got = await fetchWithCommand([], `${adminUrl}/config_dump`, 'the agent');
  assert.deepEqual(Object.keys(JSON.parse(got.body) as object), ['workloads', 'services', 'policies', 'certificates', 'config', 'capture', 'xds', 'version']);
  assert.equal(got.from, 'the agent');
  await assert.rejects(fetchWithCommand([], `${closedUrl}/config_dump`, 'the agent'), { code: 'Unavailable', message: /^the agent did not answer: connect ECONNREFUSED 127\.0\.0\.1:\d+$/ });
  await assert.rejects(fetchWithCommand([], `${otherUrl}/x/config_dump`, 'the agent'), { message: 'the agent answered HTTP 404: no such endpoint' });
  await assert.rejects(fetchWithCommand([], `${otherUrl}/hang/config_dump`, 'the agent', 200), { code: 'Timeout', message: 'the agent did not answer: no answer within 200 ms' });
  await assert.rejects(fetchWithCommand(['/nonexistent/prefix-command'], `${adminUrl}/config_dump`, 'the agent'), { message: /^cannot run \/nonexistent\/prefix-command: / });
});

test('without --admin-url, a local cluster that is not running is named with what to do', async () => {
  const root = await mkdtemp(join(tmpdir(), 'ambit-zc-'));
  try {
    const r = await ambit(['ztunnel-config', 'workloads', '--cluster', 'nocl'], { AMBIT_STATE_ROOT: root });
    assert.equal(r.code, 2);
    assert.equal(r.stderr, "ambit: local cluster 'nocl' is not running: start it with 'ambit local up', or name an agent with --admin-url\n");
    const saved = process.env.AMBIT_STATE_ROOT;
    process.env.AMBIT_STATE_ROOT = root;
    try {
      await assert.rejects(ztunnelConfigCommand(['certificates'], { env: { AMBIT_CLUSTER: 'other' } }), (err: Error) => err instanceof UsageError && /local cluster 'other' is not running/.test(err.message));
    } finally {
      if (saved === undefined) delete process.env.AMBIT_STATE_ROOT;
      else process.env.AMBIT_STATE_ROOT = saved;
    }
  } finally {
    await rm(root, { recursive: true, force: true });
  }
});
