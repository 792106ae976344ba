// Wire mapping of the `security` part of ambit's WaypointConfig (waypoint-security-types.ts <->
// the WaypointSecurity message of proto/ambit/waypoint/v1/waypoint.proto), called by
// waypoint-codec.ts. Encoding omits proto3 defaults (the default path normalization travels as "");
// decoding turns "" back into the default and reports what only the wire can get wrong (a policy
// without its targets message) with the model's field path; everything else is checked by
// waypoint-security-validate.ts. Pure.

import type {
  JwtRule, L7Entry, L7Matcher, L7Policy, L7Predicate, L7Rule, PolicyTargets, RequestAuthn, WaypointSecurity,
} from './waypoint-security-types';
import { DEFAULT_PATH_NORMALIZATION } from './waypoint-security-types';
import type { WireAuthn, WireJwtRule, WireMatcher, WirePolicy, WirePredicate, WireRule, WireSecurity, WireTargets } from './waypoint-wire';

type Obj = Record<string, unknown>;

/** An object without the entries that are the proto3 default (0, "", false, [], undefined). */
function compact(o: Obj): Obj {
  const out: Obj = {};
  for (const [k, v] of Object.entries(o)) {
    if (v === undefined || v === 0 || v === '' || v === false || (Array.isArray(v) && v.length === 0)) continue;
    out[k] = v;
  }
  return out;
}

// ---- encoding ----

const matcherObject = (m: L7Matcher): Obj => compact({ kind: m.kind, value: m.value });

const predicateObject = (p: L7Predicate): Obj => compact({
  attribute: p.attribute, key: p.key, claimPath: [...p.claimPath],
  values: p.values.map(matcherObject), notValues: p.notValues.map(matcherObject),
});

const entryObject = (e: L7Entry): Obj => compact({ predicates: e.predicates.map(predicateObject) });

const ruleObject = (r: L7Rule): Obj => compact({
  from: r.from.map(entryObject), to: r.to.map(entryObject), when: r.when.map(predicateObject),
});

/** Always a message (possibly empty): decoding refuses a policy without one. */
const targetsObject = (t: PolicyTargets): Obj => compact({ all: t.all, services: [...t.services] });

const policyObject = (p: L7Policy): Obj => compact({
  name: p.name, namespace: p.namespace, action: p.action, dryRun: p.dryRun,
  targets: targetsObject(p.targets), rules: p.rules.map(ruleObject),
});

const jwtRuleObject = (r: JwtRule): Obj => compact({
  issuer: r.issuer, audiences: [...r.audiences], jwks: r.jwks, jwksUri: r.jwksUri,
  fromHeaders: r.fromHeaders.map((h) => compact({ name: h.name, prefix: h.prefix })),
  fromParams: [...r.fromParams], fromCookies: [...r.fromCookies],
  forwardOriginalToken: r.forwardOriginalToken, outputPayloadToHeader: r.outputPayloadToHeader,
  outputClaimToHeaders: r.outputClaimToHeaders.map((c) => compact({ header: c.header, claim: c.claim })),
  timeoutMs: r.timeoutMs,
});

const authnObject = (a: RequestAuthn): Obj => compact({
  name: a.name, namespace: a.namespace, targets: targetsObject(a.targets), rules: a.rules.map(jwtRuleObject),
});

/** The protobufjs object of a (valid) security config; an empty config is still a message. */
export function securityObject(s: WaypointSecurity): Obj {
  return compact({
    pathNormalization: s.pathNormalization === DEFAULT_PATH_NORMALIZATION ? undefined : s.pathNormalization,
    authorization: s.authorization.map(policyObject),
    authentication: s.authentication.map(authnObject),
  });
}

// ---- decoding ----

const matcher = (w: WireMatcher): L7Matcher => ({ kind: w.kind as L7Matcher['kind'], value: w.value });

const predicate = (w: WirePredicate): L7Predicate => ({
  attribute: w.attribute as L7Predicate['attribute'], key: w.key, claimPath: [...w.claimPath],
  values: w.values.map(matcher), notValues: w.notValues.map(matcher),
});

const rule = (w: WireRule): L7Rule => ({
  from: w.from.map((e) => ({ predicates: e.predicates.map(predicate) })),
  to: w.to.map((e) => ({ predicates: e.predicates.map(predicate) })),
  when: w.when.map(predicate),
});

function targets(w: WireTargets | null, field: string, issues: string[]): PolicyTargets {
  if (!w) issues.push(`${field}: missing`);
  return { all: w?.all ?? false, services: [...(w?.services ?? [])] };
}

const policy = (w: WirePolicy, field: string, issues: string[]): L7Policy => ({
  name: w.name, namespace: w.namespace, action: w.action as L7Policy['action'], dryRun: w.dryRun,
  targets: targets(w.targets, `${field}.targets`, issues), rules: w.rules.map(rule),
});

const jwtRule = (w: WireJwtRule): JwtRule => ({
  issuer: w.issuer, audiences: [...w.audiences], jwks: w.jwks, jwksUri: w.jwksUri,
  fromHeaders: w.fromHeaders.map((h) => ({ name: h.name, prefix: h.prefix })),
  fromParams: [...w.fromParams], fromCookies: [...w.fromCookies],
  forwardOriginalToken: w.forwardOriginalToken, outputPayloadToHeader: w.outputPayloadToHeader,
  outputClaimToHeaders: w.outputClaimToHeaders.map((c) => ({ header: c.header, claim: c.claim })),
  timeoutMs: w.timeoutMs,
});

const authn = (w: WireAuthn, field: string, issues: string[]): RequestAuthn => ({
  name: w.name, namespace: w.namespace,
  targets: targets(w.targets, `${field}.targets`, issues), rules: w.rules.map(jwtRule),
});

/** The model of a decoded WaypointSecurity message; wire-only problems go to `issues`. */
export function securityFromWire(w: WireSecurity, field: string, issues: string[]): WaypointSecurity {
  return {
    pathNormalization: (w.pathNormalization || DEFAULT_PATH_NORMALIZATION) as WaypointSecurity['pathNormalization'],
    authorization: w.authorization.map((p, i) => policy(p, `${field}.authorization[${i}]`, issues)),
    authentication: w.authentication.map((a, i) => authn(a, `${field}.authentication[${i}]`, issues)),
  };
}
