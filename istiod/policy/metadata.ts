// The Kubernetes envelope of a security resource, read strictly: kind and apiVersion when present,
// metadata.name (DNS subdomain), metadata.namespace (DNS label), creationTimestamp (RFC 3339) and
// the annotations object (read key by key by whoever needs one; other annotations such as kubectl's
// last-applied copy are never inspected). Pure.

import {
  FieldReport, type JsonObject, own, readObject, readString, show,
} from './field-report';
import { DNS_LABEL, DNS_SUBDOMAIN } from './string-forms';

export interface Metadata {
  /** '' when missing or invalid (a problem is reported). */
  readonly name: string;
  readonly namespace: string;
  readonly annotations: JsonObject;
  /** creationTimestamp in ms since the epoch, when present and valid. */
  readonly createdAt?: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d{1,9})?(Z|[+-]\d{2}:\d{2})$/;

function readName(meta: JsonObject, key: 'name' | 'namespace', report: FieldReport): string {
  const path = `metadata.${key}`;
  const value = readString(own(meta, key), path, report);
  if (value === undefined) {
    if (own(meta, key) === undefined || own(meta, key) === null) report.problem(path, 'is required');
    return '';
  }
  const valid = key === 'name' ? value.length <= 253 && DNS_SUBDOMAIN.test(value) : value.length <= 63 && DNS_LABEL.test(value);
  if (!valid) {
    report.problem(path, `${show(value)} is not a valid ${key === 'name' ? 'object name (DNS subdomain)' : 'namespace name (DNS label)'}`);
    return '';
  }
  return value;
}

/** Reads kind, apiVersion and metadata of `top`; every problem goes to the report. */
export function readMetadata(top: JsonObject, kind: string, apiVersions: readonly string[], report: FieldReport): Metadata {
  const kindValue = own(top, 'kind');
  if (kindValue !== undefined && kindValue !== kind) report.problem('kind', `must be ${kind}`);
  const apiVersion = own(top, 'apiVersion');
  if (apiVersion !== undefined && !(typeof apiVersion === 'string' && apiVersions.includes(apiVersion))) {
    report.problem('apiVersion', `must be one of ${apiVersions.join(', ')}`);
  }
  const meta = readObject(own(top, 'metadata'), 'metadata', report);
  if (!meta) {
    if (own(top, 'metadata') === undefined || own(top, 'metadata') === null) report.problem('metadata', 'is required');
    return { name: '', namespace: '', annotations: {} };
  }
  const name = readName(meta, 'name', report);
  const namespace = readName(meta, 'namespace', report);
  const annotations = readObject(own(meta, 'annotations'), 'metadata.annotations', report) ?? {};
  const created = readString(own(meta, 'creationTimestamp'), 'metadata.creationTimestamp', report);
  let createdAt: number | undefined;
  if (created !== undefined) {
    const ms = RFC3339.test(created) ? Date.parse(created) : NaN;
    if (Number.isNaN(ms)) report.problem('metadata.creationTimestamp', `${show(created)} is not an RFC 3339 time`);
    else createdAt = ms;
  }
  return createdAt === undefined ? { name, namespace, annotations } : { name, namespace, annotations, createdAt };
}
