// istiod's monitoring listener (MONITORING_ADDRESS, default :15014): `GET /metrics` renders the
// Prometheus registry, `GET /ready` answers 200 once istiod is ready (503 with the reason before).
// Nothing else is served; requests carry no body and are bounded in time.

import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import { isIP } from 'node:net';
import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { Logger } from '../../pkg/log/logger';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../../pkg/telemetry/metrics';

export interface MonitoringOptions {
  readonly host: string;
  /** 0 picks a free port. */
  readonly port: number;
  readonly registry: Registry;
  /** undefined when ready, else why not. */
  readonly notReady: () => string | undefined;
  /** Called before each scrape (to copy counters kept elsewhere into the registry). */
  readonly beforeScrape?: () => void;
  readonly logger: Logger;
}

export interface MonitoringServer {
  readonly port: number;
  close(): Promise<void>;
}

export async function startMonitoringServer(opts: MonitoringOptions): Promise<MonitoringServer> {
  const reply = (res: ServerResponse, code: number, body: string, type = 'text/plain; charset=utf-8'): void => {
    res.writeHead(code, { 'Content-Type': type, 'Content-Length': Buffer.byteLength(body), 'Cache-Control': 'no-store' });
    res.end(body);
  };
  const server = createServer({ requestTimeout: 10_000, headersTimeout: 5_000, maxHeaderSize: 16 * 1024 }, (req: IncomingMessage, res) => {
    req.resume();
    const path = (req.url ?? '/').split('?')[0];
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      reply(res, 405, 'method not allowed\n');
      return;
    }
    if (path === '/metrics') {
      try {
        opts.beforeScrape?.();
        reply(res, 200, opts.registry.render(), PROMETHEUS_CONTENT_TYPE);
      } catch (err) {
        opts.logger.error(`monitoring: rendering /metrics failed: ${err instanceof Error ? err.message : String(err)}`);
        reply(res, 500, 'internal error\n');
      }
      return;
    }
    if (path === '/ready') {
      const why = opts.notReady();
      reply(res, why === undefined ? 200 : 503, why === undefined ? 'ready\n' : `not ready: ${why}\n`);
      return;
    }
    reply(res, 404, 'not found (try /metrics or /ready)\n');
  });
  server.keepAliveTimeout = 5_000;
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', (err) => reject(new MeshError(ErrorCode.Unavailable, `cannot listen on ${opts.host}:${opts.port} for monitoring`, { cause: err })));
    server.listen(opts.port, opts.host, () => {
      const address = server.address();
      resolve(typeof address === 'object' && address ? address.port : opts.port);
    });
  });
  server.on('error', (err) => opts.logger.error(`monitoring listener: ${err.message}`));
  opts.logger.info(`monitoring listening on ${isIP(opts.host) === 6 ? `[${opts.host}]` : opts.host}:${port}: /metrics, /ready`);
  let closing: Promise<void> | undefined;
  return {
    port,
    close: () => {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
