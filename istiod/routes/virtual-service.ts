// `networking.istio.io/v1` VirtualService → VirtualServiceSpec (pure): the hosts it names, whether
// it applies to mesh traffic (gateways empty or listing "mesh" — only then do waypoints use it),
// and its http routes in order (vs-http.ts). tcp/tls routes are not used by ambit's waypoint (a
// warning); any problem rejects the object whole.

import {
  checkKnownFields, FieldReport, isObject, type JsonObject, own, readList, readObject,
} from '../policy/field-report';
import { readMetadata } from '../policy/metadata';
import { readHost } from './istio-forms';
import { readText } from './route-forms';
import type { Conversion, VirtualServiceSpec, VsHttpRoute } from './types';
import { readVsHttpRoute } from './vs-http';

const API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
export const MAX_HOSTS = 64;
export const MAX_HTTP_ROUTES = 256;

export interface VirtualServiceConversion extends Conversion<VirtualServiceSpec> {
  readonly namespace: string;
  readonly name: string;
  /** Whether the object (as far as it could be read) is for mesh traffic; false → not a waypoint's concern. */
  readonly mesh: boolean;
}

export function convertVirtualService(object: unknown): VirtualServiceConversion {
  const report = new FieldReport();
  const top: JsonObject = isObject(object) ? object : {};
  if (!isObject(object)) report.problem('', 'the object is not a JSON object');
  const meta = readMetadata(top, 'VirtualService', API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report);
  if (!spec) report.problem('spec', 'is required');
  const hosts: string[] = [];
  let mesh = true;
  const http: VsHttpRoute[] = [];
  if (spec) {
    checkKnownFields(spec, ['hosts', 'gateways', 'http', 'tls', 'tcp', 'exportTo'], 'spec', report);
    const hostList = readList(own(spec, 'hosts'), 'spec.hosts', report, MAX_HOSTS);
    if (!hostList || hostList.length === 0) report.problem('spec.hosts', 'at least one host is required');
    hostList?.forEach((h, i) => {
      const host = readHost(h, `spec.hosts[${i}]`, report);
      if (host !== undefined && !hosts.includes(host)) hosts.push(host);
    });
    const gateways = readList(own(spec, 'gateways'), 'spec.gateways', report, 64) ?? [];
    const names = gateways.map((g, i) => readText(g, `spec.gateways[${i}]`, report, { max: 253 }));
    mesh = names.length === 0 || names.includes('mesh');
    (readList(own(spec, 'http'), 'spec.http', report, MAX_HTTP_ROUTES) ?? []).forEach((item, i) => {
      const route = readVsHttpRoute(item, i, report);
      if (route) http.push(route);
    });
    for (const key of ['tcp', 'tls']) {
      const list = readList(own(spec, key), `spec.${key}`, report, 256);
      if (list && list.length > 0) report.warn(`spec.${key}`, `${key} routes are not applied by ambit's waypoint (its traffic goes to the Service)`);
    }
  }
  const problems = report.problems();
  const base = {
    namespace: meta.namespace, name: meta.name, mesh, problems, warnings: report.warnings(),
    ...(meta.createdAt !== undefined ? { createdAt: meta.createdAt } : {}),
  };
  return problems.length > 0 ? base : { ...base, spec: { hosts, mesh, http } };
}
