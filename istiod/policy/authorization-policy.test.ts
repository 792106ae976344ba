// AuthorizationPolicy conversion as a user meets it: what ztunnel gets, what is refused and why
// (field paths), what is dropped with a warning, and that hostile input never throws. The
// attribute-by-attribute cases are the golden files in testdata/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { convertAuthorizationPolicy, type ConversionOptions } from './authorization-policy';
import { MAX_REPORTED } from './field-report';

const OPTS: ConversionOptions = { rootNamespace: 'istio-system', trustDomain: 'cluster.local' };

function ap(spec: unknown, meta: Record<string, unknown> = {}): unknown {
  return { apiVersion: 'security.istio.io/v1', kind: 'AuthorizationPolicy', metadata: { name: 'p', namespace: 'shop', ...meta }, spec };
}

const fields = (list: readonly { field: string }[]): string[] => list.map((p) => p.field);

test('a selector policy becomes a WORKLOAD_SELECTOR Authorization with one clause per from / to / when', () => {
  const r = convertAuthorizationPolicy(ap({
    selector: { matchLabels: { app: 'reviews' } },
    rules: [{
      from: [{ source: { principals: ['cluster.local/ns/shop/sa/web'] } }, { source: { namespaces: ['ops'] } }],
      to: [{ operation: { ports: ['9080'] } }],
      when: [{ key: 'source.ip', values: ['198.18.0.0/16'] }, { key: 'destination.port', notValues: ['15000'] }],
    }],
  }), OPTS);
  assert.deepEqual(r.problems, []);
  assert.deepEqual(r.selector, { app: 'reviews' });
  assert.equal(r.enforcedBy, 'ztunnel');
  const policy = r.policy!;
  assert.equal(policy.scope, 'WORKLOAD_SELECTOR');
  assert.equal(policy.rules.length, 1);
  const clauses = policy.rules[0]!.clauses;
  assert.equal(clauses.length, 4);
  assert.deepEqual(clauses[0]!.matches.map((m) => m.destinationPorts), [[9080]]);
  assert.deepEqual(clauses[1]!.matches.map((m) => [m.principals, m.namespaces]), [
    [[{ kind: 'exact', value: 'cluster.local/ns/shop/sa/web' }], []],
    [[], [{ kind: 'exact', value: 'ops' }]],
  ]);
  assert.deepEqual(clauses[2]!.matches[0]!.sourceIps, ['198.18.0.0/16']);
  assert.deepEqual(clauses[3]!.matches[0]!.notDestinationPorts, [15000]);
});

test('scope: no selector → NAMESPACE, no selector in the root namespace → GLOBAL', () => {
  assert.equal(convertAuthorizationPolicy(ap({ rules: [{}] }), OPTS).policy?.scope, 'NAMESPACE');
  const mesh = convertAuthorizationPolicy(ap({ rules: [{}] }, { namespace: 'istio-system' }), OPTS);
  assert.equal(mesh.policy?.scope, 'GLOBAL');
  assert.equal(mesh.selector, undefined);
});

test('any problem rejects the whole policy, each naming its field', () => {
  const r = convertAuthorizationPolicy(ap({
    rules: [
      { from: [{ source: { ipBlocks: ['198.18.0.0/16', '198.18.0.0/99'] } }] },
      { to: [{ operation: { ports: ['http'] } }] },
    ],
    colour: 'blue',
  }), OPTS);
  assert.equal(r.policy, undefined);
  assert.deepEqual(fields(r.problems).sort(), ['spec.colour', 'spec.rules[0].from[0].source.ipBlocks[1]', 'spec.rules[1].to[0].operation.ports[0]']);
});

test('ALLOW: a rule with HTTP attributes is omitted (fails closed); the others stay', () => {
  const r = convertAuthorizationPolicy(ap({
    rules: [
      { to: [{ operation: { ports: ['80'], paths: ['/admin'] } }] },
      { to: [{ operation: { ports: ['443'] } }] },
    ],
  }), OPTS);
  assert.deepEqual(r.problems, []);
  assert.equal(r.partial, true);
  assert.deepEqual(r.policy!.rules.map((rule) => rule.clauses[0]!.matches[0]!.destinationPorts), [[443]]);
  assert.deepEqual(fields(r.warnings), ['spec.rules[0].to[0].operation.paths']);
  assert.match(r.warnings[0]!.reason, /ALLOW rule \(spec\.rules\[0\]\) is omitted/);
});

test('DENY: only the HTTP attributes are dropped, so the rule denies more', () => {
  const r = convertAuthorizationPolicy(ap({
    action: 'DENY',
    rules: [{ from: [{ source: { namespaces: ['sandbox'], requestPrincipals: ['*'] } }], to: [{ operation: { methods: ['DELETE'] } }] }],
  }), OPTS);
  assert.deepEqual(r.problems, []);
  const rule = r.policy!.rules[0]!;
  assert.equal(rule.clauses.length, 1, 'the to clause (methods only) matches everything and is gone');
  assert.deepEqual(rule.clauses[0]!.matches[0]!.namespaces, [{ kind: 'exact', value: 'sandbox' }]);
  assert.deepEqual(fields(r.warnings).sort(), ['spec.rules[0].from[0].source.requestPrincipals', 'spec.rules[0].to[0].operation.methods']);
});

test('AUDIT and CUSTOM are refused for ztunnel; with targetRefs the waypoint takes the policy', () => {
  for (const action of ['AUDIT', 'CUSTOM']) {
    const r = convertAuthorizationPolicy(ap({ action, provider: action === 'CUSTOM' ? { name: 'x' } : undefined, rules: [{}] }), OPTS);
    assert.equal(r.policy, undefined);
    assert.ok(r.problems.some((p) => p.field === 'spec.action' && p.reason.includes(`does not support the ${action} action`)), action);
  }
  const waypoint = convertAuthorizationPolicy(ap({
    targetRefs: [{ kind: 'Gateway', group: 'gateway.networking.k8s.io', name: 'waypoint' }],
    action: 'CUSTOM', provider: { name: 'ext-authz' }, rules: [{ to: [{ operation: { paths: ['/x'] } }] }],
  }), OPTS);
  assert.deepEqual(waypoint.problems, []);
  assert.deepEqual(waypoint.warnings[0], { field: 'spec.action', reason: 'CUSTOM (ext-authz) is not supported: requests matching its rules are denied' });
  assert.equal(waypoint.enforcedBy, 'waypoint');
  assert.equal(waypoint.policy, undefined);
  assert.deepEqual([waypoint.l7?.action, waypoint.l7?.custom], ['DENY', true]);
});

test('the dry-run annotation marks the policy; other values are enforced with a warning', () => {
  assert.equal(convertAuthorizationPolicy(ap({ rules: [{}] }, { annotations: { 'istio.io/dry-run': 'true' } }), OPTS).policy?.dryRun, true);
  const odd = convertAuthorizationPolicy(ap({ rules: [{}] }, { annotations: { 'istio.io/dry-run': 'maybe' } }), OPTS);
  assert.equal(odd.policy?.dryRun, false);
  assert.deepEqual(fields(odd.warnings), ['metadata.annotations["istio.io/dry-run"]']);
});

test('hostile input never throws and is refused', () => {
  const inputs: unknown[] = [
    null, 'policy', 42, [], {}, { metadata: 'x' }, ap([]), ap({ rules: 'all' }), ap({ rules: [[]] }),
    ap({ rules: [{ from: [{ source: { principals: [null, 7, { a: 1 }] } }] }] }),
    ap({ selector: { matchLabels: { app: 5 } } }),
    JSON.parse('{"metadata":{"name":"p","namespace":"shop"},"spec":{"selector":{"matchLabels":{"__proto__":"x"}},"rules":[{"__proto__":{}}]}}'),
  ];
  for (const input of inputs) {
    const r = convertAuthorizationPolicy(input, OPTS);
    assert.ok(r.problems.length > 0, JSON.stringify(input));
    assert.equal(r.policy, undefined);
  }
  assert.equal(({} as Record<string, unknown>)['x'], undefined, 'no prototype was touched');
});

test('oversized lists are refused with their size, and the problem list is bounded', () => {
  const many = Array.from({ length: 1025 }, (_, i) => `198.18.${i >> 8}.${i & 255}`);
  const big = convertAuthorizationPolicy(ap({ rules: [{ from: [{ source: { ipBlocks: many } }] }] }), OPTS);
  assert.deepEqual(big.problems, [{ field: 'spec.rules[0].from[0].source.ipBlocks', reason: '1025 entries (at most 1024)' }]);
  const bad = Array.from({ length: 500 }, () => 'not-an-ip');
  const r = convertAuthorizationPolicy(ap({ rules: [{ from: [{ source: { ipBlocks: bad } }] }] }), OPTS);
  assert.equal(r.problems.length, MAX_REPORTED + 1);
  assert.equal(r.problems[MAX_REPORTED]!.reason, `${500 - MAX_REPORTED} more problems not shown`);
});
