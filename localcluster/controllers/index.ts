// Entry point of the local cluster's controllers: installs the ClusterIP allocator and runs the
// scheduler, Deployment, DaemonSet, EndpointSlice, `kubernetes` Service and ServiceAccount
// controllers against the in-process Store.

import { Registry } from '../apiserver/registry';
import { Store } from '../apiserver/store';
import { runControllers, RunOptions } from './controller';
import { DaemonSetController } from './daemonset-controller';
import { DeploymentController } from './deployment-controller';
import { EndpointsController } from './endpoints-controller';
import { parseCidr, reservedIp } from './ip-range';
import { ApiServerEndpoint, KubernetesServiceController } from './kubernetes-service';
import { resolveTypes } from './resource-types';
import { Scheduler } from './scheduler';
import { ServiceAccountController } from './service-account-controller';
import { installServiceIpAllocator } from './service-ip-allocator';

export { installServiceIpAllocator } from './service-ip-allocator';
export type { Controller, RunningControllers } from './controller';
export type { ApiServerEndpoint } from './kubernetes-service';

export interface ControllerOptions {
  serviceCidr: string;
  apiServerEndpoints: ApiServerEndpoint[];
  /** Full resync period (default 30 s). */
  resyncMs?: number;
  /** Where error lines go (default stderr). */
  log?: RunOptions['log'];
}

export function startControllers(store: Store, registry: Registry, opts: ControllerOptions): { stop(): void; idle(): Promise<void> } {
  installServiceIpAllocator(store, registry, opts.serviceCidr);
  const { types, keys } = resolveTypes(registry);
  const clusterIp = reservedIp(parseCidr(opts.serviceCidr));
  return runControllers(store, [
    new Scheduler(store, types, keys),
    new DeploymentController(store, types, keys),
    new DaemonSetController(store, types, keys),
    new EndpointsController(store, types, keys),
    new KubernetesServiceController(store, types, keys, clusterIp, opts.apiServerEndpoints),
    new ServiceAccountController(store, types, keys),
  ], { resyncMs: opts.resyncMs, log: opts.log });
}
