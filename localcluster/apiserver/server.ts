// The local cluster's API server: loads (or creates) its credentials and state in a state
// directory, wires the store, registry, CRD sync, defaulting, authentication and watch hub into
// one HTTPS request handler, and listens on the given addresses. Also writes kubeconfigs.

import { createServer, Server } from 'node:https';
import type { Socket } from 'node:net';
import { join } from 'node:path';
import { dump as dumpYaml } from 'js-yaml';
import { API_AUDIENCE, Authenticator, boundObjectExists } from './auth';
import { loadOrCreateCredentials } from './credentials';
import { startCrdSync } from './crd-sync';
import { builtinDefaults } from './defaults';
import { createRequestHandler } from './http-handler';
import { buildOpenApiSet, OpenApiSet } from './openapi';
import { writeFileAtomic } from './persistence';
import { Registry } from './registry';
import { Store } from './store';
import type { TokenSigner } from './tokens';
import type { ResourceType } from './types';
import { DEFAULT_WATCH_SETTINGS, WatchHub, WatchSettings } from './watch-stream';

export interface ApiServerOptions {
  stateDir: string;
  /** Addresses to serve on; port 0 picks a free port (see `urls`). */
  listen: { host: string; port: number }[];
  /** Names and addresses added to the serving certificate (e.g. the cluster bridge address). */
  extraSans?: { dns?: string[]; ips?: string[] };
  /** Events kept for resuming watches (default 20000); older resourceVersions get 410. */
  historySize?: number;
  /** Watch tuning: bookmark interval, unsent-bytes cap, default timeout. */
  watch?: Partial<WatchSettings>;
  /** Access log to stdout; default from env AMBIT_APISERVER_LOG=1. */
  accessLog?: boolean;
}

export interface ApiServer {
  /** `https://host:port` per listen address, in the order given. */
  urls: string[];
  caPem: string;
  adminToken: string;
  store: Store;
  registry: Registry;
  signer: TokenSigner;
  /** Service account token issuer, also the audience the API server accepts tokens for. */
  issuer: string;
  /** Ends every open watch stream; clients resume from their last resourceVersion or relist. */
  closeWatches(): void;
  /** Stops listening, ends watches and open connections, and saves the state. */
  close(): Promise<void>;
}

export const STATE_FILE = 'state.json';
const BOOTSTRAP_NAMESPACES = ['default', 'kube-system', 'kube-public', 'kube-node-lease'];

/** The namespaces every cluster starts with. (`default` ServiceAccounts are the controllers' job.) */
function bootstrap(store: Store, registry: Registry): void {
  const nsType = registry.find('', 'namespaces') as ResourceType;
  for (const name of BOOTSTRAP_NAMESPACES) {
    if (!store.tryGet(nsType, undefined, name)) store.create(nsType, { apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
}

function listen(server: Server, host: string, port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      const addr = server.address();
      resolve(typeof addr === 'object' && addr ? addr.port : port);
    });
  });
}

export async function startApiServer(opts: ApiServerOptions): Promise<ApiServer> {
  const creds = await loadOrCreateCredentials(opts.stateDir, opts.extraSans);
  const store = await Store.open({ file: join(opts.stateDir, STATE_FILE), historySize: opts.historySize });
  const registry = new Registry();
  store.addAdmission((op, type, obj) => builtinDefaults(op, type, obj));
  let openapi: OpenApiSet | undefined;
  const stopCrdSync = startCrdSync(store, registry, () => { openapi = undefined; });
  bootstrap(store, registry);
  const watches = new WatchHub(store, { ...DEFAULT_WATCH_SETTINGS, ...(opts.watch ?? {}) });
  const auth = new Authenticator(creds.adminToken, creds.signer, boundObjectExists(store, registry));
  const handler = createRequestHandler({
    ctx: { store, registry, signer: creds.signer, auth },
    watches,
    openapi: () => (openapi ??= buildOpenApiSet(registry.all(), (t) => registry.isCustom(t))),
    accessLog: opts.accessLog ?? process.env.AMBIT_APISERVER_LOG === '1',
  });

  const servers: Server[] = [];
  const sockets = new Set<Socket>();
  const urls: string[] = [];
  try {
    for (const { host, port } of opts.listen) {
      const server = createServer({ cert: creds.serving.certPem, key: creds.serving.keyPem, minVersion: 'TLSv1.2' }, handler);
      server.headersTimeout = 30_000;
      server.requestTimeout = 120_000;
      server.maxHeadersCount = 200;
      server.on('connection', (s: Socket) => { sockets.add(s); s.once('close', () => sockets.delete(s)); });
      server.on('tlsClientError', (_err, s) => s.destroy());
      server.on('clientError', (_err, s) => {
        if (s.writable) s.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n');
        else s.destroy();
      });
      servers.push(server);
      const bound = await listen(server, host, port);
      urls.push(`https://${host.includes(':') ? `[${host}]` : host}:${bound}`);
    }
  } catch (err) {
    for (const s of servers) s.close();
    stopCrdSync();
    await store.flush();
    throw err;
  }

  let closing: Promise<void> | undefined;
  return {
    urls, caPem: creds.ca.certPem, adminToken: creds.adminToken, store, registry, signer: creds.signer, issuer: API_AUDIENCE,
    closeWatches: () => watches.closeAll(),
    close: () => (closing ??= (async () => {
      const stopped = Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
      watches.closeAll();
      for (const s of servers) s.closeIdleConnections();
      for (const s of sockets) s.destroy();
      await stopped;
      stopCrdSync();
        await store.flush();
    })()),
  };
}

/** Writes a kubeconfig (mode 0600) for `server` trusting `caPem` and authenticating with `token`. */
export async function writeKubeconfig(file: string, server: string, caPem: string, token: string, contextName: string): Promise<void> {
  const config = {
    apiVersion: 'v1', kind: 'Config', preferences: {},
    clusters: [{ name: contextName, cluster: { server, 'certificate-authority-data': Buffer.from(caPem).toString('base64') } }],
    users: [{ name: contextName, user: { token } }],
    contexts: [{ name: contextName, context: { cluster: contextName, user: contextName } }],
    'current-context': contextName,
  };
  await writeFileAtomic(file, dumpYaml(config, { lineWidth: -1 }));
}
