// One `from[].source`, `to[].operation` or `when[]` entry of an AuthorizationPolicy rule, read
// strictly and split into what ztunnel can enforce (an AuthorizationMatch of L4 attributes) and
// the HTTP/L7 attributes it cannot (their field paths, for the caller to drop and warn about).
// Istio's ambient converter is the model: each entry becomes one Match; `when` values and
// notValues of one key become the positive and negative lists of one Match. Pure.

import { EMPTY_MATCH, type AuthorizationMatch, type Cidr, type ServiceAccountMatch, type StringMatch } from '../../pkg/api/authorization-types';
import {
  checkKnownFields, FieldReport, isUnsetList, type JsonObject, own, readString, readStringList, show,
} from './field-report';
import { cidrValue, portValue } from './network-forms';
import { namespaceMatch, type Parsed, principalMatch, serviceAccountMatch } from './string-forms';

/** Entries of one list field (`principals`, `ports`, `values`, ...). */
export const MAX_VALUES_PER_FIELD = 1024;

export interface EntryContext {
  readonly policyNamespace: string;
  readonly trustDomain: string;
  readonly report: FieldReport;
  readonly action: 'ALLOW' | 'DENY';
}

/** An L7 attribute found in an entry: where, and what it is (for the warning). */
export interface L7Attribute {
  readonly field: string;
  readonly what: string;
}

/**
 * How an entry uses the peer identity: `required` (a positive identity match, which plaintext never
 * satisfies), `negative-only` (only not-matches, which plaintext does satisfy; `field` says where),
 * or `none`.
 */
export type IdentityUse =
  | { readonly kind: 'required' }
  | { readonly kind: 'negative-only'; readonly field: string }
  | { readonly kind: 'none' };

export interface ConvertedEntry {
  /** The L4 part. */
  readonly match: AuthorizationMatch;
  /** Whether the L4 part sets any field (an empty Match never matches at ztunnel). */
  readonly hasL4: boolean;
  readonly l7: readonly L7Attribute[];
  readonly identity: IdentityUse;
}

const NO_IDENTITY: IdentityUse = { kind: 'none' };

/** `negative-only` at `field` unless a value is `*`: `not [*]` means "no identity", on purpose. */
function negativeIdentity(values: readonly (string | undefined)[], field: string): IdentityUse {
  return values.length > 0 && !values.includes('*') ? { kind: 'negative-only', field } : NO_IDENTITY;
}

type Mutable<T> = { -readonly [K in keyof T]: T[K] extends readonly (infer U)[] ? U[] : T[K] };

function emptyMatch(): Mutable<AuthorizationMatch> {
  return {
    namespaces: [], notNamespaces: [], serviceAccounts: [], notServiceAccounts: [], principals: [], notPrincipals: [],
    sourceIps: [], notSourceIps: [], destinationIps: [], notDestinationIps: [], destinationPorts: [], notDestinationPorts: [],
  };
}

function hasFields(m: AuthorizationMatch): boolean {
  return (Object.keys(EMPTY_MATCH) as (keyof AuthorizationMatch)[]).some((k) => m[k].length > 0);
}

/** Converts every value of a list; bad values are reported at `path[i]` and left out. */
function convertValues<T>(values: readonly (string | undefined)[], path: string, report: FieldReport, parse: (v: string) => Parsed<T>): T[] {
  const out: T[] = [];
  values.forEach((v, i) => {
    if (v === undefined) return; // already reported
    const parsed = parse(v);
    if (!parsed.ok) report.problem(`${path}[${i}]`, parsed.reason);
    else {
      if (parsed.warning) report.warn(`${path}[${i}]`, parsed.warning);
      out.push(parsed.value);
    }
  });
  return out;
}

function list(obj: JsonObject, key: string, path: string, report: FieldReport): readonly (string | undefined)[] {
  return readStringList(own(obj, key), `${path}.${key}`, report, MAX_VALUES_PER_FIELD) ?? [];
}

/** The fields of `from[].source` (shared with the waypoint converter). */
export const SOURCE_FIELDS = [
  'principals', 'notPrincipals', 'requestPrincipals', 'notRequestPrincipals', 'namespaces', 'notNamespaces',
  'serviceAccounts', 'notServiceAccounts', 'ipBlocks', 'notIpBlocks', 'remoteIpBlocks', 'notRemoteIpBlocks',
] as const;

/** `from[j].source` at `path`. */
export function convertSource(source: JsonObject, path: string, ctx: EntryContext): ConvertedEntry {
  const { report } = ctx;
  checkKnownFields(source, SOURCE_FIELDS, path, report);
  const v = Object.fromEntries(SOURCE_FIELDS.map((k) => [k, list(source, k, path, report)])) as Record<(typeof SOURCE_FIELDS)[number], readonly (string | undefined)[]>;
  if (SOURCE_FIELDS.every((k) => isUnsetList(own(source, k)))) report.problem(path, 'must set at least one field (omit `from` to match any source)');
  const principal = (raw: string): Parsed<StringMatch> => principalMatch(raw, ctx.trustDomain);
  const serviceAccount = (raw: string): Parsed<ServiceAccountMatch> => serviceAccountMatch(raw, ctx.policyNamespace);
  const m = emptyMatch();
  m.principals = convertValues(v.principals, `${path}.principals`, report, principal);
  m.notPrincipals = convertValues(v.notPrincipals, `${path}.notPrincipals`, report, principal);
  m.namespaces = convertValues(v.namespaces, `${path}.namespaces`, report, namespaceMatch);
  m.notNamespaces = convertValues(v.notNamespaces, `${path}.notNamespaces`, report, namespaceMatch);
  m.serviceAccounts = convertValues(v.serviceAccounts, `${path}.serviceAccounts`, report, serviceAccount);
  m.notServiceAccounts = convertValues(v.notServiceAccounts, `${path}.notServiceAccounts`, report, serviceAccount);
  m.sourceIps = convertValues(v.ipBlocks, `${path}.ipBlocks`, report, cidrValue);
  m.notSourceIps = convertValues(v.notIpBlocks, `${path}.notIpBlocks`, report, cidrValue);
  // L7 values are still checked, so a typo is reported even where they are dropped.
  convertValues(v.remoteIpBlocks, `${path}.remoteIpBlocks`, report, cidrValue);
  convertValues(v.notRemoteIpBlocks, `${path}.notRemoteIpBlocks`, report, cidrValue);

  for (const key of ['serviceAccounts', 'notServiceAccounts'] as const) {
    if (v[key].length > 0 && (v.principals.length + v.notPrincipals.length + v.namespaces.length + v.notNamespaces.length) > 0) {
      report.problem(`${path}.${key}`, 'cannot be combined with principals, notPrincipals, namespaces or notNamespaces in one source');
    }
  }
  let identity: IdentityUse = NO_IDENTITY;
  if (v.principals.length + v.namespaces.length + v.serviceAccounts.length > 0) identity = { kind: 'required' };
  else {
    const negative = (['notPrincipals', 'notNamespaces', 'notServiceAccounts'] as const).find((k) => v[k].length > 0);
    if (negative) identity = negativeIdentity(v[negative], `${path}.${negative}`);
  }
  const l7: L7Attribute[] = [
    ...(['requestPrincipals', 'notRequestPrincipals'] as const)
      .filter((k) => v[k].length > 0)
      .map((k) => ({ field: `${path}.${k}`, what: `${k} is an HTTP attribute (the request's JWT)` })),
    ...(['remoteIpBlocks', 'notRemoteIpBlocks'] as const)
      .filter((k) => v[k].length > 0)
      .map((k) => ({ field: `${path}.${k}`, what: `${k} is an HTTP attribute (X-Forwarded-For or PROXY protocol)` })),
  ];
  return { match: m, hasL4: hasFields(m), l7, identity };
}

const OPERATION_FIELDS = ['hosts', 'notHosts', 'ports', 'notPorts', 'methods', 'notMethods', 'paths', 'notPaths'] as const;

/** `to[j].operation` at `path`. */
export function convertOperation(operation: JsonObject, path: string, ctx: EntryContext): ConvertedEntry {
  const { report } = ctx;
  checkKnownFields(operation, OPERATION_FIELDS, path, report);
  const v = Object.fromEntries(OPERATION_FIELDS.map((k) => [k, list(operation, k, path, report)])) as Record<(typeof OPERATION_FIELDS)[number], readonly (string | undefined)[]>;
  if (OPERATION_FIELDS.every((k) => isUnsetList(own(operation, k)))) report.problem(path, 'must set at least one field (omit `to` to match any operation)');
  const m = emptyMatch();
  m.destinationPorts = convertValues(v.ports, `${path}.ports`, report, portValue);
  m.notDestinationPorts = convertValues(v.notPorts, `${path}.notPorts`, report, portValue);
  const l7: L7Attribute[] = (['hosts', 'notHosts', 'methods', 'notMethods', 'paths', 'notPaths'] as const)
    .filter((k) => v[k].length > 0)
    .map((k) => ({ field: `${path}.${k}`, what: `${k} is an HTTP attribute` }));
  return { match: m, hasL4: hasFields(m), l7, identity: NO_IDENTITY };
}

type L4Key = 'source.ip' | 'destination.ip' | 'destination.port' | 'source.namespace' | 'source.principal';
const L4_KEYS: ReadonlySet<string> = new Set<L4Key>(['source.ip', 'destination.ip', 'destination.port', 'source.namespace', 'source.principal']);
const L7_KEYS: ReadonlySet<string> = new Set([
  'remote.ip', 'request.auth.principal', 'request.auth.audiences', 'request.auth.presenter', 'connection.sni',
]);
const HEADER_KEY = /^request\.headers\[[^[\]]+\]$/;
const CLAIM_KEY = /^request\.auth\.claims(\[[^[\]]+\])+$/;
const ENVOY_FILTER_KEY = /^experimental\.envoy\.filters\.[^[\]]+(\[[^[\]]+\])+$/;

/** Why a `when` key is unknown, or undefined when Istio knows it. */
function unknownKey(key: string): string | undefined {
  if (L4_KEYS.has(key) || L7_KEYS.has(key) || HEADER_KEY.test(key) || CLAIM_KEY.test(key) || ENVOY_FILTER_KEY.test(key)) return undefined;
  if (key.startsWith('request.headers') || key.startsWith('request.auth.claims') || key.startsWith('experimental.envoy.filters.')) {
    return `${show(key)} must name an entry in brackets, e.g. request.headers[x-user]`;
  }
  return `unknown attribute ${show(key)} (see Istio's authorization conditions)`;
}

function l7KeyDescription(key: string): string {
  if (key === 'connection.sni') return 'connection.sni (the TLS server name) is not part of ztunnel\'s policy format';
  return `${key} is an HTTP attribute`;
}

/** `when[k]` at `path`. */
export function convertCondition(condition: JsonObject, path: string, ctx: EntryContext): ConvertedEntry {
  const { report } = ctx;
  checkKnownFields(condition, ['key', 'values', 'notValues'], path, report);
  const key = readString(own(condition, 'key'), `${path}.key`, report);
  const values = list(condition, 'values', path, report);
  const notValues = list(condition, 'notValues', path, report);
  const m = emptyMatch();
  if (key === undefined) {
    if (own(condition, 'key') === undefined || own(condition, 'key') === null) report.problem(`${path}.key`, 'is required');
    return { match: m, hasL4: false, l7: [], identity: NO_IDENTITY };
  }
  const why = unknownKey(key);
  if (why) report.problem(`${path}.key`, why);
  if (isUnsetList(own(condition, 'values')) && isUnsetList(own(condition, 'notValues'))) report.problem(path, `at least one of values or notValues must be set for ${show(key)}`);
  const both = <T>(parse: (v: string) => Parsed<T>): [T[], T[]] => [
    convertValues(values, `${path}.values`, report, parse), convertValues(notValues, `${path}.notValues`, report, parse),
  ];
  switch (key) {
    case 'source.ip': [m.sourceIps, m.notSourceIps] = both<Cidr>(cidrValue); break;
    case 'destination.ip': [m.destinationIps, m.notDestinationIps] = both<Cidr>(cidrValue); break;
    case 'destination.port': [m.destinationPorts, m.notDestinationPorts] = both<number>(portValue); break;
    case 'source.namespace': [m.namespaces, m.notNamespaces] = both<StringMatch>(namespaceMatch); break;
    case 'source.principal': [m.principals, m.notPrincipals] = both<StringMatch>((raw) => principalMatch(raw, ctx.trustDomain)); break;
    case 'remote.ip': both<Cidr>(cidrValue); break;
    default: break;
  }
  let identity: IdentityUse = NO_IDENTITY;
  if (key === 'source.principal' || key === 'source.namespace') {
    identity = values.length > 0 ? { kind: 'required' } : negativeIdentity(notValues, `${path}.notValues`);
  }
  const l7 = L4_KEYS.has(key) || why ? [] : [{ field: `${path}.key`, what: l7KeyDescription(key) }];
  return { match: m, hasL4: hasFields(m), l7, identity };
}
