// The value forms of AuthorizationPolicy fields as a waypoint matches them (L7Matcher): Istio's
// wildcard forms (`*` presence, `*suffix`, `prefix*`, else exact) for principals, namespaces,
// hosts (lower-cased), JWT attributes and header values; service accounts as literal principals;
// methods (exact, upper-case); paths (wildcards or `{*}` / `{**}` templates, with warnings for
// values no normalized request path can equal); CIDRs and ports; header names. Pure.

import type { StringMatch } from '../../pkg/api/authorization-types';
import { isPathTemplate, parsePathTemplate } from '../../pkg/api/path-template';
import type { L7Matcher } from '../../pkg/api/waypoint-security-types';
import { show } from './field-report';
import { cidrValue, portValue } from './network-forms';
import {
  namespaceMatch, type Parsed, principalMatch, serviceAccountMatch, wildcardMatch,
} from './string-forms';

/** RFC 9110 token characters (header names, methods). */
export const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** What a host (authority) value may contain once lower-cased: RFC 3986 reg-name, IP literal, port. */
const HOST_CHARS = /^[a-z0-9\-._~%!$&'()+,;=:[\]]+$/;

const ok = (value: L7Matcher, warning?: string): Parsed<L7Matcher> => (warning === undefined ? { ok: true, value } : { ok: true, value, warning });
const bad = (reason: string): Parsed<L7Matcher> => ({ ok: false, reason });

/** An authorization StringMatch as a waypoint matcher. */
export function fromStringMatch(m: StringMatch): L7Matcher {
  return m.kind === 'presence' ? { kind: 'presence', value: '' } : { kind: m.kind, value: m.value };
}

function mapped(parsed: Parsed<StringMatch>): Parsed<L7Matcher> {
  if (!parsed.ok) return parsed;
  return ok(fromStringMatch(parsed.value), parsed.warning);
}

/** Any string attribute in Istio's wildcard forms (request principals, audiences, claims, header values). */
export function stringValue(raw: string): Parsed<L7Matcher> {
  return mapped(wildcardMatch(raw));
}

export function principalValue(raw: string, trustDomain: string): Parsed<L7Matcher> {
  return mapped(principalMatch(raw, trustDomain));
}

export function namespaceValue(raw: string): Parsed<L7Matcher> {
  return mapped(namespaceMatch(raw));
}

/**
 * A `serviceAccounts` value ("ns/sa" or "sa") as the exact principal `<td>/ns/<ns>/sa/<sa>`: a
 * literal, so a "." in a name is a dot and nothing else.
 */
export function serviceAccountValue(raw: string, policyNamespace: string, trustDomain: string): Parsed<L7Matcher> {
  const parsed = serviceAccountMatch(raw, policyNamespace);
  if (!parsed.ok) return parsed;
  return ok({ kind: 'exact', value: `${trustDomain}/ns/${parsed.value.namespace}/sa/${parsed.value.serviceAccount}` });
}

export function cidrMatcher(raw: string): Parsed<L7Matcher> {
  const parsed = cidrValue(raw);
  if (!parsed.ok) return parsed;
  return ok({ kind: 'cidr', value: parsed.value }, parsed.warning);
}

export function portMatcher(raw: string): Parsed<L7Matcher> {
  const parsed = portValue(raw);
  if (!parsed.ok) return parsed;
  return ok({ kind: 'port', value: String(parsed.value) });
}

/** A `hosts` value: compared case-insensitively, so it is lower-cased here. */
export function hostValue(raw: string): Parsed<L7Matcher> {
  const lower = raw.toLowerCase();
  const parsed = wildcardMatch(lower);
  if (!parsed.ok) return parsed;
  const m = parsed.value;
  if (m.kind !== 'presence' && !HOST_CHARS.test(m.value)) {
    return bad(`${show(raw)} is not a host (a name or address, optionally with ":port")`);
  }
  return ok(fromStringMatch(m));
}

/** A `methods` value: exact, matched upper-case (a lower-case value is upper-cased with a warning). */
export function methodValue(raw: string): Parsed<L7Matcher> {
  if (raw.includes('*')) return bad(`${show(raw)}: wildcards are not supported in methods (list the methods, or omit the field for any method)`);
  if (!TOKEN.test(raw)) return bad(`${show(raw)} is not an HTTP method`);
  const upper = raw.toUpperCase();
  return ok({ kind: 'exact', value: upper }, upper === raw ? undefined : `${show(raw)} is matched as ${show(upper)} (methods are upper-case)`);
}

const NOT_NORMALIZED = /\/\/|\/\.\.?(\/|$)|\\/;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;

/** An escape normalization rewrites: "/" or "\\", an unreserved character, or lower-case hex digits. */
function hasRewrittenEscape(value: string): boolean {
  for (const m of value.matchAll(/%([0-9A-Fa-f]{2})/g)) {
    const hex = m[1] ?? '';
    const ch = String.fromCharCode(parseInt(hex, 16));
    if (ch === '/' || ch === '\\' || UNRESERVED.test(ch) || hex !== hex.toUpperCase()) return true;
  }
  return false;
}

function pathWarning(raw: string, m: L7Matcher): string | undefined {
  if (m.kind === 'presence' || m.kind === 'suffix') return undefined;
  if (!m.value.startsWith('/')) return `${show(raw)} does not start with "/": no request path matches it`;
  if (/[?#]/.test(m.value)) return `${show(raw)}: paths are matched without the query and fragment, so this value never matches`;
  if (m.kind === 'exact' && (NOT_NORMALIZED.test(m.value) || hasRewrittenEscape(m.value))) {
    return `${show(raw)} is not a normalized path ("//", dot segments, "\\", or escapes normalization decodes): `
      + 'under ambit\'s default path normalization (DECODE_AND_MERGE_SLASHES) no request path equals it';
  }
  return undefined;
}

/** A `paths` value: a `{*}` / `{**}` template when it contains "{", else Istio's wildcard forms. */
export function pathValue(raw: string): Parsed<L7Matcher> {
  if (isPathTemplate(raw)) {
    const parsed = parsePathTemplate(raw);
    if (!parsed.ok) return bad(`invalid path ${parsed.why}`);
    return ok({ kind: 'template', value: raw });
  }
  const parsed = wildcardMatch(raw);
  if (!parsed.ok) return parsed;
  const m = fromStringMatch(parsed.value);
  return ok(m, pathWarning(raw, m));
}

/** A header name: lower-cased; a pseudo-header (":path") is refused, with `pseudoHint` saying what to use instead. */
export function headerName(raw: string, pseudoHint = ''): Parsed<string> {
  if (raw.startsWith(':')) return { ok: false, reason: `${show(raw)} is a pseudo-header, not a header name${pseudoHint}` };
  if (!TOKEN.test(raw)) return { ok: false, reason: `${show(raw)} is not a header name` };
  return { ok: true, value: raw.toLowerCase() };
}
