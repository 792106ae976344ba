// What Deployments and DaemonSets share: a stable hash of a pod template, int-or-percent rollout
// parameters, and the Pod object a workload creates from its template. Pure functions.

import { createHash } from 'node:crypto';
import { isRecord, KubeObject } from '../apiserver/types';
import { ownerRefTo, rec, stringMap } from './object-access';

/** JSON with object keys sorted, so equal templates hash equally whatever their key order. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (isRecord(value)) {
    const keys = Object.keys(value).filter((k) => value[k] !== undefined).sort();
    return `{${keys.map((k) => `${JSON.stringify(k)}:${canonicalJson(value[k])}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

const HASH_ALPHABET = 'bcdfghjklmnpqrstvwxz2456789';

/** A 10-character label-safe hash of a pod template (`pod-template-hash`, `controller-revision-hash`). */
export function templateHash(template: unknown): string {
  const digest = createHash('sha256').update(canonicalJson(template)).digest();
  let out = '';
  for (let i = 0; i < 10; i++) out += HASH_ALPHABET[digest[i] % HASH_ALPHABET.length];
  return out;
}

function intOrPercent(v: unknown, total: number, roundUp: boolean): number | undefined {
  if (typeof v === 'number' && Number.isInteger(v)) return Math.max(0, v);
  if (typeof v !== 'string') return undefined;
  if (/^\d+$/.test(v)) return Number(v);
  const m = /^(\d+)%$/.exec(v);
  if (!m) return undefined;
  const exact = (Number(m[1]) * total) / 100;
  return roundUp ? Math.ceil(exact) : Math.floor(exact);
}

/** An int-or-string rollout parameter ("25%" or 2) scaled against `total`; `fallback` when absent or malformed. */
export function scaledValue(value: unknown, total: number, roundUp: boolean, fallback: string | number): number {
  return intOrPercent(value, total, roundUp) ?? intOrPercent(fallback, total, roundUp) ?? 0;
}

/** The pod a workload creates from its template: template labels + `hashLabel`, owned by the workload. */
export function podFromTemplate(owner: KubeObject, template: unknown, hashLabel: string, hash: string,
  opts: { generateName: string; nodeName?: string }): KubeObject {
  const t = rec(template);
  const meta = rec(t.metadata);
  const spec = structuredClone(rec(t.spec));
  if (opts.nodeName) spec.nodeName = opts.nodeName;
  const annotations = stringMap(meta.annotations);
  const pod: KubeObject = {
    apiVersion: 'v1',
    kind: 'Pod',
    metadata: {
      generateName: opts.generateName,
      namespace: owner.metadata.namespace,
      labels: { ...stringMap(meta.labels), [hashLabel]: hash },
      ownerReferences: [ownerRefTo(owner)],
    },
    spec,
  };
  if (Object.keys(annotations).length) pod.metadata.annotations = annotations;
  return pod;
}
