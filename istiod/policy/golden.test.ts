// Golden tests: every testdata/ap-*.yaml (AuthorizationPolicies, one per document) and
// testdata/pa-*.yaml (a set of PeerAuthentications plus a `GoldenWorkloads` document naming the
// workloads to look up) is converted and compared exactly with the `.golden.json` beside it.
// Matches are rendered with their non-empty fields only; every policy produced must pass
// pkg/api's validator and survive the wire codec unchanged; every waypoint (l7) policy must pass
// the waypoint codec's securityProblems. A leading `GoldenOptions` document
// overrides the options (root namespace istio-system, trust domain cluster.local).
// AMBIT_UPDATE_GOLDEN=1 rewrites the golden files instead.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { loadAll } from 'js-yaml';
import type { Authorization } from '../../pkg/api/authorization-types';
import { decodeAuthorization, encodeAuthorization } from '../../pkg/api/authorization-codec';
import { authorizationProblem } from '../../pkg/api/authorization-validate';
import { DEFAULT_PATH_NORMALIZATION } from '../../pkg/api/waypoint-security-types';
import { securityProblems } from '../../pkg/api/waypoint-security-validate';
import { convertAuthorizationPolicy, type ConversionOptions } from './authorization-policy';
import { convertPeerAuthentications, peerAuthenticationFor } from './peer-authentication-index';
import { authorizationPolicyStatus, peerAuthenticationStatus } from './policy-status';

/** The source folder (tests run from dist/, testdata stays beside the source). */
function testdata(): string {
  for (let dir = __dirname; dir !== dirname(dir); dir = dirname(dir)) {
    const candidate = join(dir, 'istiod', 'policy', 'testdata');
    if (existsSync(join(candidate, 'ap-l4.yaml'))) return candidate;
  }
  throw new Error('istiod/policy/testdata not found');
}

type Doc = Record<string, unknown>;

function load(file: string): { opts: ConversionOptions; docs: Doc[]; special: Doc[] } {
  const all = loadAll(readFileSync(join(testdata(), file), 'utf8')).filter((d) => d !== null && d !== undefined) as Doc[];
  const special = all.filter((d) => typeof d['kind'] === 'string' && (d['kind'] as string).startsWith('Golden'));
  const options = special.find((d) => d['kind'] === 'GoldenOptions');
  const opts: ConversionOptions = {
    rootNamespace: (options?.['rootNamespace'] as string | undefined) ?? 'istio-system',
    trustDomain: (options?.['trustDomain'] as string | undefined) ?? 'cluster.local',
  };
  return { opts, docs: all.filter((d) => !special.includes(d)), special };
}

/** What ztunnel would get: valid, and the same after encoding and decoding. */
function assertSendable(policy: Authorization): void {
  assert.equal(authorizationProblem(policy), undefined);
  const decoded = decodeAuthorization(encodeAuthorization(policy));
  assert.ok(decoded.ok, decoded.ok ? '' : decoded.error);
  assert.deepEqual(decoded.value, policy);
}

/** A policy with each match reduced to its non-empty lists. */
function compact(policy: Authorization): unknown {
  return {
    ...policy,
    rules: policy.rules.map((r) => ({
      clauses: r.clauses.map((c) => ({
        matches: c.matches.map((m) => Object.fromEntries(Object.entries(m).filter(([, v]) => (v as unknown[]).length > 0))),
      })),
    })),
  };
}

function compareWithGolden(yamlFile: string, actual: unknown): void {
  const file = join(testdata(), yamlFile.replace(/\.yaml$/, '.golden.json'));
  const text = `${JSON.stringify(actual, null, 2)}\n`;
  if (process.env.AMBIT_UPDATE_GOLDEN === '1') writeFileSync(file, text);
  assert.equal(text, readFileSync(file, 'utf8'), `${yamlFile} differs from its golden file`);
}

const files = readdirSync(testdata()).filter((f) => f.endsWith('.yaml')).sort();

for (const file of files.filter((f) => f.startsWith('ap-'))) {
  test(`golden: AuthorizationPolicies of ${file}`, () => {
    const { opts, docs } = load(file);
    const out = docs.map((doc) => {
      const result = convertAuthorizationPolicy(doc, opts);
      if (result.policy) assertSendable(result.policy);
      if (result.l7) {
        const { action, dryRun, rules } = result.l7;
        assert.deepEqual(securityProblems({
          pathNormalization: DEFAULT_PATH_NORMALIZATION, authentication: [],
          authorization: [{ name: result.name, namespace: result.namespace, action, dryRun, targets: { all: true, services: [] }, rules }],
        }), [], `${result.namespace}/${result.name} is what the waypoint accepts`);
      }
      if (result.problems.length > 0) assert.equal(result.l7, undefined, 'a waypoint policy with problems is never produced');
      if (result.problems.length > 0) assert.equal(result.policy, undefined, 'a policy with problems is never produced');
      return {
        input: `${result.namespace}/${result.name}`,
        ...result,
        ...(result.policy ? { policy: compact(result.policy) } : {}),
        status: authorizationPolicyStatus(result),
      };
    });
    compareWithGolden(file, out);
  });
}

for (const file of files.filter((f) => f.startsWith('pa-'))) {
  test(`golden: PeerAuthentications of ${file}`, () => {
    const { opts, docs, special } = load(file);
    const workloads = (special.find((d) => d['kind'] === 'GoldenWorkloads')?.['workloads'] ?? []) as { namespace: string; labels: Record<string, string> }[];
    const conversion = convertPeerAuthentications(docs, opts);
    const emitted = new Set(conversion.policies.map((p) => `${p.namespace}/${p.name}`));
    for (const p of conversion.policies) assertSendable(p);
    const lookups = workloads.map((w) => {
      const policies = peerAuthenticationFor(w, conversion.index);
      for (const name of policies) assert.ok(emitted.has(name), `${name} is attached but never emitted`);
      return { workload: w, policies };
    });
    compareWithGolden(file, {
      policies: conversion.policies.map(compact),
      results: conversion.results.map((r) => ({ input: `${r.namespace}/${r.name}`, ...r, status: peerAuthenticationStatus(r) })),
      workloads: lookups,
    });
  });
}

test('golden: every testdata input has its golden file', () => {
  for (const file of files) assert.ok(existsSync(join(testdata(), file.replace(/\.yaml$/, '.golden.json'))), file);
});
