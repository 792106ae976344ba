// Hostile input: every field of the scenario resources replaced, one at a time, by values of the
// wrong type, out of range, oversized or with control characters. The conversion never throws, a
// rejected version never reaches the waypoint, and every config built stays valid on the wire.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import { waypointConfigProblems } from '../../pkg/api/waypoint-validate';
import { toMeshPolicy } from '../kube/mesh-convert';
import { emptyTouched, routeStatusKey } from './route-state';
import { loadScenario } from './test-support';
import { ROUTE_KINDS, type RouteKind } from './types';

const HOSTILE: readonly unknown[] = [
  null, -1, 0, 1.5, 2 ** 53, true, '', ' ', 'x'.repeat(5000), 'a\r\nb', '\u0000', '(a+)+\\1', '*', '/', [], [null], {}, { __proto__: { polluted: 1 } },
  JSON.parse('{"__proto__": {"polluted": 1}}'),
];

type Json = null | boolean | number | string | Json[] | { [k: string]: Json };

/** Every path (list of keys) to a value under `spec`. */
function paths(value: Json, at: (string | number)[] = []): (string | number)[][] {
  const out: (string | number)[][] = [at];
  if (Array.isArray(value)) value.forEach((v, i) => out.push(...paths(v, [...at, i])));
  else if (value !== null && typeof value === 'object') for (const [k, v] of Object.entries(value)) out.push(...paths(v, [...at, k]));
  return out;
}

function replaced(value: Json, path: readonly (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  const [head, ...rest] = path;
  if (Array.isArray(value)) return value.map((v, i) => (i === head ? replaced(v, rest, by) : v));
  const obj = value as { [k: string]: Json };
  return { ...obj, [String(head)]: replaced(obj[String(head)] as Json, rest, by) };
}

function scenarioFile(name: string): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    try { return readFileSync(join(dir, 'istiod', 'routes', 'testdata', name), 'utf8'); } catch { /* keep looking */ }
  }
  throw new Error(`${name} not found`);
}

for (const file of ['httproute.yaml', 'virtualservice.yaml', 'conflicts.yaml']) {
  test(`hostile values in every field of ${file}`, () => {
    const text = scenarioFile(file);
    const state = loadScenario(text);
    const docs = (loadAll(text) as Json[]).filter((d): d is { [k: string]: Json } => typeof d === 'object' && d !== null && !Array.isArray(d)
      && (ROUTE_KINDS as readonly string[]).includes(String(d.kind)));
    let generation = 1;
    let tried = 0;
    for (const doc of docs) {
      for (const path of paths(doc.spec ?? null, ['spec'])) {
        for (const by of HOSTILE) {
          const object = replaced(doc, path, by) as Record<string, unknown>;
          const meta: Record<string, unknown> = { ...(object.metadata as Record<string, unknown>), generation: ++generation };
          const policy = toMeshPolicy({ ...object, metadata: meta });
          assert.ok(policy);
          const t = emptyTouched();
          state.applyObject(doc.kind as RouteKind, policy, t);
          tried++;
          for (const key of state.affected(t)) {
            const config = state.build(key);
            if (config) assert.deepEqual(waypointConfigProblems(config), [], `${doc.kind} ${path.join('.')} = ${JSON.stringify(by)?.slice(0, 40)}`);
          }
          state.status(routeStatusKey(doc.kind as RouteKind, String(meta.namespace), String(meta.name)));
        }
        // Back to the valid version before the next field.
        const t = emptyTouched();
        state.applyObject(doc.kind as RouteKind, toMeshPolicy({ ...doc, metadata: { ...(doc.metadata as object), generation: ++generation } })!, t);
      }
    }
    assert.ok(tried > 100);
    assert.equal(({} as { polluted?: number }).polluted, undefined);
  });
}
