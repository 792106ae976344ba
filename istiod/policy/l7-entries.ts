// One `from[].source`, `to[].operation` or `when[]` entry of an AuthorizationPolicy a waypoint
// enforces, read strictly and turned into the waypoint's predicates (waypoint-security-types.ts):
// each field pair (`x` / `notX`) becomes one predicate with values and notValues; a source or
// operation becomes one L7Entry (its predicates AND-ed); a `when` condition becomes one predicate
// (`request.headers[x]` → request.header key x, `request.auth.claims[a][b]` → claim path [a, b]).
// Also the lint-style warnings Istio's best practices ask for. Pure.

import {
  SECURITY_LIMITS, type L7Action, type L7AttributeName, type L7Entry, type L7Matcher, type L7Predicate,
} from '../../pkg/api/waypoint-security-types';
import { MAX_VALUES_PER_FIELD, SOURCE_FIELDS } from './authorization-entries';
import {
  checkKnownFields, FieldReport, isUnsetList, type JsonObject, own, readString, readStringList, show,
} from './field-report';
import {
  cidrMatcher, headerName, hostValue, methodValue, namespaceValue, pathValue, portMatcher, principalValue,
  serviceAccountValue, stringValue,
} from './l7-values';
import type { Parsed } from './string-forms';

export interface L7EntryContext {
  readonly policyNamespace: string;
  readonly trustDomain: string;
  readonly report: FieldReport;
  /** The action the waypoint takes (CUSTOM arrives as DENY); drives the lint warnings. */
  readonly action: L7Action;
}

type Parse = (raw: string) => Parsed<L7Matcher>;

/** Converts every value of a list; bad values are reported at `path[i]` and left out. */
function convertValues(values: readonly (string | undefined)[], path: string, report: FieldReport, parse: Parse): L7Matcher[] {
  const out: L7Matcher[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return; // already reported
    const parsed = parse(v);
    if (!parsed.ok) report.problem(`${path}[${i}]`, parsed.reason);
    else {
      if (parsed.warning) report.warn(`${path}[${i}]`, parsed.warning);
      out.push(Object.freeze(parsed.value));
    }
  });
  return out;
}

function list(obj: JsonObject, key: string, path: string, report: FieldReport): readonly (string | undefined)[] {
  return readStringList(own(obj, key), `${path}.${key}`, report, MAX_VALUES_PER_FIELD) ?? [];
}

function predicate(attribute: L7AttributeName, values: L7Matcher[], notValues: L7Matcher[], key = '', claimPath: readonly string[] = []): L7Predicate {
  return Object.freeze({
    attribute, key, claimPath: Object.freeze([...claimPath]), values: Object.freeze(values), notValues: Object.freeze(notValues),
  });
}

/** One `x` / `notX` field pair → a predicate (or nothing when both are unset). */
function pair(obj: JsonObject, path: string, keys: readonly [string, string], attribute: L7AttributeName, parse: Parse, ctx: L7EntryContext, out: L7Predicate[]): void {
  const [pos, neg] = keys;
  const values = convertValues(list(obj, pos, path, ctx.report), `${path}.${pos}`, ctx.report, parse);
  const notValues = convertValues(list(obj, neg, path, ctx.report), `${path}.${neg}`, ctx.report, parse);
  if (values.length + notValues.length === 0) return;
  out.push(predicate(attribute, values, notValues));
}

/** `from[j].source` at `path`. */
export function l7Source(source: JsonObject, path: string, ctx: L7EntryContext): L7Entry {
  const { report } = ctx;
  checkKnownFields(source, SOURCE_FIELDS, path, report);
  if (SOURCE_FIELDS.every((k) => isUnsetList(own(source, k)))) report.problem(path, 'must set at least one field (omit `from` to match any source)');
  const set = (k: string): boolean => !isUnsetList(own(source, k));
  for (const key of ['serviceAccounts', 'notServiceAccounts']) {
    if (set(key) && ['principals', 'notPrincipals', 'namespaces', 'notNamespaces'].some(set)) {
      report.problem(`${path}.${key}`, 'cannot be combined with principals, notPrincipals, namespaces or notNamespaces in one source');
    }
  }
  const out: L7Predicate[] = [];
  const principal: Parse = (raw) => principalValue(raw, ctx.trustDomain);
  const serviceAccount: Parse = (raw) => serviceAccountValue(raw, ctx.policyNamespace, ctx.trustDomain);
  pair(source, path, ['principals', 'notPrincipals'], 'source.principal', principal, ctx, out);
  pair(source, path, ['serviceAccounts', 'notServiceAccounts'], 'source.principal', serviceAccount, ctx, out);
  pair(source, path, ['namespaces', 'notNamespaces'], 'source.namespace', namespaceValue, ctx, out);
  pair(source, path, ['ipBlocks', 'notIpBlocks'], 'source.ip', cidrMatcher, ctx, out);
  pair(source, path, ['remoteIpBlocks', 'notRemoteIpBlocks'], 'remote.ip', cidrMatcher, ctx, out);
  pair(source, path, ['requestPrincipals', 'notRequestPrincipals'], 'request.auth.principal', stringValue, ctx, out);
  return Object.freeze({ predicates: Object.freeze(out) });
}

const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;
const PREFER = 'prefer ALLOW-positive / DENY-negative (list what is allowed, or deny what is not listed)';

/** hardening.md §1A #15: forms that fail open when a request is written in a way the list did not foresee. */
function lintOperation(operation: JsonObject, path: string, paths: readonly L7Matcher[], ctx: L7EntryContext): void {
  if (ctx.action === 'ALLOW') {
    for (const key of ['notHosts', 'notMethods', 'notPaths']) {
      if (isUnsetList(own(operation, key))) continue;
      ctx.report.warn(`${path}.${key}`, `an ALLOW rule with ${key} allows everything it does not list, including other ways `
        + `of writing what it lists; ${PREFER}`);
    }
  }
  if (ctx.action === 'DENY' && paths.some((m) => m.kind !== 'presence')) {
    ctx.report.warn(`${path}.paths`, 'a DENY rule with paths denies only requests whose normalized path matches; a path written '
      + `differently (case, a trailing "/", an encoding the normalization mode keeps) is not denied; ${PREFER}`);
  }
}

/** `to[j].operation` at `path`. */
export function l7Operation(operation: JsonObject, path: string, ctx: L7EntryContext): L7Entry {
  const { report } = ctx;
  checkKnownFields(operation, OPERATION_FIELDS, path, report);
  if (OPERATION_FIELDS.every((k) => isUnsetList(own(operation, k)))) report.problem(path, 'must set at least one field (omit `to` to match any operation)');
  const out: L7Predicate[] = [];
  pair(operation, path, ['hosts', 'notHosts'], 'request.host', hostValue, ctx, out);
  pair(operation, path, ['ports', 'notPorts'], 'destination.port', portMatcher, ctx, out);
  pair(operation, path, ['methods', 'notMethods'], 'request.method', methodValue, ctx, out);
  pair(operation, path, ['paths', 'notPaths'], 'request.path', pathValue, ctx, out);
  lintOperation(operation, path, out.find((p) => p.attribute === 'request.path')?.values ?? [], ctx);
  return Object.freeze({ predicates: Object.freeze(out) });
}

/** A `when` key, understood: the attribute, its header key or claim path, and how values parse. */
type Key =
  | { readonly ok: true; readonly attribute: L7AttributeName; readonly key: string; readonly claimPath: readonly string[]; readonly parse: Parse }
  | { readonly ok: false; readonly reason: string };

const BRACKETS = /\[([^[\]]+)\]/g;
const HEADER_KEY = /^request\.headers(\[[^[\]]+\])$/;
const CLAIM_KEY = /^request\.auth\.claims((\[[^[\]]+\])+)$/;
const ENVOY_FILTER_KEY = /^experimental\.envoy\.filters\./;

function plainKey(key: string, ctx: L7EntryContext): Key | undefined {
  const simple = (attribute: L7AttributeName, parse: Parse): Key => ({ ok: true, attribute, key: '', claimPath: [], parse });
  switch (key) {
    case 'source.ip': return simple('source.ip', cidrMatcher);
    case 'remote.ip': return simple('remote.ip', cidrMatcher);
    case 'destination.ip': return simple('destination.ip', cidrMatcher);
    case 'destination.port': return simple('destination.port', portMatcher);
    case 'source.namespace': return simple('source.namespace', namespaceValue);
    case 'source.principal': return simple('source.principal', (raw) => principalValue(raw, ctx.trustDomain));
    case 'request.auth.principal': return simple('request.auth.principal', stringValue);
    case 'request.auth.audiences': return simple('request.auth.audiences', stringValue);
    case 'request.auth.presenter': return simple('request.auth.presenter', stringValue);
    case 'connection.sni': return simple('connection.sni', stringValue);
    default: return undefined;
  }
}

function readKey(key: string, ctx: L7EntryContext): Key {
  const plain = plainKey(key, ctx);
  if (plain) return plain;
  const header = HEADER_KEY.exec(key);
  if (header) {
    const name = headerName((header[1] ?? '').slice(1, -1), ' (use hosts, methods or paths for :authority, :method, :path)');
    if (!name.ok) return name;
    return { ok: true, attribute: 'request.header', key: name.value, claimPath: [], parse: stringValue };
  }
  const claims = CLAIM_KEY.exec(key);
  if (claims) {
    const claimPath = [...(claims[1] ?? '').matchAll(BRACKETS)].map((m) => m[1] ?? '');
    if (claimPath.length > SECURITY_LIMITS.claimPathDepth) {
      return { ok: false, reason: `${show(key)}: claims nested ${claimPath.length} deep (at most ${SECURITY_LIMITS.claimPathDepth})` };
    }
    return { ok: true, attribute: 'request.auth.claim', key: '', claimPath, parse: stringValue };
  }
  if (ENVOY_FILTER_KEY.test(key)) return { ok: false, reason: `${show(key)}: Envoy filter metadata is not supported by ambit's waypoint` };
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims')) {
    return { ok: false, reason: `${show(key)} must name an entry in brackets, e.g. request.headers[x-user] or request.auth.claims[groups]` };
  }
  return { ok: false, reason: `unknown attribute ${show(key)} (see Istio's authorization conditions)` };
}

/** `when[k]` at `path`; undefined when the key is missing or unknown (reported). */
export function l7Condition(condition: JsonObject, path: string, ctx: L7EntryContext): L7Predicate | undefined {
  const { report } = ctx;
  checkKnownFields(condition, ['key', 'values', 'notValues'], path, report);
  const rawKey = readString(own(condition, 'key'), `${path}.key`, report);
  const values = list(condition, 'values', path, report);
  const notValues = list(condition, 'notValues', path, report);
  if (rawKey === undefined) {
    if (own(condition, 'key') === undefined || own(condition, 'key') === null) report.problem(`${path}.key`, 'is required');
    return undefined;
  }
  if (isUnsetList(own(condition, 'values')) && isUnsetList(own(condition, 'notValues'))) {
    report.problem(path, `at least one of values or notValues must be set for ${show(rawKey)}`);
  }
  const key = readKey(rawKey, ctx);
  if (!key.ok) {
    report.problem(`${path}.key`, key.reason);
    return undefined;
  }
  const p = predicate(key.attribute, convertValues(values, `${path}.values`, report, key.parse),
    convertValues(notValues, `${path}.notValues`, report, key.parse), key.key, key.claimPath);
  if (key.attribute === 'connection.sni') {
    report.warn(`${path}.key`, 'connection.sni is never present at a waypoint (the tunnel carries plaintext HTTP): '
      + 'this condition never matches, so its rule never matches');
  }
  return p;
}
