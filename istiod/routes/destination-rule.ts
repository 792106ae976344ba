// `networking.istio.io/v1` DestinationRule → DestinationRuleSpec (pure): the host, the traffic
// policy (loadBalancer simple / consistentHash, connectionPool limits, outlierDetection with
// Istio's defaults) with its portLevelSettings, and subsets (labels + their own policy). Settings
// ambit's waypoint does not implement (tls, locality, warm-up, idle timeouts...) are warnings;
// malformed values are problems that reject the object whole.

import type { ConnectionPool, OutlierDetection } from '../../pkg/api/waypoint-types';
import { DEFAULT_CONNECTION_POOL } from '../../pkg/api/waypoint-types';
import {
  checkKnownFields, FieldReport, isObject, type JsonObject, own, readList, readObject, readStringMap, show,
} from '../policy/field-report';
import { readMetadata } from '../policy/metadata';
import { DNS_LABEL, labelKeyProblem, labelValueProblem } from '../policy/string-forms';
import { readHost } from './istio-forms';
import { readBool, readDuration, readHeaderName, readInt, readPercent, readPort, readText, requireText } from './route-forms';
import type { Conversion, DestinationRuleSpec, PolicyParts, SubsetSpec, TrafficPolicySpec } from './types';

const API_VERSIONS = ['networking.istio.io/v1', 'networking.istio.io/v1beta1', 'networking.istio.io/v1alpha3'];
const INT32_MAX = 2_147_483_647;
/** Istio's outlier-detection defaults. */
export const OUTLIER_DEFAULTS = Object.freeze({ consecutive5xx: 5, intervalMs: 10_000, baseEjectionMs: 30_000, maxEjectionPercent: 10 });
const SIMPLE: Readonly<Record<string, PolicyParts['lb']>> = {
  UNSPECIFIED: { kind: 'round_robin' }, ROUND_ROBIN: { kind: 'round_robin' }, LEAST_REQUEST: { kind: 'least_request' },
  LEAST_CONN: { kind: 'least_request' }, RANDOM: { kind: 'random' }, PASSTHROUGH: { kind: 'round_robin' },
};

export interface DestinationRuleConversion extends Conversion<DestinationRuleSpec> {
  readonly namespace: string;
  readonly name: string;
}

function ignored(obj: JsonObject, keys: readonly string[], path: string, report: FieldReport): void {
  for (const k of keys) if (own(obj, k) !== undefined) report.warn(`${path}.${k}`, 'not supported by ambit\'s waypoint; ignored');
}

function readLoadBalancer(value: unknown, path: string, report: FieldReport): PolicyParts['lb'] {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['simple', 'consistentHash', 'localityLbSetting', 'warmupDurationSecs', 'warmup'], path, report);
  ignored(obj, ['localityLbSetting', 'warmupDurationSecs', 'warmup'], path, report);
  const simple = readText(own(obj, 'simple'), `${path}.simple`, report, { max: 32 });
  const hash = readObject(own(obj, 'consistentHash'), `${path}.consistentHash`, report);
  if (simple !== undefined && hash) report.problem(path, 'only one of simple and consistentHash may be set');
  if (simple !== undefined) {
    const lb = Object.hasOwn(SIMPLE, simple) ? SIMPLE[simple] : undefined;
    if (!lb) report.problem(`${path}.simple`, `${show(simple)} is not one of ${Object.keys(SIMPLE).join(', ')}`);
    if (simple === 'PASSTHROUGH') report.warn(`${path}.simple`, 'PASSTHROUGH is not supported by ambit\'s waypoint; ROUND_ROBIN is used');
    return lb;
  }
  if (!hash) return undefined;
  const p = `${path}.consistentHash`;
  checkKnownFields(hash, ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName', 'ringHash', 'maglev', 'minimumRingSize'], p, report);
  ignored(hash, ['ringHash', 'maglev', 'minimumRingSize'], p, report);
  const keys = ['httpHeaderName', 'httpCookie', 'useSourceIp', 'httpQueryParameterName'].filter((k) => own(hash, k) !== undefined && own(hash, k) !== null);
  if (keys.length !== 1) {
    report.problem(p, keys.length === 0 ? 'needs one of httpHeaderName, httpCookie, useSourceIp, httpQueryParameterName' : `only one hash key may be set (found ${keys.join(', ')})`);
    return undefined;
  }
  const key = keys[0];
  if (key === 'httpHeaderName') {
    const name = readHeaderName(own(hash, key), `${p}.httpHeaderName`, report);
    return name === undefined ? undefined : { kind: 'consistent_hash', hash: { source: 'header', name } };
  }
  if (key === 'httpQueryParameterName') {
    const name = requireText(own(hash, key), `${p}.httpQueryParameterName`, report, { max: 256 });
    return name === undefined ? undefined : { kind: 'consistent_hash', hash: { source: 'query', name } };
  }
  if (key === 'useSourceIp') {
    const on = readBool(own(hash, key), `${p}.useSourceIp`, report);
    if (on === false) report.problem(`${p}.useSourceIp`, 'must be true when it is the hash key');
    return on ? { kind: 'consistent_hash', hash: { source: 'source_ip', name: '' } } : undefined;
  }
  const cookie = readObject(own(hash, 'httpCookie'), `${p}.httpCookie`, report);
  if (!cookie) return undefined;
  checkKnownFields(cookie, ['name', 'path', 'ttl', 'attributes'], `${p}.httpCookie`, report);
  ignored(cookie, ['path', 'ttl', 'attributes'], `${p}.httpCookie`, report);
  const name = requireText(own(cookie, 'name'), `${p}.httpCookie.name`, report, { max: 256 });
  if (name !== undefined && !/^[A-Za-z0-9!#$%&'*+.^_`|~-]+$/.test(name)) {
    report.problem(`${p}.httpCookie.name`, `${show(name)} is not a cookie name`);
    return undefined;
  }
  return name === undefined ? undefined : { kind: 'consistent_hash', hash: { source: 'cookie', name } };
}

function readConnectionPool(value: unknown, path: string, report: FieldReport): ConnectionPool | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['tcp', 'http'], path, report);
  const tcp = readObject(own(obj, 'tcp'), `${path}.tcp`, report) ?? {};
  const http = readObject(own(obj, 'http'), `${path}.http`, report) ?? {};
  checkKnownFields(tcp, ['maxConnections', 'connectTimeout', 'tcpKeepalive', 'maxConnectionDuration', 'idleTimeout'], `${path}.tcp`, report);
  ignored(tcp, ['connectTimeout', 'tcpKeepalive', 'maxConnectionDuration', 'idleTimeout'], `${path}.tcp`, report);
  checkKnownFields(http, ['http1MaxPendingRequests', 'http2MaxRequests', 'maxRequestsPerConnection', 'maxRetries', 'idleTimeout',
    'h2UpgradePolicy', 'useClientProtocol', 'maxConcurrentStreams'], `${path}.http`, report);
  ignored(http, ['idleTimeout', 'h2UpgradePolicy', 'useClientProtocol', 'maxConcurrentStreams'], `${path}.http`, report);
  const n = (o: JsonObject, key: string, p: string): number => readInt(own(o, key), `${p}.${key}`, report, 0, INT32_MAX) ?? 0;
  return {
    ...DEFAULT_CONNECTION_POOL,
    maxConnections: n(tcp, 'maxConnections', `${path}.tcp`),
    maxPendingRequests: n(http, 'http1MaxPendingRequests', `${path}.http`),
    maxRequests: n(http, 'http2MaxRequests', `${path}.http`),
    maxRequestsPerConnection: n(http, 'maxRequestsPerConnection', `${path}.http`),
    maxRetries: n(http, 'maxRetries', `${path}.http`),
  };
}

function readOutlier(value: unknown, path: string, report: FieldReport): OutlierDetection | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['consecutiveErrors', 'consecutive5xxErrors', 'consecutiveGatewayErrors', 'consecutiveLocalOriginFailures',
    'splitExternalLocalOriginErrors', 'interval', 'baseEjectionTime', 'maxEjectionPercent', 'minHealthPercent'], path, report);
  ignored(obj, ['consecutiveLocalOriginFailures', 'splitExternalLocalOriginErrors', 'minHealthPercent'], path, report);
  const count = (key: string): number | undefined => readInt(own(obj, key), `${path}.${key}`, report, 0, INT32_MAX);
  let gateway = count('consecutiveGatewayErrors');
  const legacy = count('consecutiveErrors');
  if (legacy !== undefined) {
    report.warn(`${path}.consecutiveErrors`, 'deprecated; read as consecutiveGatewayErrors');
    gateway ??= legacy;
  }
  const percent = readPercent(own(obj, 'maxEjectionPercent'), `${path}.maxEjectionPercent`, report);
  return {
    consecutive5xx: count('consecutive5xxErrors') ?? OUTLIER_DEFAULTS.consecutive5xx,
    consecutiveGatewayErrors: gateway ?? 0,
    intervalMs: readDuration(own(obj, 'interval'), `${path}.interval`, report, { allowZero: false }) ?? OUTLIER_DEFAULTS.intervalMs,
    baseEjectionMs: readDuration(own(obj, 'baseEjectionTime'), `${path}.baseEjectionTime`, report, { allowZero: false }) ?? OUTLIER_DEFAULTS.baseEjectionMs,
    maxEjectionPercent: percent === undefined ? OUTLIER_DEFAULTS.maxEjectionPercent : Math.round(percent),
  };
}

function readParts(obj: JsonObject, path: string, report: FieldReport): PolicyParts {
  const lb = readLoadBalancer(own(obj, 'loadBalancer'), `${path}.loadBalancer`, report);
  const pool = readConnectionPool(own(obj, 'connectionPool'), `${path}.connectionPool`, report);
  const outlier = readOutlier(own(obj, 'outlierDetection'), `${path}.outlierDetection`, report);
  if (own(obj, 'tls') !== undefined) report.warn(`${path}.tls`, 'ignored: ambit\'s waypoint reaches mesh workloads over HBONE mTLS');
  return { ...(lb ? { lb } : {}), ...(pool ? { pool } : {}), ...(outlier ? { outlier } : {}) };
}

function readTrafficPolicy(value: unknown, path: string, report: FieldReport): TrafficPolicySpec | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['loadBalancer', 'connectionPool', 'outlierDetection', 'tls', 'portLevelSettings', 'tunnel', 'proxyProtocol', 'retryBudget'], path, report);
  ignored(obj, ['tunnel', 'proxyProtocol', 'retryBudget'], path, report);
  const ports = new Map<number, PolicyParts>();
  (readList(own(obj, 'portLevelSettings'), `${path}.portLevelSettings`, report, 64) ?? []).forEach((item, i) => {
    const p = `${path}.portLevelSettings[${i}]`;
    const s = readObject(item, p, report);
    if (!s) return;
    checkKnownFields(s, ['port', 'loadBalancer', 'connectionPool', 'outlierDetection', 'tls'], p, report);
    const portObj = readObject(own(s, 'port'), `${p}.port`, report);
    if (portObj) checkKnownFields(portObj, ['number'], `${p}.port`, report);
    const port = portObj ? readPort(own(portObj, 'number'), `${p}.port.number`, report) : undefined;
    if (port === undefined && !portObj) report.problem(`${p}.port`, 'is required');
    const parts = readParts(s, p, report);
    if (port === undefined) return;
    if (ports.has(port)) report.problem(`${p}.port.number`, `port ${port} already has settings`);
    ports.set(port, parts);
  });
  return { ...readParts(obj, path, report), ports };
}

function readSubsets(value: unknown, report: FieldReport): SubsetSpec[] {
  const out: SubsetSpec[] = [];
  (readList(value, 'spec.subsets', report, 256) ?? []).forEach((item, i) => {
    const p = `spec.subsets[${i}]`;
    const s = readObject(item, p, report);
    if (!s) return;
    checkKnownFields(s, ['name', 'labels', 'trafficPolicy'], p, report);
    const name = requireText(own(s, 'name'), `${p}.name`, report, { max: 63 });
    if (name !== undefined && !DNS_LABEL.test(name)) report.problem(`${p}.name`, `${show(name)} is not a subset name (a DNS label)`);
    else if (name !== undefined && out.some((o) => o.name === name)) report.problem(`${p}.name`, `subset ${show(name)} is defined twice`);
    const labels = readStringMap(own(s, 'labels'), `${p}.labels`, report, 64) ?? {};
    for (const [k, v] of Object.entries(labels)) {
      const why = labelKeyProblem(k) ?? labelValueProblem(v);
      if (why) report.problem(`${p}.labels`, why);
    }
    const policy = readTrafficPolicy(own(s, 'trafficPolicy'), `${p}.trafficPolicy`, report);
    if (name !== undefined) out.push({ name, labels, ...(policy ? { policy } : {}) });
  });
  return out;
}

export function convertDestinationRule(object: unknown): DestinationRuleConversion {
  const report = new FieldReport();
  const top: JsonObject = isObject(object) ? object : {};
  if (!isObject(object)) report.problem('', 'the object is not a JSON object');
  const meta = readMetadata(top, 'DestinationRule', API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report);
  if (!spec) report.problem('spec', 'is required');
  let host: string | undefined;
  let policy: TrafficPolicySpec | undefined;
  let subsets: SubsetSpec[] = [];
  if (spec) {
    checkKnownFields(spec, ['host', 'trafficPolicy', 'subsets', 'exportTo', 'workloadSelector'], 'spec', report);
    ignored(spec, ['workloadSelector'], 'spec', report);
    host = readHost(own(spec, 'host'), 'spec.host', report);
    policy = readTrafficPolicy(own(spec, 'trafficPolicy'), 'spec.trafficPolicy', report);
    subsets = readSubsets(own(spec, 'subsets'), report);
  }
  const problems = report.problems();
  const base = {
    namespace: meta.namespace, name: meta.name, problems, warnings: report.warnings(),
    ...(meta.createdAt !== undefined ? { createdAt: meta.createdAt } : {}),
  };
  if (problems.length > 0 || host === undefined) return base;
  return { ...base, spec: { host, subsets, ...(policy ? { policy } : {}) } };
}
