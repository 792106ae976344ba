// Readiness probes as a kubelet runs them: httpGet (2xx/3xx passes) and tcpSocket (a connect
// passes), against the pod's IP, with Kubernetes' timing fields and thresholds.

import { request } from 'node:http';
import { connect } from 'node:net';
import { isRecord } from '../apiserver/types';
import { ContainerSpec } from './pod-env';

export interface ProbeSpec {
  kind: 'http' | 'tcp';
  port: number;
  path: string;
  scheme: 'HTTP';
  headers: Record<string, string>;
  initialDelayMs: number;
  periodMs: number;
  timeoutMs: number;
  successThreshold: number;
  failureThreshold: number;
}

const num = (v: unknown, dflt: number): number => (typeof v === 'number' && Number.isFinite(v) && v >= 0 ? v : dflt);

/** Parses a container's readinessProbe; a named port is looked up in its ports. Undefined: no probe or unsupported. */
export function readinessProbe(c: ContainerSpec): ProbeSpec | { error: string } | undefined {
  const p = c.readinessProbe;
  if (!isRecord(p)) return undefined;
  const handler = isRecord(p.httpGet) ? p.httpGet : isRecord(p.tcpSocket) ? p.tcpSocket : undefined;
  if (!handler) return { error: 'only httpGet and tcpSocket readiness probes are supported by the local cluster' };
  const rawPort = handler.port;
  const port = typeof rawPort === 'number' ? rawPort
    : c.ports?.find((cp) => cp.name === rawPort)?.containerPort;
  if (!port) return { error: `readiness probe port ${JSON.stringify(rawPort)} is not a number or a named container port` };
  const headers: Record<string, string> = {};
  if (Array.isArray(handler.httpHeaders)) {
    for (const h of handler.httpHeaders) if (isRecord(h) && typeof h.name === 'string') headers[h.name] = String(h.value ?? '');
  }
  return {
    kind: isRecord(p.httpGet) ? 'http' : 'tcp', port,
    path: typeof handler.path === 'string' ? handler.path : '/', scheme: 'HTTP', headers,
    initialDelayMs: num(p.initialDelaySeconds, 0) * 1000,
    periodMs: Math.max(1, num(p.periodSeconds, 10)) * 1000,
    timeoutMs: Math.max(1, num(p.timeoutSeconds, 1)) * 1000,
    successThreshold: Math.max(1, num(p.successThreshold, 1)),
    failureThreshold: Math.max(1, num(p.failureThreshold, 3)),
  };
}

/** One probe attempt: resolves true on success, false on failure; never rejects. */
export function probeOnce(spec: ProbeSpec, ip: string): Promise<boolean> {
  return new Promise((resolve) => {
    if (spec.kind === 'tcp') {
      const s = connect({ host: ip, port: spec.port, timeout: spec.timeoutMs });
      s.once('connect', () => { s.destroy(); resolve(true); });
      s.once('timeout', () => { s.destroy(); resolve(false); });
      s.once('error', () => resolve(false));
      return;
    }
    const req = request({ host: ip, port: spec.port, path: spec.path, method: 'GET', timeout: spec.timeoutMs,
      headers: { 'user-agent': 'kube-probe/1.32', ...spec.headers }, agent: false }, (res) => {
      res.resume();
      const code = res.statusCode ?? 0;
      resolve(code >= 200 && code < 400);
    });
    req.once('timeout', () => { req.destroy(); resolve(false); });
    req.once('error', () => resolve(false));
    req.end();
  });
}

/** Runs a probe on its schedule and reports each change of the ready verdict. */
export class ProbeLoop {
  private timer: NodeJS.Timeout | undefined;
  private ready = false;
  private successes = 0;
  private failures = 0;
  private stopped = false;

  constructor(private readonly spec: ProbeSpec, private readonly ip: string, private readonly onChange: (ready: boolean) => void) {
    this.timer = setTimeout(() => void this.tick(), spec.initialDelayMs);
  }

  private async tick(): Promise<void> {
    if (this.stopped) return;
    const ok = await probeOnce(this.spec, this.ip);
    if (this.stopped) return;
    if (ok) { this.successes += 1; this.failures = 0; } else { this.failures += 1; this.successes = 0; }
    const before = this.ready;
    if (ok && this.successes >= this.spec.successThreshold) this.ready = true;
    if (!ok && this.failures >= this.spec.failureThreshold) this.ready = false;
    if (before !== this.ready) this.onChange(this.ready);
    // Until the first success, probe every second so a pod becomes ready promptly.
    const next = this.ready || this.spec.periodMs <= 1000 ? this.spec.periodMs : 1000;
    this.timer = setTimeout(() => void this.tick(), next);
  }

  stop(): void {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
  }
}
