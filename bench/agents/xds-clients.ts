// The xds-scale scenario's simulated node agents: N DeltaXdsClients in one OS process (so decoding
// N initial syncs never stalls the bench driver's clock), each with its own ztunnel node id and
// token, subscribed to Address and Authorization as ztunnel is. Every Address and Authorization is
// decoded and validated before the ACK (pkg/api codecs, as ztunnel's store and policy handler do;
// a bad one NACKs the response whole). Every applied response becomes a JSON line in the events
// file (see xds-clients-protocol.ts), stamped just before the ACK is written, with its resource
// names when there are few (and the policies each Workload lists). Usage: `xds-clients --config
// FILE`; prints `READY <n>` once every client has started; on SIGTERM/SIGINT closes the streams
// and exits 0 (so a --cpu-prof profile gets written).

import { createWriteStream, readFileSync } from 'node:fs';
import { decodeAuthorization } from '../../pkg/api/authorization-codec';
import { authorizationResourceName } from '../../pkg/api/authorization-types';
import { decodeAddress } from '../../pkg/api/workload-codec';
import { describeError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { DeltaXdsClient } from '../../pkg/xds/client';
import { ADDRESS_TYPE_URL, AUTHORIZATION_TYPE_URL, type ApplyResult, type TypeHandler, type XdsResource } from '../../pkg/xds/types';
import { parseXdsClientsConfig, wallClockMs, type ClientEvent, type SimulatedNode, type XdsClientsConfig, type XdsTypeName } from './xds-clients-protocol';

const MAX_LOGGED_PROBLEMS = 40;
let problemsLogged = 0;

function stderrLogger(prefix: string): Logger {
  const say = (level: string, m: string): void => {
    if (problemsLogged++ < MAX_LOGGED_PROBLEMS) process.stderr.write(`xds-clients ${prefix} ${level}: ${m}\n`);
  };
  return { info: () => undefined, warn: (m) => say('warn', m), error: (m) => say('error', m) };
}

/** One resource checked as ztunnel would: refused with a reason, or accepted (a Workload with the policies it lists). */
type Checked = { readonly ok: true; readonly policies?: readonly string[] } | { readonly ok: false; readonly error: string };
type Check = (r: XdsResource) => Checked;

const checkAddress: Check = (r) => {
  const d = decodeAddress(r.resource.value);
  if (!d.ok) return { ok: false, error: `${r.name}: ${d.error}` };
  return d.address.kind === 'workload' ? { ok: true, policies: d.address.workload.authorizationPolicies } : { ok: true };
};

/** As ztunnel's policy handler: strict decode, and the resource name must be the policy's `<namespace>/<name>`. */
const checkAuthorization: Check = (r) => {
  const d = decodeAuthorization(r.resource.value);
  if (!d.ok) return { ok: false, error: `${r.name}: ${d.error}` };
  const expected = authorizationResourceName(d.value);
  return expected === r.name ? { ok: true } : { ok: false, error: `${r.name}: the resource name must be the policy's namespace/name (${expected})` };
};

interface Applied {
  readonly resources: readonly XdsResource[];
  readonly removed: readonly string[];
  /** Workload name → the policies it lists (decoded Workloads only). */
  readonly policies: ReadonlyMap<string, readonly string[]>;
}

/**
 * A handler that keeps name → version, checks every resource of a response with `check` (when
 * given) before applying any of it — one bad resource rejects the response — then reports it.
 */
function recordingHandler(typeUrl: string, type: XdsTypeName, check: Check | undefined,
  report: (type: XdsTypeName, applied: Applied, held: number) => void): TypeHandler {
  const versions = new Map<string, string>();
  return {
    typeUrl,
    versions: () => versions,
    apply: (update): ApplyResult => {
      const policies = new Map<string, readonly string[]>();
      if (check) {
        for (const r of update.resources) {
          const c = check(r);
          if (!c.ok) return { ok: false, error: c.error };
          if (c.policies) policies.set(r.name, c.policies);
        }
      }
      for (const r of update.resources) versions.set(r.name, r.version);
      for (const name of update.removed) versions.delete(name);
      report(type, { resources: update.resources, removed: update.removed, policies }, versions.size);
      return { ok: true };
    },
  };
}

function startClient(config: XdsClientsConfig, node: SimulatedNode, c: number, emit: (ev: ClientEvent) => void): DeltaXdsClient {
  // The handlers report through `client`, which exists by the time any response arrives.
  const ref: { client?: DeltaXdsClient } = {};
  const bytes = (): number => ref.client?.stats().bytesReceived ?? 0;
  let addressHeld = 0;
  const report = (type: XdsTypeName, update: Applied, held: number): void => {
    if (type === 'Address') addressHeld = held;
    const n = update.resources.length;
    const r = update.removed.length;
    const few = n + r <= config.namesLimit;
    emit({
      e: 'applied', c, t: wallClockMs(), type, n, r, held, bytes: bytes(),
      ...(few ? { names: update.resources.map((x) => x.name), removed: [...update.removed] } : {}),
      ...(few && update.policies.size > 0 ? { policies: Object.fromEntries(update.policies) } : {}),
    });
  };
  const client = new DeltaXdsClient({
    address: config.address,
    rootsPem: config.rootsPem,
    serverName: config.serverName,
    token: () => Promise.resolve(node.token),
    clusterId: config.clusterId,
    node: {
      id: node.nodeId,
      cluster: config.clusterId,
      metadata: { NAME: node.podName, NAMESPACE: node.podNamespace, INSTANCE_IPS: node.nodeIp, NODE_NAME: node.nodeName, CLUSTER_ID: config.clusterId },
    },
    handlers: [
      recordingHandler(ADDRESS_TYPE_URL, 'Address', config.decode ? checkAddress : undefined, report),
      recordingHandler(AUTHORIZATION_TYPE_URL, 'Authorization', config.decode ? checkAuthorization : undefined, report),
    ],
    logger: stderrLogger(node.nodeName),
  });
  ref.client = client;
  client.on('connected', () => emit({ e: 'connected', c, t: wallClockMs() }));
  client.on('disconnected', (reason) => emit({ e: 'disconnected', c, t: wallClockMs(), reason }));
  client.on('nack', (typeUrl, message) => emit({ e: 'nack', c, t: wallClockMs(), type: typeUrl, message: message.slice(0, 500) }));
  void client.synced.then(() => emit({ e: 'synced', c, t: wallClockMs(), held: addressHeld, bytes: bytes() }));
  return client;
}

function main(argv: readonly string[]): void {
  if (argv.length !== 2 || argv[0] !== '--config') {
    process.stderr.write('usage: xds-clients --config FILE\n');
    process.exit(2);
  }
  const config = parseXdsClientsConfig(JSON.parse(readFileSync(argv[1] as string, 'utf8')));
  if (typeof config === 'string') {
    process.stderr.write(`xds-clients: bad configuration: ${config}\n`);
    process.exit(2);
  }
  const out = createWriteStream(config.eventsFile, { flags: 'a' });
  const emit = (ev: ClientEvent): void => {
    out.write(`${JSON.stringify(ev)}\n`);
  };
  emit({ e: 'start', t: wallClockMs(), clients: config.clients.length });
  const clients = config.clients.map((node, c) => startClient(config, node, c, emit));
  for (const client of clients) client.start();
  process.stdout.write(`READY ${clients.length}\n`);

  let stopping = false;
  const stop = (): void => {
    if (stopping) return;
    stopping = true;
    const force = setTimeout(() => process.exit(1), 10_000);
    force.unref();
    Promise.all(clients.map((client) => client.close()))
      .then(() => new Promise<void>((resolve) => out.end(resolve)))
      .then(() => process.exit(0), (err: unknown) => {
        process.stderr.write(`xds-clients: closing failed: ${describeError(err)}\n`);
        process.exit(1);
      });
  };
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

main(process.argv.slice(2));
