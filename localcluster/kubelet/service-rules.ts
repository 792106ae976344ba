// The kube-proxy stand-in's input: Services and their EndpointSlices → one rule per Service port
// listing the ready endpoints (address + resolved port). Also the name list for pods' hosts files. Pure.

import { isRecord, KubeObject } from '../apiserver/types';
import { ServiceName } from '../runtime/hosts-file';
import { ServicePortRule, ServiceRule } from '../runtime/service-rules';

const clusterIPOf = (svc: KubeObject): string | undefined => {
  const spec = isRecord(svc.spec) ? svc.spec : {};
  const ip = spec.clusterIP;
  return typeof ip === 'string' && ip && ip !== 'None' ? ip : undefined;
};

export function serviceNames(services: readonly KubeObject[]): ServiceName[] {
  const out: ServiceName[] = [];
  for (const s of services) {
    const ip = clusterIPOf(s);
    if (ip) out.push({ namespace: s.metadata.namespace ?? '', name: s.metadata.name ?? '', clusterIP: ip });
  }
  return out;
}

export function serviceRules(services: readonly KubeObject[], slices: readonly KubeObject[]): ServiceRule[] {
  const slicesBySvc = new Map<string, KubeObject[]>();
  for (const sl of slices) {
    const svc = sl.metadata.labels?.['kubernetes.io/service-name'];
    if (!svc) continue;
    const key = `${sl.metadata.namespace}/${svc}`;
    slicesBySvc.set(key, [...(slicesBySvc.get(key) ?? []), sl]);
  }
  const rules: ServiceRule[] = [];
  for (const svc of services) {
    const clusterIP = clusterIPOf(svc);
    if (!clusterIP) continue;
    const spec = isRecord(svc.spec) ? svc.spec : {};
    const ports = Array.isArray(spec.ports) ? spec.ports.filter(isRecord) : [];
    const mine = slicesBySvc.get(`${svc.metadata.namespace}/${svc.metadata.name}`) ?? [];
    const rulePorts: ServicePortRule[] = [];
    for (const p of ports) {
      if (typeof p.port !== 'number') continue;
      const name = typeof p.name === 'string' ? p.name : '';
      const protocol = p.protocol === 'UDP' ? 'UDP' : 'TCP';
      const endpoints: { ip: string; port: number }[] = [];
      for (const sl of mine) {
        const slPorts = Array.isArray(sl.ports) ? sl.ports.filter(isRecord) : [];
        const match = slPorts.find((sp) => (sp.name ?? '') === name && (sp.protocol ?? 'TCP') === protocol);
        if (!match || typeof match.port !== 'number') continue;
        for (const ep of Array.isArray(sl.endpoints) ? sl.endpoints.filter(isRecord) : []) {
          const cond = isRecord(ep.conditions) ? ep.conditions : {};
          if (cond.ready === false) continue;
          for (const a of Array.isArray(ep.addresses) ? ep.addresses : []) {
            if (typeof a === 'string') endpoints.push({ ip: a, port: match.port });
          }
        }
      }
      endpoints.sort((a, b) => (a.ip === b.ip ? a.port - b.port : a.ip < b.ip ? -1 : 1));
      rulePorts.push({ ...(name ? { name } : {}), protocol, port: p.port, endpoints });
    }
    rules.push({ namespace: svc.metadata.namespace ?? '', name: svc.metadata.name ?? '', clusterIP, ports: rulePorts });
  }
  return rules;
}
