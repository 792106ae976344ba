// DNS of the local cluster (pure): the per-pod hosts file naming every Service, and the
// resolv.conf that gives pods the Kubernetes search path without any nameserver to leave by.

export const CLUSTER_DOMAIN = 'cluster.local';

export interface HostsTarget {
  /** The pod's namespace; null for a node's own file (hostNetwork pods): no bare Service names. */
  namespace: string | null;
  hostname: string;
  ip: string;
}

export interface ServiceName {
  namespace: string;
  name: string;
  clusterIP: string;
}

const DNS_NAME = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

function compare(a: ServiceName, b: ServiceName): number {
  const ka = `${a.namespace}/${a.name}`;
  const kb = `${b.namespace}/${b.name}`;
  return ka < kb ? -1 : ka > kb ? 1 : 0;
}

/**
 * Hosts file lines: localhost, the pod's own name, then every Service with a ClusterIP as
 * `<svc>.<ns>.svc.cluster.local <svc>.<ns>.svc <svc>.<ns>`, plus the bare `<svc>` for Services
 * in the pod's own namespace. Names that are not DNS names are left out. Deterministic.
 */
export function renderHostsFile(target: HostsTarget, services: readonly ServiceName[]): string {
  const lines = [
    '# Written by the ambit local cluster; rewritten in place when Services change.',
    '127.0.0.1\tlocalhost',
    '::1\tlocalhost ip6-localhost ip6-loopback',
  ];
  if (IPV4.test(target.ip) && DNS_NAME.test(target.hostname)) lines.push(`${target.ip}\t${target.hostname}`);
  const usable = services.filter((s) => IPV4.test(s.clusterIP) && DNS_NAME.test(s.name) && DNS_NAME.test(s.namespace));
  for (const svc of [...usable].sort(compare)) {
    const names = [`${svc.name}.${svc.namespace}.svc.${CLUSTER_DOMAIN}`, `${svc.name}.${svc.namespace}.svc`, `${svc.name}.${svc.namespace}`];
    if (svc.namespace === target.namespace) names.push(svc.name);
    lines.push(`${svc.clusterIP}\t${names.join(' ')}`);
  }
  return `${lines.join('\n')}\n`;
}

/**
 * resolv.conf with the pod's search path and no nameserver line, so names missing from the
 * hosts file fail locally instead of being asked of a resolver outside the machine.
 */
export function renderResolvConf(namespace: string | null): string {
  const search = [`svc.${CLUSTER_DOMAIN}`, CLUSTER_DOMAIN];
  if (namespace !== null && DNS_NAME.test(namespace)) search.unshift(`${namespace}.svc.${CLUSTER_DOMAIN}`);
  return ['# Written by the ambit local cluster.', `search ${search.join(' ')}`, 'options ndots:5 timeout:1 attempts:1', ''].join('\n');
}
