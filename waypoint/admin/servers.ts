// The waypoint's three HTTP ports (Istio's layout): admin on localhost 15000 (/config_dump,
// /quitquitquit, / index), stats on 15020 (/metrics and /stats/prometheus: the registry the proxy
// fills plus xDS metrics) and readiness on 15021 (/healthz/ready: 200 or 503 with the reason).

import type { Logger } from '../../pkg/log/logger';
import { PROMETHEUS_CONTENT_TYPE, type Registry } from '../../pkg/telemetry/metrics';
import { configDump, type DumpSources } from './config-dump';
import { json, startHttpServer, text, type HttpReply, type Routes, type RunningHttpServer } from './http';

export interface Listen {
  readonly host: string;
  readonly port: number;
}

const ADMIN_INDEX = [
  'waypoint admin',
  '  GET  /config_dump    config, bound services, backends and endpoints, certificates, xDS status (JSON)',
  '  POST /quitquitquit   graceful shutdown',
  'stats port: GET /metrics, /stats/prometheus; readiness port: GET /healthz/ready',
].join('\n');

export function startAdminServer(options: {
  readonly listen: Listen;
  readonly sources: DumpSources;
  /** Graceful shutdown, started after the reply to /quitquitquit has been written. */
  readonly onQuit: () => void;
  readonly logger: Logger;
}): Promise<RunningHttpServer> {
  const { logger } = options;
  let quitting = false;
  const routes: Routes = {
    '/': { GET: () => text(200, ADMIN_INDEX) },
    '/config_dump': { GET: () => json(configDump(options.sources)) },
    '/quitquitquit': {
      POST: (): HttpReply => {
        const first = !quitting;
        quitting = true;
        if (first) logger.info('admin: /quitquitquit received; shutting down');
        return { ...text(200, 'OK'), ...(first ? { after: options.onQuit } : {}) };
      },
    },
  };
  return startHttpServer({ name: 'admin', ...options.listen, routes, logger });
}

export function startStatsServer(options: { readonly listen: Listen; readonly registry: Registry; readonly logger: Logger }): Promise<RunningHttpServer> {
  const metrics = (): HttpReply => ({ status: 200, contentType: PROMETHEUS_CONTENT_TYPE, body: options.registry.render() });
  const routes: Routes = { '/metrics': { GET: metrics }, '/stats/prometheus': { GET: metrics } };
  return startHttpServer({ name: 'stats', ...options.listen, routes, logger: options.logger });
}

export function startReadinessServer(options: {
  readonly listen: Listen;
  /** Why not ready, or undefined when ready. */
  readonly problem: () => string | undefined;
  readonly logger: Logger;
}): Promise<RunningHttpServer> {
  const routes: Routes = {
    '/healthz/ready': {
      GET: () => {
        const problem = options.problem();
        return problem === undefined ? text(200, 'ready') : text(503, `not ready: ${problem}`);
      },
    },
  };
  return startHttpServer({ name: 'readiness', ...options.listen, routes, logger: options.logger });
}
