// The kube-proxy stand-in: follows Services and EndpointSlices in the store and keeps every node's
// Service rules (iptables DNAT) and every pod's hosts file in step, coalescing bursts of changes.

import { Registry } from '../apiserver/registry';
import { Store } from '../apiserver/store';
import { ClusterRuntime } from '../runtime';
import { ServiceName } from '../runtime/hosts-file';
import { serviceNames, serviceRules } from './service-rules';

export class ServiceProxy {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private dirty = { rules: false, names: false };
  private names: ServiceName[] = [];
  private unsubscribe: (() => void) | undefined;

  constructor(
    private readonly store: Store,
    private readonly registry: Registry,
    private readonly runtime: ClusterRuntime,
    private readonly onNamesChanged: () => Promise<void>,
  ) {}

  start(): void {
    this.names = serviceNames(this.store.list(this.registry.find('', 'services')!).items);
    this.unsubscribe = this.store.subscribe((e) => {
      if (e.typeKey === '/services') this.mark({ rules: true, names: true });
      else if (e.typeKey === 'discovery.k8s.io/endpointslices') this.mark({ rules: true, names: false });
    });
    this.mark({ rules: true, names: false });
  }

  /** Services with a ClusterIP, for hosts files. */
  serviceNames(): ServiceName[] {
    return this.names;
  }

  /** Resolves once the rules reflect everything seen so far. */
  async settle(): Promise<void> {
    while (this.timer || this.running) {
      if (this.timer) { clearTimeout(this.timer); this.timer = undefined; void this.sync(); }
      await this.running;
    }
  }

  stop(): void {
    this.unsubscribe?.();
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
  }

  private mark(what: { rules: boolean; names: boolean }): void {
    this.dirty.rules ||= what.rules;
    this.dirty.names ||= what.names;
    if (!this.timer && !this.running) this.timer = setTimeout(() => { this.timer = undefined; void this.sync(); }, 30);
  }

  private async sync(): Promise<void> {
    if (this.running) return;
    this.running = (async () => {
      while (this.dirty.rules || this.dirty.names) {
        const { rules, names } = this.dirty;
        this.dirty = { rules: false, names: false };
        const services = this.store.list(this.registry.find('', 'services')!).items;
        try {
          if (rules) {
            const slices = this.store.list(this.registry.find('discovery.k8s.io', 'endpointslices')!).items;
            await this.runtime.syncServices(serviceRules(services, slices));
          }
          if (names) {
            this.names = serviceNames(services);
            await this.onNamesChanged();
          }
        } catch (err) {
          process.stdout.write(`service-proxy: ${(err as Error).message}\n`);
          setTimeout(() => this.mark({ rules, names }), 1000);
        }
      }
    })();
    try { await this.running; } finally { this.running = undefined; }
  }
}
