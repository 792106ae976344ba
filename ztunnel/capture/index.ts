// ztunnel's traffic capture (DESIGN §5): keeps the node's TPROXY rules in step with the ambient
// pods on this node. Rebuilds everything at start (removing what an earlier run left), follows the
// state store with a short coalescing delay, re-checks periodically (another agent may have moved
// our nat jump below its own; the default gateway may have changed), applies one change at a time,
// retries failures with backoff, and removes everything at shutdown.

import { isIPv4 } from 'node:net';
import { describeError, ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import { applyRules, commandSystem, removeRules, type CaptureSystem } from './apply';
import { parseDefaultGateways } from './host-sources';
import { capturedAddresses, renderCaptureRules } from './rules';
import type { CaptureDeps, CaptureStatus, RunningCapture } from './types';

export { commandSystem, installedLeftovers, type CaptureSystem } from './apply';
export { renderRestoreText } from './iptables-plan';
export { normalizeIpv4Cidr, parseDefaultGateways, type HostSources } from './host-sources';
export { CAPTURE_MARK, CaptureChain, ROUTE_TABLE, RULE_PRIORITY, SOCKET_MARK, TPROXY_IP, capturedAddresses, renderCaptureRules } from './rules';

export interface CaptureOptions {
  /** Where the rules go; the real iptables/ip of this network namespace by default. */
  readonly system?: CaptureSystem;
  /** Changes arriving within this window are applied together (default 50 ms). */
  readonly coalesceMs?: number;
  /** Period of the drift check (jump order, deleted rules; default 10 s). */
  readonly resyncMs?: number;
  /** Retry delay after a failed apply, doubling up to retryMaxMs (defaults 500 ms, 30 s). */
  readonly retryInitialMs?: number;
  readonly retryMaxMs?: number;
}

const DEFAULTS = { coalesceMs: 50, resyncMs: 10_000, retryInitialMs: 500, retryMaxMs: 30_000 } as const;

export function startCapture(deps: CaptureDeps, options: CaptureOptions = {}): RunningCapture {
  return new CaptureLoop(deps, options);
}

class CaptureLoop implements RunningCapture {
  readonly ready: Promise<void>;
  private resolveReady!: () => void;
  private rejectReady!: (e: Error) => void;
  private readySettled = false;
  private readonly system: CaptureSystem;
  private readonly opts: Required<Omit<CaptureOptions, 'system'>>;
  private readonly unsubscribe: () => void;
  private readonly resync: NodeJS.Timeout;
  private timer: NodeJS.Timeout | undefined;
  private timerDue = 0;
  private busy: Promise<void> | null = null;
  private pending = false;
  private stopped = false;
  private stopping: Promise<void> | null = null;
  private fromScratch = true;
  private failures = 0;
  private retryAt = 0;
  private current: CaptureStatus = { pods: [], appliedVersion: -1 };
  private readonly reportedSkips = new Set<string>();
  private hostSourcesShown: string | undefined;
  private gatewayWarning: string | undefined;

  constructor(private readonly deps: CaptureDeps, options: CaptureOptions) {
    this.system = options.system ?? commandSystem();
    this.opts = {
      coalesceMs: options.coalesceMs ?? DEFAULTS.coalesceMs,
      resyncMs: options.resyncMs ?? DEFAULTS.resyncMs,
      retryInitialMs: options.retryInitialMs ?? DEFAULTS.retryInitialMs,
      retryMaxMs: options.retryMaxMs ?? DEFAULTS.retryMaxMs,
    };
    this.ready = new Promise<void>((resolve, reject) => {
      this.resolveReady = resolve;
      this.rejectReady = reject;
    });
    this.ready.catch(() => undefined); // a caller that never awaits it must not crash the process
    this.unsubscribe = deps.state.onChange(() => this.onStateChange());
    this.resync = setInterval(() => this.schedule(0), this.opts.resyncMs);
    this.resync.unref();
    this.schedule(0);
  }

  status(): CaptureStatus {
    return this.current;
  }

  shutdown(): Promise<void> {
    this.stopping ??= this.stop();
    return this.stopping;
  }

  private async stop(): Promise<void> {
    this.stopped = true;
    this.unsubscribe();
    clearInterval(this.resync);
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    if (this.busy) await this.busy;
    this.settleReady(new MeshError(ErrorCode.Unavailable, 'capture: stopped before its rules were applied'));
    const problems = await removeRules(this.system);
    if (problems.length) {
      const message = `capture: could not remove every rule at shutdown: ${problems.join('; ')}`;
      this.current = { ...this.current, lastError: message };
      this.deps.logger.error(message);
    } else {
      this.current = { pods: [], appliedVersion: this.current.appliedVersion };
      this.deps.logger.info('capture: rules removed');
    }
  }

  private onStateChange(): void {
    if (this.stopped) return;
    const { nodeName } = this.deps.settings;
    const wanted = new Set(capturedAddresses(this.deps.state.workloadsOnNode(nodeName), nodeName).filter((ip) => isIPv4(ip)));
    const applied = this.current.pods;
    // Nothing to do only when nothing is under way (a running apply may be for an older state).
    const idle = !this.busy && !this.timer && !this.fromScratch && this.current.lastError === undefined;
    const same = idle && wanted.size === applied.length && applied.every((ip) => wanted.has(ip));
    if (same) {
      this.current = { ...this.current, appliedVersion: this.deps.state.version };
      return;
    }
    this.schedule(this.opts.coalesceMs);
  }

  /** Runs a reconcile after `delayMs` (sooner if one is already due sooner); never two at once. */
  private schedule(delayMs: number): void {
    if (this.stopped) return;
    if (this.busy) {
      this.pending = true;
      return;
    }
    // While failing, nothing runs before the backoff allows it.
    const due = Math.max(Date.now() + delayMs, this.failures > 0 ? this.retryAt : 0);
    if (this.timer && this.timerDue <= due) return;
    if (this.timer) clearTimeout(this.timer);
    this.timerDue = due;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.busy = this.reconcile().finally(() => {
        this.busy = null;
        if (this.pending || this.failures > 0) {
          this.pending = false;
          this.schedule(this.opts.coalesceMs);
        }
      });
    }, Math.max(0, due - Date.now()));
  }

  private async reconcile(): Promise<void> {
    const { settings, state, logger } = this.deps;
    const version = state.version;
    try {
      const addresses = capturedAddresses(state.workloadsOnNode(settings.nodeName), settings.nodeName);
      const want = renderCaptureRules(settings, addresses, this.system.nodeAddresses(), await this.hostSources());
      this.reportHostSources(want.hostSources);
      for (const s of want.skipped) {
        if (this.reportedSkips.has(s.address)) continue;
        this.reportedSkips.add(s.address);
        logger.warn(`capture: not capturing ${s.address}: ${s.reason}`);
      }
      const before = new Set(this.current.pods);
      const result = await applyRules(this.system, want, this.fromScratch);
      if (this.stopped) return;
      const wasScratch = this.fromScratch;
      this.fromScratch = false;
      if (this.failures > 0 || this.current.lastError) logger.info('capture: rules applied again after failures');
      this.failures = 0;
      this.current = { pods: want.pods, appliedVersion: version };
      if (wasScratch) logger.info(`capture: rules installed for ${want.pods.length} pod(s)`);
      else if (result.changed) {
        const added = want.pods.filter((ip) => !before.has(ip));
        const removed = [...before].filter((ip) => !want.pods.includes(ip));
        const what = added.length || removed.length ? `+[${added.join(' ')}] -[${removed.join(' ')}]` : 'repaired drift';
        logger.info(`capture: rules updated (${what}), ${want.pods.length} pod(s)`);
      }
      this.settleReady();
    } catch (e) {
      if (this.stopped) return;
      this.failures += 1;
      const delay = Math.min(this.opts.retryMaxMs, this.opts.retryInitialMs * 2 ** Math.min(this.failures - 1, 30));
      const message = describeError(e);
      this.current = { ...this.current, lastError: message };
      logger.error(`capture: applying rules failed (attempt ${this.failures}, retry in ${delay} ms): ${message}`);
      this.retryAt = Date.now() + delay;
    }
  }

  /** The host's source addresses as configured, or the default gateway(s) of this namespace now. */
  private async hostSources(): Promise<readonly string[]> {
    const setting = this.deps.settings.hostSources;
    if (setting === undefined) return [];
    if (setting !== 'default-gateway') return setting;
    try {
      const gateways = parseDefaultGateways(await this.system.ip(['-4', 'route', 'show', 'default']));
      this.gatewayWarning = undefined;
      return gateways;
    } catch (e) {
      // Without a default route there is no host to exempt; capture itself must not stop.
      const message = `capture: cannot read the default gateway, so host probes are captured: ${describeError(e)}`;
      if (this.gatewayWarning !== message) this.deps.logger.warn(message);
      this.gatewayWarning = message;
      return [];
    }
  }

  /** One log line whenever the exempted host sources change. */
  private reportHostSources(sources: readonly string[]): void {
    const joined = sources.join(', ');
    if (joined === (this.hostSourcesShown ?? '')) return;
    this.hostSourcesShown = joined;
    this.deps.logger.info(
      joined ? `capture: connections the node's host opens to pods (kubelet probes) are not captured: from ${joined}` : 'capture: no host probe sources; every connection to a pod is captured',
    );
  }

  private settleReady(error?: Error): void {
    if (this.readySettled) return;
    this.readySettled = true;
    if (error) this.rejectReady(error);
    else this.resolveReady();
  }
}
