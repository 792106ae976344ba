// Strict validation of the L7 security part of a WaypointConfig (waypoint-security-types.ts):
// known modes, actions and attributes; matcher kinds that make sense for their attribute (CIDRs,
// ports, path templates and methods parsed); header keys and claim paths where, and only where,
// they belong; JWT rules with exactly one JWKS source (inline JWKS parsed as JSON, URIs absolute
// http(s)); output headers that cannot clobber framing or routing; every list and string bounded by
// SECURITY_LIMITS. Called by waypoint-validate.ts (so by the codec and istiod's pre-publish check)
// and usable alone. Every problem is "field.path: why". Pure: no I/O, never throws.

import { parseCidr } from './authorization-validate';
import { parsePathTemplate } from './path-template';
import {
  DNS_LABEL, Problems, SERVICE_HOSTNAME, Stop, TOKEN, WAYPOINT_LIMITS,
  headerName, int, isObject, list, oneOf, show, text,
} from './waypoint-checks';
import {
  L7_ACTIONS, L7_ATTRIBUTES, L7_MATCHER_KINDS, PATH_NORMALIZATIONS, SECURITY_LIMITS,
  type JwtRule, type L7AttributeName, type L7Matcher, type L7MatcherKind, type L7Policy, type L7Predicate,
  type PolicyTargets, type RequestAuthn, type WaypointSecurity,
} from './waypoint-security-types';

/** Entries of a JWT rule's small lists (audiences, token locations, claim headers). */
const JWT_LIST_MAX = 64;
/** Keys of an inline JWKS. */
const JWKS_KEYS_MAX = 64;
const URI_MAX_BYTES = 8 * 1024;
/** Kubernetes object names, plus '_' (names istiod synthesises). */
const POLICY_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
const UPPER_TOKEN = /^[A-Z0-9!#$%&'*+.^_`|~-]+$/;
const PORT = /^[0-9]{1,5}$/;
const PRINTABLE = /^[\x20-\x7e]*$/;
/** Headers a JWT output must not overwrite: routing and message framing depend on them. */
const RESERVED_OUTPUT_HEADERS: ReadonlySet<string> = new Set([
  'host', 'content-length', 'transfer-encoding', 'connection', 'keep-alive', 'upgrade', 'te', 'trailer', 'proxy-connection',
]);

const STRING_KINDS: readonly L7MatcherKind[] = ['exact', 'prefix', 'suffix', 'presence'];
/** The matcher kinds each attribute takes (the table in waypoint-security-types.ts). */
const KINDS_OF: Readonly<Record<L7AttributeName, readonly L7MatcherKind[]>> = {
  'source.principal': STRING_KINDS,
  'source.namespace': STRING_KINDS,
  'source.ip': ['cidr'],
  'remote.ip': ['cidr'],
  'destination.ip': ['cidr'],
  'destination.port': ['port'],
  'request.host': STRING_KINDS,
  'request.method': ['exact'],
  'request.path': [...STRING_KINDS, 'template'],
  'request.header': STRING_KINDS,
  'request.auth.principal': STRING_KINDS,
  'request.auth.audiences': STRING_KINDS,
  'request.auth.presenter': STRING_KINDS,
  'request.auth.claim': STRING_KINDS,
  'connection.sni': STRING_KINDS,
};

function matcher(p: Problems, m: L7Matcher, field: string, attribute: L7AttributeName): void {
  if (!isObject(m)) return void p.add(field, 'not an object');
  if (!oneOf(p, m.kind, `${field}.kind`, L7_MATCHER_KINDS)) return;
  const allowed = KINDS_OF[attribute];
  if (!allowed.includes(m.kind)) {
    return void p.add(`${field}.kind`, `${m.kind} does not apply to ${attribute} (want ${allowed.join(', ')})`);
  }
  const f = `${field}.value`;
  const chars = attribute === 'request.header' ? 'header' : 'none';
  if (!text(p, m.value, f, { maxBytes: SECURITY_LIMITS.valueChars * 4, chars })) return;
  if (m.value.length > SECURITY_LIMITS.valueChars) return void p.add(f, `${m.value.length} characters (max ${SECURITY_LIMITS.valueChars})`);
  switch (m.kind) {
    case 'presence':
      if (m.value !== '') p.add(f, 'must be empty for presence');
      return;
    case 'cidr': {
      const r = parseCidr(m.value);
      if (!r.ok) p.add(f, r.error);
      return;
    }
    case 'port':
      if (!PORT.test(m.value) || Number(m.value) < 1 || Number(m.value) > 65535) p.add(f, `${show(m.value)} is not a port 1..65535`);
      return;
    case 'template': {
      const r = parsePathTemplate(m.value);
      if (!r.ok) p.add(f, r.why);
      return;
    }
    default:
      if (m.value === '') p.add(f, `empty (${m.kind} needs a value)`);
      else if (attribute === 'request.method' && !UPPER_TOKEN.test(m.value)) p.add(f, `${show(m.value)} is not an upper-case HTTP method`);
  }
}

function matchers(p: Problems, ms: readonly L7Matcher[], field: string, attribute: L7AttributeName): void {
  if (list(p, ms, field, SECURITY_LIMITS.valuesPerPredicate)) ms.forEach((m, i) => matcher(p, m, `${field}[${i}]`, attribute));
}

function predicate(p: Problems, pr: L7Predicate, field: string): void {
  if (!isObject(pr)) return void p.add(field, 'not an object');
  if (!oneOf(p, pr.attribute, `${field}.attribute`, L7_ATTRIBUTES)) return;
  if (pr.attribute === 'request.header') headerName(p, pr.key, `${field}.key`);
  else if (pr.key !== '') p.add(`${field}.key`, `${show(String(pr.key))} set, but only request.header takes a key`);
  const cf = `${field}.claimPath`;
  if (!Array.isArray(pr.claimPath)) p.add(cf, 'not a list');
  else if (pr.attribute !== 'request.auth.claim') {
    if (pr.claimPath.length > 0) p.add(cf, 'set, but only request.auth.claim takes a claim path');
  } else if (pr.claimPath.length === 0) p.add(cf, 'empty (request.auth.claim needs a claim path)');
  else if (list(p, pr.claimPath, cf, SECURITY_LIMITS.claimPathDepth)) {
    pr.claimPath.forEach((c, i) => text(p, c, `${cf}[${i}]`, { required: true }));
  }
  matchers(p, pr.values, `${field}.values`, pr.attribute);
  matchers(p, pr.notValues, `${field}.notValues`, pr.attribute);
}

function predicates(p: Problems, ps: readonly L7Predicate[], field: string): void {
  if (list(p, ps, field, SECURITY_LIMITS.predicatesPerRule)) ps.forEach((pr, i) => predicate(p, pr, `${field}[${i}]`));
}

function serviceKey(p: Problems, v: string, field: string): void {
  if (!text(p, v, field, { required: true })) return;
  const slash = v.indexOf('/');
  const ns = v.slice(0, slash);
  const host = v.slice(slash + 1);
  if (slash < 0 || !DNS_LABEL.test(ns) || ns.length > 63 || !SERVICE_HOSTNAME.test(host) || host.length > 253) {
    p.add(field, `${show(v)} is not a Service key "<namespace>/<hostname>"`);
  }
}

function targets(p: Problems, t: PolicyTargets, field: string): void {
  if (!isObject(t)) return void p.add(field, 'not an object');
  if (typeof t.all !== 'boolean') p.add(`${field}.all`, 'not a boolean');
  if (list(p, t.services, `${field}.services`, WAYPOINT_LIMITS.services)) {
    t.services.forEach((s, i) => serviceKey(p, s, `${field}.services[${i}]`));
  }
}

/** Name, namespace and targets, common to both kinds of policy. */
function identity(p: Problems, x: L7Policy | RequestAuthn, field: string): void {
  text(p, x.name, `${field}.name`, { required: true, maxBytes: 253, pattern: POLICY_NAME, what: 'policy name' });
  text(p, x.namespace, `${field}.namespace`, { required: true, maxBytes: 63, pattern: DNS_LABEL, what: 'namespace name' });
  targets(p, x.targets, `${field}.targets`);
}

function policy(p: Problems, x: L7Policy, field: string): void {
  identity(p, x, field);
  oneOf(p, x.action, `${field}.action`, L7_ACTIONS);
  if (typeof x.dryRun !== 'boolean') p.add(`${field}.dryRun`, 'not a boolean');
  if (!list(p, x.rules, `${field}.rules`, SECURITY_LIMITS.rulesPerPolicy)) return;
  x.rules.forEach((r, i) => {
    const rf = `${field}.rules[${i}]`;
    if (!isObject(r)) return void p.add(rf, 'not an object');
    for (const side of ['from', 'to'] as const) {
      const entries = r[side];
      if (!list(p, entries, `${rf}.${side}`, SECURITY_LIMITS.entriesPerRule)) continue;
      entries.forEach((e, j) => {
        const ef = `${rf}.${side}[${j}]`;
        if (!isObject(e)) return void p.add(ef, 'not an object');
        predicates(p, e.predicates, `${ef}.predicates`);
      });
    }
    predicates(p, r.when, `${rf}.when`);
  });
}

/** A header a JWT rule writes: a valid lower-case name, not a pseudo-header nor one framing needs. */
function outputHeader(p: Problems, v: string, field: string): void {
  if (typeof v === 'string' && v.startsWith(':')) return void p.add(field, `${show(v)} is a pseudo-header`);
  if (!headerName(p, v, field)) return;
  if (RESERVED_OUTPUT_HEADERS.has(v)) p.add(field, `${show(v)} may not be overwritten`);
}

function jwks(p: Problems, v: string, field: string): void {
  if (v.length > SECURITY_LIMITS.jwksChars) return void p.add(field, `${v.length} characters (max ${SECURITY_LIMITS.jwksChars})`);
  let parsed: unknown;
  try {
    parsed = JSON.parse(v);
  } catch (err) {
    return void p.add(field, `not JSON (${err instanceof Error ? err.message : String(err)})`);
  }
  if (!isObject(parsed)) return void p.add(field, 'not a JSON object');
  const keys = (parsed as { keys?: unknown }).keys;
  if (!Array.isArray(keys)) return void p.add(`${field}.keys`, 'missing or not a list');
  if (keys.length > JWKS_KEYS_MAX) return void p.add(`${field}.keys`, `${keys.length} entries (max ${JWKS_KEYS_MAX})`);
  keys.forEach((k: unknown, i) => {
    if (!isObject(k)) p.add(`${field}.keys[${i}]`, 'not an object');
  });
}

function jwksUri(p: Problems, v: string, field: string): void {
  if (!text(p, v, field, { maxBytes: URI_MAX_BYTES, pattern: PRINTABLE, what: 'URL' })) return;
  let url: URL;
  try {
    url = new URL(v);
  } catch {
    return void p.add(field, `${show(v)} is not an absolute URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') p.add(field, `${show(v)} is not an http: or https: URL`);
  else if (url.hostname === '') p.add(field, `${show(v)} has no host`);
  else if (url.username !== '' || url.password !== '') p.add(field, `${show(v)} carries credentials`);
}

function jwtRule(p: Problems, r: JwtRule, field: string): void {
  if (!isObject(r)) return void p.add(field, 'not an object');
  text(p, r.issuer, `${field}.issuer`, { required: true, maxBytes: SECURITY_LIMITS.valueChars });
  if (list(p, r.audiences, `${field}.audiences`, JWT_LIST_MAX)) {
    r.audiences.forEach((a, i) => text(p, a, `${field}.audiences[${i}]`, { required: true, maxBytes: SECURITY_LIMITS.valueChars }));
  }
  const hasJwks = typeof r.jwks === 'string' && r.jwks !== '';
  const hasUri = typeof r.jwksUri === 'string' && r.jwksUri !== '';
  if (typeof r.jwks !== 'string') p.add(`${field}.jwks`, 'not a string');
  else if (typeof r.jwksUri !== 'string') p.add(`${field}.jwksUri`, 'not a string');
  else if (hasJwks && hasUri) p.add(field, 'both jwks and jwksUri set (want exactly one)');
  else if (!hasJwks && !hasUri) p.add(field, 'neither jwks nor jwksUri set (want exactly one)');
  else if (hasJwks) jwks(p, r.jwks, `${field}.jwks`);
  else jwksUri(p, r.jwksUri, `${field}.jwksUri`);
  if (list(p, r.fromHeaders, `${field}.fromHeaders`, JWT_LIST_MAX)) {
    r.fromHeaders.forEach((h, i) => {
      const hf = `${field}.fromHeaders[${i}]`;
      if (!isObject(h)) return void p.add(hf, 'not an object');
      headerName(p, h.name, `${hf}.name`);
      text(p, h.prefix, `${hf}.prefix`, { pattern: PRINTABLE, what: 'prefix (printable ASCII)' });
    });
  }
  if (list(p, r.fromParams, `${field}.fromParams`, JWT_LIST_MAX)) {
    r.fromParams.forEach((q, i) => text(p, q, `${field}.fromParams[${i}]`, { required: true }));
  }
  if (list(p, r.fromCookies, `${field}.fromCookies`, JWT_LIST_MAX)) {
    r.fromCookies.forEach((c, i) => text(p, c, `${field}.fromCookies[${i}]`, { required: true, pattern: TOKEN, what: 'cookie name' }));
  }
  if (typeof r.forwardOriginalToken !== 'boolean') p.add(`${field}.forwardOriginalToken`, 'not a boolean');
  if (r.outputPayloadToHeader !== '') outputHeader(p, r.outputPayloadToHeader, `${field}.outputPayloadToHeader`);
  if (list(p, r.outputClaimToHeaders, `${field}.outputClaimToHeaders`, JWT_LIST_MAX)) {
    r.outputClaimToHeaders.forEach((c, i) => {
      const cf = `${field}.outputClaimToHeaders[${i}]`;
      if (!isObject(c)) return void p.add(cf, 'not an object');
      outputHeader(p, c.header, `${cf}.header`);
      text(p, c.claim, `${cf}.claim`, { required: true });
    });
  }
  int(p, r.timeoutMs, `${field}.timeoutMs`, 1, SECURITY_LIMITS.timeoutMsMax);
}

function authn(p: Problems, x: RequestAuthn, field: string): void {
  identity(p, x, field);
  if (list(p, x.rules, `${field}.rules`, SECURITY_LIMITS.jwtRulesPerPolicy)) x.rules.forEach((r, i) => jwtRule(p, r, `${field}.rules[${i}]`));
}

/** Walks a list of policies, reporting the second and later uses of one "<namespace>/<name>". */
function policies<T extends L7Policy | RequestAuthn>(p: Problems, xs: readonly T[], field: string, check: (p: Problems, x: T, f: string) => void): void {
  if (!list(p, xs, field, SECURITY_LIMITS.policies)) return;
  const seen = new Map<string, number>();
  xs.forEach((x, i) => {
    const f = `${field}[${i}]`;
    if (!isObject(x)) return void p.add(f, 'not an object');
    check(p, x, f);
    const key = `${String(x.namespace)}/${String(x.name)}`;
    const first = seen.get(key);
    if (first !== undefined) p.add(f, `${show(key)} duplicates ${field}[${first}]`);
    else seen.set(key, i);
  });
}

/** Adds the problems of `s` to `p` (the walk of waypoint-validate.ts); throws Stop at p's cap. */
export function checkSecurity(p: Problems, s: WaypointSecurity, path: string): void {
  if (!isObject(s)) return void p.add(path, 'not an object');
  oneOf(p, s.pathNormalization, `${path}.pathNormalization`, PATH_NORMALIZATIONS);
  policies(p, s.authorization, `${path}.authorization`, policy);
  policies(p, s.authentication, `${path}.authentication`, authn);
}

/**
 * Every problem of a security config ("field.path: why"); empty when it is valid. After `max`
 * problems the walk stops and a last line says so.
 */
export function securityProblems(s: WaypointSecurity, path = 'security', max = 64): string[] {
  const p = new Problems(Math.max(1, max));
  try {
    checkSecurity(p, s, path);
  } catch (err) {
    if (!(err instanceof Stop)) p.list.push(`${path}: malformed value (${err instanceof Error ? err.message : String(err)})`);
  }
  return p.list;
}
