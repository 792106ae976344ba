// Compiles one L7 predicate (pkg/api/waypoint-security-types.ts) into a closure over a request's
// attributes: which values the attribute has for this request, and the matchers built once per
// config (exact values in a Set, templates parsed, CIDRs parsed, ports as numbers). Per the
// contract: some value matches some attribute value (or there are no values) and no notValue
// matches any attribute value; an absent attribute has no values, so it fails a values list and
// passes every notValues list (Envoy's `not_id`: "DENY notRequestPrincipals [*]" fires for a
// request without a JWT). Pure.
//
// Attribute values:
// - request.host: the authority lower-cased; a matcher value without a port (no ":digits" after
//   the name or the "[v6]" literal) is also tried against the authority with its port stripped
//   (`example.com` matches `Example.COM:8080`, so notHosts cannot be dodged by adding a port).
// - request.method: upper-cased (matcher values too).
// - request.header: every value separately, spaces and tabs around it trimmed.
// - request.auth.claim: the claim at claimPath (own properties of nested objects only); a list
//   gives its string elements, a number or boolean its JSON text; null and objects are absent.
// - connection.sni: never present (the tunnel carries plaintext HTTP).
// `presence` matches any non-empty value. A matcher that cannot be compiled (never the case for
// codec-valid input) makes compilePredicate return undefined; the caller fails the policy closed.

import { matchPathTemplate, parsePathTemplate } from '../../pkg/api/path-template';
import type { L7Matcher, L7Predicate } from '../../pkg/api/waypoint-security-types';
import type { RequestAttributes } from './attributes';
import { cidrContains, compileCidr, parseIp, type CompiledCidr, type IpValue } from '../../pkg/api/ip-match';

export type CompiledPredicate = (attrs: RequestAttributes) => boolean;

type Test<T> = (value: T) => boolean;

const NONE: readonly never[] = [];
const PORT = /^[0-9]{1,5}$/;
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;

/** The predicate over one attribute whose per-request values `extract` returns. */
function predicate<T>(extract: (a: RequestAttributes) => readonly T[], any: Test<T> | undefined, none: Test<T> | undefined): CompiledPredicate {
  return (a) => {
    const values = extract(a);
    if (any && !values.some(any)) return false;
    if (none && values.some(none)) return false;
    return true;
  };
}

/** One string matcher; undefined for a kind strings cannot take. */
function stringTest(m: L7Matcher, fold: (s: string) => string): Test<string> | undefined {
  const v = fold(m.value);
  switch (m.kind) {
    case 'exact': return (s) => s === v;
    case 'prefix': return (s) => s.startsWith(v);
    case 'suffix': return (s) => s.endsWith(v);
    case 'presence': return (s) => s !== '';
    case 'template': {
      const parsed = parsePathTemplate(m.value);
      if (!parsed.ok) return undefined;
      const segments = parsed.segments;
      return (s) => matchPathTemplate(segments, s);
    }
    default: return undefined;
  }
}

/** Any of `matchers` (exact ones looked up in a Set); undefined for an empty list; null if one cannot compile. */
function stringAny(matchers: readonly L7Matcher[], fold: (s: string) => string, allowTemplate: boolean): Test<string> | undefined | null {
  if (matchers.length === 0) return undefined;
  const exact = new Set<string>();
  const others: Test<string>[] = [];
  for (const m of matchers) {
    if (m.kind === 'exact') { exact.add(fold(m.value)); continue; }
    if (m.kind === 'template' && !allowTemplate) return null;
    const t = stringTest(m, fold);
    if (!t) return null;
    others.push(t);
  }
  if (others.length === 0) return (s) => exact.has(s);
  return (s) => exact.has(s) || others.some((t) => t(s));
}

const same = (s: string): string => s;
const lower = (s: string): string => s.toLowerCase();
const upper = (s: string): string => s.toUpperCase();

/** The authority without a trailing ":port" ("[v6]:port" keeps its brackets' content). */
export function stripPort(host: string): string {
  if (host.startsWith('[')) {
    const close = host.indexOf(']');
    return close > 0 && host.slice(close + 1).startsWith(':') ? host.slice(0, close + 1) : host;
  }
  const colon = host.lastIndexOf(':');
  if (colon < 0 || host.indexOf(':') !== colon) return host; // no port, or a bare IPv6 literal
  return /^[0-9]*$/.test(host.slice(colon + 1)) ? host.slice(0, colon) : host;
}

/** Host matchers: values with a port see the whole authority, the others also its port-less form. */
function hostAny(matchers: readonly L7Matcher[]): Test<string> | undefined | null {
  if (matchers.length === 0) return undefined;
  const hasPort = (m: L7Matcher): boolean => stripPort(m.value) !== m.value;
  const withPort = stringAny(matchers.filter(hasPort), lower, false);
  const portless = stringAny(matchers.filter((m) => !hasPort(m)), lower, false);
  if (withPort === null || portless === null) return null;
  return (h) => {
    if (withPort && withPort(h)) return true;
    if (!portless) return false;
    if (portless(h)) return true;
    const bare = stripPort(h);
    return bare !== h && portless(bare);
  };
}

function ipAny(matchers: readonly L7Matcher[]): Test<IpValue> | undefined | null {
  if (matchers.length === 0) return undefined;
  const nets: CompiledCidr[] = [];
  for (const m of matchers) {
    if (m.kind !== 'cidr') return null;
    try {
      nets.push(compileCidr(m.value));
    } catch {
      return null;
    }
  }
  return (ip) => nets.some((n) => cidrContains(n, ip));
}

function portAny(matchers: readonly L7Matcher[]): Test<number> | undefined | null {
  if (matchers.length === 0) return undefined;
  const ports = new Set<number>();
  for (const m of matchers) {
    if (m.kind !== 'port' || !PORT.test(m.value)) return null;
    ports.add(Number(m.value));
  }
  return (p) => ports.has(p);
}

function one(s: string | undefined): readonly string[] {
  return s === undefined || s === '' ? NONE : [s];
}

function ip(text: string): readonly IpValue[] {
  const v = text === '' ? undefined : parseIp(text);
  return v ? [v] : NONE;
}

/** The claim at `path` as strings to match; [] when absent. */
export function claimValues(claims: Readonly<Record<string, unknown>>, path: readonly string[]): readonly string[] {
  let cur: unknown = claims;
  for (const key of path) {
    if (typeof cur !== 'object' || cur === null || Array.isArray(cur) || !Object.hasOwn(cur, key)) return NONE;
    cur = (cur as Record<string, unknown>)[key];
  }
  if (typeof cur === 'string') return [cur];
  if (typeof cur === 'number' || typeof cur === 'boolean') return [JSON.stringify(cur)];
  if (Array.isArray(cur)) return cur.filter((e): e is string => typeof e === 'string');
  return NONE;
}

function strings(
  p: L7Predicate,
  extract: (a: RequestAttributes) => readonly string[],
  fold: (s: string) => string = same,
  allowTemplate = false,
): CompiledPredicate | undefined {
  const any = stringAny(p.values, fold, allowTemplate);
  const none = stringAny(p.notValues, fold, allowTemplate);
  return any === null || none === null ? undefined : predicate(extract, any, none);
}

function typed<T>(p: L7Predicate, extract: (a: RequestAttributes) => readonly T[], build: (ms: readonly L7Matcher[]) => Test<T> | undefined | null): CompiledPredicate | undefined {
  const any = build(p.values);
  const none = build(p.notValues);
  return any === null || none === null ? undefined : predicate(extract, any, none);
}

/** The predicate's closure; undefined when a matcher does not fit its attribute. */
export function compilePredicate(p: L7Predicate): CompiledPredicate | undefined {
  switch (p.attribute) {
    case 'source.principal': return strings(p, (a) => one(a.sourcePrincipal));
    case 'source.namespace': return strings(p, (a) => one(a.sourceNamespace));
    case 'source.ip': return typed(p, (a) => ip(a.sourceIp), ipAny);
    case 'remote.ip': return typed(p, (a) => ip(a.remoteIp), ipAny);
    case 'destination.ip': return typed(p, (a) => ip(a.destinationIp), ipAny);
    case 'destination.port': return typed(p, (a) => (a.destinationPort > 0 ? [a.destinationPort] : NONE), portAny);
    case 'request.host': return typed(p, (a) => one(a.host.toLowerCase()), hostAny);
    case 'request.method': return strings(p, (a) => one(a.method.toUpperCase()), upper);
    case 'request.path': return strings(p, (a) => one(a.path), same, true);
    case 'request.header': {
      const key = p.key.toLowerCase();
      if (key === '') return undefined;
      return strings(p, (a) => a.header(key).map((v) => v.replace(OWS_EDGES, '')));
    }
    case 'request.auth.principal': return strings(p, (a) => one(a.auth?.principal));
    case 'request.auth.audiences': return strings(p, (a) => a.auth?.audiences ?? NONE);
    case 'request.auth.presenter': return strings(p, (a) => one(a.auth?.presenter));
    case 'request.auth.claim': {
      if (p.claimPath.length === 0) return undefined;
      const path = [...p.claimPath];
      return strings(p, (a) => (a.auth ? claimValues(a.auth.claims, path) : NONE));
    }
    case 'connection.sni': return strings(p, () => NONE);
    default: return undefined;
  }
}
