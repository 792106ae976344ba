// Strict validation of ambit's Authorization model (authorization-types.ts): Kubernetes-valid
// names, known scope/action, bounded rule/clause/match/value counts and string sizes, CIDRs that
// parse with a prefix length that fits the address, ports 1..65535. Used by the codec on both
// directions (decode: after the wire-only checks; encode: before writing) and by anyone building a
// policy by hand. Every refusal names the field path (`rules[0].clauses[1].matches[0].sourceIps[2]`)
// and why. Pure: no I/O, never throws.

import { ipToBytes } from './ip-bytes';
import {
  AUTHORIZATION_ACTIONS,
  AUTHORIZATION_SCOPES,
  type Authorization,
  type AuthorizationMatch,
  type ServiceAccountMatch,
  type StringMatch,
} from './authorization-types';

export const AUTHORIZATION_LIMITS = {
  rules: 1024,
  clausesPerRule: 64,
  matchesPerClause: 256,
  /** Entries of any one list inside a match (namespaces, sourceIps, destinationPorts, ...). */
  valuesPerList: 4096,
  stringBytes: 1024,
  nameBytes: 253,
  namespaceBytes: 63,
} as const;

/** A parsed CIDR: the raw 4/16 address bytes and the prefix length. */
export interface ParsedCidr {
  readonly address: Buffer;
  readonly length: number;
}

export type CidrResult = { readonly ok: true; readonly cidr: ParsedCidr } | { readonly ok: false; readonly error: string };

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9.]*[a-z0-9])?$/;
// Kubernetes object names, plus "_": istiod names the policies it synthesises that way
// (`istio_converted_static_strict`, `istio_allow_waypoint_<ns>_<name>`).
const POLICY_NAME = /^[a-z0-9]([-a-z0-9._]*[a-z0-9])?$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const DIGITS = /^[0-9]{1,3}$/;

const STRING_MATCH_KINDS: ReadonlySet<string> = new Set(['exact', 'prefix', 'suffix', 'presence']);

class Rejected extends Error {}

function reject(field: string, why: string): never {
  throw new Rejected(`${field}: ${why}`);
}

function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

/** Parses `ip` or `ip/length` (a bare address gets its full length). */
export function parseCidr(text: string): CidrResult {
  if (typeof text !== 'string') return { ok: false, error: 'not a string' };
  if (text.length > 64) return { ok: false, error: `${show(text)} is not a CIDR` };
  const slash = text.indexOf('/');
  const ipText = slash < 0 ? text : text.slice(0, slash);
  const address = ipToBytes(ipText);
  if (!address) return { ok: false, error: `${show(ipText)} is not an IP address` };
  const max = address.length * 8;
  if (slash < 0) return { ok: true, cidr: { address, length: max } };
  const lengthText = text.slice(slash + 1);
  if (!DIGITS.test(lengthText)) return { ok: false, error: `prefix length ${show(lengthText)} is not a number` };
  const length = Number(lengthText);
  if (length > max) return { ok: false, error: `prefix length ${length} exceeds ${max}` };
  return { ok: true, cidr: { address, length } };
}

function str(value: string, field: string, maxBytes: number = AUTHORIZATION_LIMITS.stringBytes): void {
  if (typeof value !== 'string') reject(field, 'not a string');
  const bytes = Buffer.byteLength(value);
  if (bytes > maxBytes) reject(field, `${bytes} bytes (max ${maxBytes})`);
  if (CONTROL.test(value)) reject(field, `${show(value)} contains control characters`);
}

function name(value: string, field: string, pattern: RegExp, maxBytes: number, what: string): void {
  str(value, field, maxBytes);
  if (value.length === 0) reject(field, 'empty');
  if (!pattern.test(value)) reject(field, `${show(value)} is not a valid ${what}`);
}

function count(list: readonly unknown[], field: string, max: number): void {
  if (!Array.isArray(list)) reject(field, 'not a list');
  if (list.length > max) reject(field, `${list.length} entries (max ${max})`);
}

function stringMatches(list: readonly StringMatch[], field: string): void {
  count(list, field, AUTHORIZATION_LIMITS.valuesPerList);
  list.forEach((m, i) => {
    const f = `${field}[${i}]`;
    if (!STRING_MATCH_KINDS.has(m?.kind)) reject(f, `unknown match kind ${show(String(m?.kind))}`);
    if (m.kind !== 'presence') str(m.value, `${f}.${m.kind}`);
  });
}

function serviceAccounts(list: readonly ServiceAccountMatch[], field: string): void {
  count(list, field, AUTHORIZATION_LIMITS.valuesPerList);
  list.forEach((m, i) => {
    name(m.namespace, `${field}[${i}].namespace`, DNS_LABEL, AUTHORIZATION_LIMITS.namespaceBytes, 'namespace name');
    name(m.serviceAccount, `${field}[${i}].serviceAccount`, DNS_SUBDOMAIN, AUTHORIZATION_LIMITS.nameBytes, 'service account name');
  });
}

function cidrs(list: readonly string[], field: string): void {
  count(list, field, AUTHORIZATION_LIMITS.valuesPerList);
  list.forEach((c, i) => {
    const parsed = parseCidr(c);
    if (!parsed.ok) reject(`${field}[${i}]`, parsed.error);
  });
}

function ports(list: readonly number[], field: string): void {
  count(list, field, AUTHORIZATION_LIMITS.valuesPerList);
  list.forEach((p, i) => {
    if (!Number.isInteger(p) || p < 1 || p > 65535) reject(`${field}[${i}]`, `port ${String(p)} (want 1..65535)`);
  });
}

function match(m: AuthorizationMatch, field: string): void {
  stringMatches(m.namespaces, `${field}.namespaces`);
  stringMatches(m.notNamespaces, `${field}.notNamespaces`);
  serviceAccounts(m.serviceAccounts, `${field}.serviceAccounts`);
  serviceAccounts(m.notServiceAccounts, `${field}.notServiceAccounts`);
  stringMatches(m.principals, `${field}.principals`);
  stringMatches(m.notPrincipals, `${field}.notPrincipals`);
  cidrs(m.sourceIps, `${field}.sourceIps`);
  cidrs(m.notSourceIps, `${field}.notSourceIps`);
  cidrs(m.destinationIps, `${field}.destinationIps`);
  cidrs(m.notDestinationIps, `${field}.notDestinationIps`);
  ports(m.destinationPorts, `${field}.destinationPorts`);
  ports(m.notDestinationPorts, `${field}.notDestinationPorts`);
}

function authorization(a: Authorization): void {
  name(a.name, 'name', POLICY_NAME, AUTHORIZATION_LIMITS.nameBytes, 'policy name');
  name(a.namespace, 'namespace', DNS_LABEL, AUTHORIZATION_LIMITS.namespaceBytes, 'namespace name');
  if (!(AUTHORIZATION_SCOPES as readonly string[]).includes(a.scope)) reject('scope', `unknown scope ${show(String(a.scope))}`);
  if (!(AUTHORIZATION_ACTIONS as readonly string[]).includes(a.action)) reject('action', `unknown action ${show(String(a.action))}`);
  if (typeof a.dryRun !== 'boolean') reject('dryRun', 'not a boolean');
  count(a.rules, 'rules', AUTHORIZATION_LIMITS.rules);
  a.rules.forEach((rule, r) => {
    count(rule.clauses, `rules[${r}].clauses`, AUTHORIZATION_LIMITS.clausesPerRule);
    rule.clauses.forEach((clause, c) => {
      count(clause.matches, `rules[${r}].clauses[${c}].matches`, AUTHORIZATION_LIMITS.matchesPerClause);
      clause.matches.forEach((m, i) => match(m, `rules[${r}].clauses[${c}].matches[${i}]`));
    });
  });
}

/** The first problem of a policy (`field.path: why`), or undefined when it is valid. */
export function authorizationProblem(a: Authorization): string | undefined {
  try {
    authorization(a);
    return undefined;
  } catch (err) {
    if (err instanceof Rejected) return err.message;
    // A value of the wrong shape (a missing list) makes a check throw a TypeError: still a refusal.
    return `authorization: malformed value (${err instanceof Error ? err.message : String(err)})`;
  }
}
