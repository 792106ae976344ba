// Test support for code that talks to the API server: start one on 127.0.0.1:0 in a temporary
// state directory, make raw HTTPS requests and watches against it, and load the ESM-only
// @kubernetes/client-node from CommonJS with a KubeConfig pointing at the server.

import { request } from 'node:https';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ApiServer, ApiServerOptions, startApiServer } from './server';

export type ClientNode = typeof import('@kubernetes/client-node');

export interface TestApiServer extends ApiServer {
  stateDir: string;
  /** Closes the server and removes its state directory. */
  dispose(): Promise<void>;
}

export interface HttpReply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  body: unknown;
}

export async function startTestApiServer(opts: Partial<ApiServerOptions> = {}): Promise<TestApiServer> {
  const stateDir = opts.stateDir ?? await mkdtemp(join(tmpdir(), 'ambit-apiserver-'));
  const server = await startApiServer({ listen: [{ host: '127.0.0.1', port: 0 }], ...opts, stateDir });
  return Object.assign(server, {
    stateDir,
    dispose: async () => {
      await server.close();
      await rm(stateDir, { recursive: true, force: true });
    },
  });
}

export interface RequestOptions {
  body?: unknown;
  /** Sent as is when a string or Buffer, else as JSON. */
  contentType?: string;
  /** Bearer token; defaults to the admin token, '' sends none. */
  token?: string;
  headers?: Record<string, string>;
}

/** One HTTPS request to the server; never throws on HTTP error statuses. */
export function apiRequest(server: ApiServer, method: string, path: string, opts: RequestOptions = {}): Promise<HttpReply> {
  const url = new URL(path, server.urls[0]);
  const payload = opts.body === undefined ? undefined
    : typeof opts.body === 'string' || Buffer.isBuffer(opts.body) ? Buffer.from(opts.body) : Buffer.from(JSON.stringify(opts.body));
  const token = opts.token ?? server.adminToken;
  const headers: Record<string, string> = { Accept: 'application/json', ...(opts.headers ?? {}) };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (payload) {
    headers['Content-Type'] = opts.contentType ?? 'application/json';
    headers['Content-Length'] = String(payload.length);
  }
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers, ca: server.caPem }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        let body: unknown;
        try { body = JSON.parse(text); } catch { body = undefined; }
        resolve({ status: res.statusCode ?? 0, headers: res.headers, text, body });
      });
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(payload);
  });
}

export interface WatchEvent {
  type: string;
  object: { metadata?: { name?: string; resourceVersion?: string; annotations?: Record<string, string> }; code?: number; [k: string]: unknown };
}

/** Opens a watch and collects events until `count` arrived, the stream ends, or `stop` is called. */
export function rawWatch(server: ApiServer, path: string, count: number): { events: Promise<WatchEvent[]>; stop: () => void } {
  const url = new URL(path, server.urls[0]);
  url.searchParams.set('watch', 'true');
  const events: WatchEvent[] = [];
  let stop = (): void => undefined;
  const done = new Promise<WatchEvent[]>((resolve, reject) => {
    const req = request(url, { headers: { Authorization: `Bearer ${server.adminToken}` }, ca: server.caPem }, (res) => {
      let buffer = '';
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buffer += chunk;
        let nl: number;
        while ((nl = buffer.indexOf('\n')) >= 0) {
          events.push(JSON.parse(buffer.slice(0, nl)) as WatchEvent);
          buffer = buffer.slice(nl + 1);
          if (events.length >= count) { req.destroy(); resolve(events); return; }
        }
      });
      res.on('end', () => resolve(events));
      res.on('close', () => resolve(events));
    });
    stop = () => { req.destroy(); resolve(events); };
    req.on('error', (err) => (events.length ? resolve(events) : reject(err)));
    req.end();
  });
  return { events: done, stop: () => stop() };
}

/** Imports @kubernetes/client-node (ESM-only) from CommonJS code. */
export function loadClientNode(): Promise<ClientNode> {
  const dynamicImport = new Function('specifier', 'return import(specifier)') as (s: string) => Promise<ClientNode>;
  return dynamicImport('@kubernetes/client-node');
}

/** A client-node KubeConfig for the server, as the admin or with the given token. */
export function kubeConfigFor(k8s: ClientNode, server: ApiServer, token = server.adminToken): InstanceType<ClientNode['KubeConfig']> {
  const kc = new k8s.KubeConfig();
  kc.loadFromOptions({
    clusters: [{ name: 'test', server: server.urls[0], caData: Buffer.from(server.caPem).toString('base64'), skipTLSVerify: false }],
    users: [{ name: 'test', token }],
    contexts: [{ name: 'test', cluster: 'test', user: 'test' }],
    currentContext: 'test',
  });
  return kc;
}

/** Polls `check` until it returns true (or a value); fails with `what` after `limitMs`. */
export async function eventually<T>(what: string, check: () => T | undefined | false | Promise<T | undefined | false>, limitMs = 10_000): Promise<T> {
  const deadline = Date.now() + limitMs;
  for (;;) {
    const value = await check();
    if (value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}
