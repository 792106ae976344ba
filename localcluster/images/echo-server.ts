// The `ambit/echo` sample app: an HTTP/1.1 server that answers every request with JSON naming the
// pod, version and node plus what it saw (method, path, headers, source address). GET /healthz
// answers `ok`; ?status, ?delay and ?size shape the reply (see echo-response.ts); FAIL_EVERY=N
// answers every Nth request with FAIL_STATUS (default 503), a flaky backend for retry examples.
// RESPONSE_BODY (with RESPONSE_CONTENT_TYPE) makes it a static server: every request gets 200 with
// that body (a JWKS, a config file). SIGTERM drains in-flight requests, then exits. Runnable as a
// program; tests call startEchoServer in-process.
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildReply, fillerPayload, parseDirectives, splitTarget } from './echo-response';
import { exitOnTerminationSignal, exitWithConfigError } from './run-until-signal';
import { formatSource, identityFromEnv, portFromEnv, type PodIdentity } from './sample-app-env';

export interface EchoServerOptions {
  /** TCP port; 0 picks a free one. Default 8080. */
  port?: number;
  /** Listen address; default all interfaces. */
  host?: string;
  identity?: Partial<PodIdentity>;
  /** One line per request; default stdout. */
  log?: (line: string) => void;
  /** How long close() lets in-flight requests finish before cutting connections. Default 5 s. */
  shutdownGraceMs?: number;
  /** Every Nth request (health checks aside) is answered with `failStatus`: a flaky backend. 0 = never. */
  failEvery?: number;
  /** Default 503. */
  failStatus?: number;
  /** When set, every request (health checks aside) gets 200 with this body instead of the JSON reply. */
  staticBody?: { body: string; contentType: string };
}

export interface RunningEchoServer {
  port: number;
  close(): Promise<void>;
}

const DEFAULT_IDENTITY: PodIdentity = identityFromEnv({});

export function startEchoServer(opts: EchoServerOptions = {}): Promise<RunningEchoServer> {
  const identity: PodIdentity = { ...DEFAULT_IDENTITY, ...opts.identity };
  const log = opts.log ?? ((line: string) => console.log(line));
  const graceMs = opts.shutdownGraceMs ?? 5_000;
  let draining = false;
  let served = 0;
  const failEvery = opts.failEvery ?? 0;
  const failStatus = opts.failStatus ?? 503;
  const staticBody = opts.staticBody ? { contentType: opts.staticBody.contentType, body: Buffer.from(opts.staticBody.body) } : undefined;

  const server = http.createServer((req, res) => {
    const started = Date.now();
    const source = formatSource(req.socket.remoteAddress, req.socket.remotePort);
    const method = req.method ?? 'GET';
    const url = req.url ?? '/';
    let bodyBytes = 0;
    let timer: NodeJS.Timeout | undefined;
    let sent = 0;

    res.on('close', () => {
      if (timer) clearTimeout(timer);
      const outcome = res.writableFinished ? String(res.statusCode) : `${res.statusCode} (aborted)`;
      log(`${new Date().toISOString()} ${method} ${url} ${outcome} ${sent}B from ${source} in ${Date.now() - started}ms`);
    });

    const send = (status: number, contentType: string, body: Buffer): void => {
      if (res.destroyed) return;
      sent = method === 'HEAD' ? 0 : body.length;
      res.writeHead(status, {
        'content-type': contentType,
        'content-length': body.length,
        'x-echo-pod': identity.pod,
        'x-echo-version': identity.version,
        ...(draining ? { connection: 'close' } : {}),
      });
      res.end(method === 'HEAD' ? undefined : body);
    };

    req.on('data', (chunk: Buffer) => { bodyBytes += chunk.length; });
    req.on('error', () => res.destroy());
    req.on('end', () => {
      const { path, search } = splitTarget(url);
      if (path === '/healthz' && (method === 'GET' || method === 'HEAD')) {
        if (draining) send(503, 'text/plain; charset=utf-8', Buffer.from('shutting down\n'));
        else send(200, 'text/plain; charset=utf-8', Buffer.from('ok'));
        return;
      }
      if (failEvery > 0 && ++served % failEvery === 0) {
        send(failStatus, 'text/plain; charset=utf-8', Buffer.from(`injected failure from ${identity.pod}\n`));
        return;
      }
      if (staticBody) {
        send(200, staticBody.contentType, staticBody.body);
        return;
      }
      const parsed = parseDirectives(search);
      if (!parsed.ok) {
        send(400, 'application/json', Buffer.from(`${JSON.stringify({ error: parsed.error })}\n`));
        return;
      }
      const { status, delayMs, sizeBytes } = parsed.directives;
      const answer = (): void => {
        timer = undefined;
        if (sizeBytes !== null) {
          send(status, 'application/octet-stream', fillerPayload(sizeBytes));
          return;
        }
        const reply = buildReply(identity, { method, url, headers: req.headers, source, bodyBytes });
        send(status, 'application/json', Buffer.from(`${JSON.stringify(reply, null, 2)}\n`));
      };
      if (delayMs > 0) timer = setTimeout(answer, delayMs);
      else answer();
    });
  });

  let closing: Promise<void> | undefined;
  const close = (): Promise<void> => {
    closing ??= new Promise<void>((resolve) => {
      draining = true;
      const force = setTimeout(() => server.closeAllConnections(), graceMs);
      force.unref();
      server.close(() => {
        clearTimeout(force);
        resolve();
      });
      server.closeIdleConnections();
    });
    return closing;
  };

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, opts.host, () => {
      server.off('error', reject);
      resolve({ port: (server.address() as AddressInfo).port, close });
    });
  });
}

async function main(): Promise<void> {
  const port = portFromEnv(process.env.PORT, 8080);
  if (typeof port === 'string') exitWithConfigError(port);
  const identity = identityFromEnv(process.env);
  const failEvery = countFromEnv('FAIL_EVERY', process.env.FAIL_EVERY);
  const failStatus = countFromEnv('FAIL_STATUS', process.env.FAIL_STATUS);
  if (failStatus !== 0 && (failStatus < 200 || failStatus > 599)) exitWithConfigError(`FAIL_STATUS must be an HTTP status (200-599), got "${process.env.FAIL_STATUS}"`);
  const staticBody = staticBodyFromEnv(process.env);
  const server = await startEchoServer({ port, identity, failEvery, ...(failStatus ? { failStatus } : {}), ...(staticBody ? { staticBody } : {}) });
  exitOnTerminationSignal(() => server.close());
  console.log(`echo ${identity.version} (pod ${identity.pod}) listening on port ${server.port}`);
}

/** The static body from RESPONSE_BODY (set, even empty) and RESPONSE_CONTENT_TYPE (default text/plain); unset: none. */
export function staticBodyFromEnv(env: Readonly<Record<string, string | undefined>>): EchoServerOptions['staticBody'] {
  const body = env.RESPONSE_BODY;
  if (body === undefined) return undefined;
  const contentType = env.RESPONSE_CONTENT_TYPE?.trim() || 'text/plain; charset=utf-8';
  return { body, contentType };
}

function countFromEnv(name: string, raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return 0;
  if (!/^\d{1,6}$/.test(raw.trim())) exitWithConfigError(`${name} must be a whole number, got "${raw}"`);
  return Number(raw.trim());
}

if (require.main === module) {
  main().catch((err: unknown) => exitWithConfigError(`echo-server: ${err instanceof Error ? err.message : String(err)}`));
}
