// Says why a Service's traffic is refused when it is bound to a waypoint that does not exist or
// has no ready pod: istiod still binds it (ztunnel then refuses the traffic instead of silently
// skipping the waypoint's policy), and the log says so — one warning when a Service enters that
// state for a (waypoint, reason), one info line when its waypoint is usable again.

import type { Logger } from '../../pkg/log/logger';
import type { WaypointGateway } from './types';

type Reason = 'missing' | 'not-ready';

interface Bound {
  /** "<namespace>/<name>" of the Service, for people. */
  readonly service: string;
  readonly gateway: string;
  reported?: Reason;
}

function problem(service: string, gateway: string, reason: Reason): string {
  return reason === 'missing'
    ? `service ${service} uses waypoint ${gateway}, which does not exist: its traffic is refused until it does (fail closed)`
    : `service ${service} uses waypoint ${gateway}, which has no ready pod: its traffic is refused until it has one (fail closed)`;
}

export class FailClosedReporter {
  /** By the Service's Address resource name. */
  private readonly bound = new Map<string, Bound>();
  private readonly byGateway = new Map<string, Set<string>>();

  constructor(private readonly logger: Logger, private readonly gateways: () => ReadonlyMap<string, WaypointGateway>) {}

  /** A Service's binding as it is now (`gateway` "<ns>/<name>", undefined when unbound or gone). */
  service(resource: string, service: string, gateway: string | undefined): void {
    const old = this.bound.get(resource);
    if (old && old.gateway === gateway && old.service === service) return;
    if (old) this.forget(resource, old);
    if (!gateway) return;
    this.bound.set(resource, { service, gateway });
    let set = this.byGateway.get(gateway);
    if (!set) this.byGateway.set(gateway, (set = new Set()));
    set.add(resource);
    this.check(resource);
  }

  /** These Gateways appeared, changed or went away: re-check the Services bound to them. */
  gatewaysChanged(keys: Iterable<string>): void {
    for (const key of keys) for (const resource of this.byGateway.get(key) ?? []) this.check(resource);
  }

  private forget(resource: string, old: Bound): void {
    this.bound.delete(resource);
    const set = this.byGateway.get(old.gateway);
    set?.delete(resource);
    if (set?.size === 0) this.byGateway.delete(old.gateway);
  }

  private check(resource: string): void {
    const b = this.bound.get(resource);
    if (!b) return;
    const gateway = this.gateways().get(b.gateway);
    const reason: Reason | undefined = !gateway ? 'missing' : !gateway.ready ? 'not-ready' : undefined;
    if (reason === b.reported) return;
    if (reason) this.logger.warn(problem(b.service, b.gateway, reason));
    else this.logger.info(`service ${b.service}: waypoint ${b.gateway} is ready, its traffic flows through it again`);
    b.reported = reason;
  }
}
