// Wire codec of the `istio.security.Authorization` xDS type: ambit's Authorization model
// (authorization-types.ts) to and from Istio's authorization.proto encoding. Encoding follows
// istiod (defaults omitted, CIDRs as raw bytes + length, enums by number). Decoding is strict and
// never throws: what only the wire can get wrong (a StringMatch with zero or several kinds set,
// unknown enum values, addresses that are not 4 or 16 bytes, `extensions`, which we do not support
// and refuse rather than ignore) is checked here; everything else by authorization-validate.ts.

import type * as protobuf from 'protobufjs';
import { ErrorCode, MeshError } from '../errors/mesh-error';
import { bytesToIp } from './ip-bytes';
import { messageType } from './proto-root';
import { AUTHORIZATION_LIMITS, authorizationProblem, parseCidr } from './authorization-validate';
import {
  AUTHORIZATION_ACTIONS,
  AUTHORIZATION_SCOPES,
  type Authorization,
  type AuthorizationMatch,
  type Cidr,
  type ServiceAccountMatch,
  type StringMatch,
} from './authorization-types';

/** The protobuf message name of the Authorization type. */
export const AUTHORIZATION_MESSAGE = 'istio.security.Authorization';
/** The largest encoded Authorization decodeAuthorization accepts. */
export const MAX_AUTHORIZATION_BYTES = 4 * 1024 * 1024;

export type DecodeAuthorizationResult =
  | { readonly ok: true; readonly value: Authorization }
  | { readonly ok: false; readonly error: string };

let authorizationType: protobuf.Type | undefined;
function type(): protobuf.Type {
  authorizationType ??= messageType(AUTHORIZATION_MESSAGE);
  return authorizationType;
}

// ---- encoding ----

type Obj = Record<string, unknown>;

function stringMatchObject(m: StringMatch): Obj {
  return m.kind === 'presence' ? { presence: {} } : { [m.kind]: m.value };
}

function addressObject(c: Cidr): Obj {
  const parsed = parseCidr(c);
  // Validated before encoding; a failure here is a bug.
  if (!parsed.ok) throw new MeshError(ErrorCode.Internal, `CIDR ${JSON.stringify(c)}: ${parsed.error}`);
  const o: Obj = { address: parsed.cidr.address };
  if (parsed.cidr.length !== 0) o['length'] = parsed.cidr.length;
  return o;
}

function serviceAccountObject(m: ServiceAccountMatch): Obj {
  return { namespace: m.namespace, serviceAccount: m.serviceAccount };
}

function matchObject(m: AuthorizationMatch): Obj {
  const o: Obj = {};
  const put = (key: string, list: readonly unknown[]): void => {
    if (list.length > 0) o[key] = list;
  };
  put('namespaces', m.namespaces.map(stringMatchObject));
  put('notNamespaces', m.notNamespaces.map(stringMatchObject));
  put('serviceAccounts', m.serviceAccounts.map(serviceAccountObject));
  put('notServiceAccounts', m.notServiceAccounts.map(serviceAccountObject));
  put('principals', m.principals.map(stringMatchObject));
  put('notPrincipals', m.notPrincipals.map(stringMatchObject));
  put('sourceIps', m.sourceIps.map(addressObject));
  put('notSourceIps', m.notSourceIps.map(addressObject));
  put('destinationIps', m.destinationIps.map(addressObject));
  put('notDestinationIps', m.notDestinationIps.map(addressObject));
  put('destinationPorts', [...m.destinationPorts]);
  put('notDestinationPorts', [...m.notDestinationPorts]);
  return o;
}

/**
 * The wire form of a policy (an Any's value for the Authorization type URL). Throws MeshError
 * (InvalidArgument) naming the field when the policy is not valid (authorizationProblem).
 */
export function encodeAuthorization(a: Authorization): Uint8Array {
  const problem = authorizationProblem(a);
  if (problem) throw new MeshError(ErrorCode.InvalidArgument, `authorization ${a.namespace}/${a.name}: ${problem}`);
  const o: Obj = { name: a.name, namespace: a.namespace };
  const scope = AUTHORIZATION_SCOPES.indexOf(a.scope);
  if (scope !== 0) o['scope'] = scope;
  const action = AUTHORIZATION_ACTIONS.indexOf(a.action);
  if (action !== 0) o['action'] = action;
  if (a.rules.length > 0) {
    o['rules'] = a.rules.map((rule) => ({
      clauses: rule.clauses.map((clause) => ({ matches: clause.matches.map(matchObject) })),
    }));
  }
  if (a.dryRun) o['dryRun'] = true;
  const t = type();
  return t.encode(t.fromObject(o)).finish();
}

// ---- decoding ----

// The decoded protobufjs message: unset scalars read as defaults from the prototype, unset
// messages as null, unset repeated fields as empty arrays; oneof members set are own properties.
interface WireStringMatch { exact: string; prefix: string; suffix: string; presence: object | null }
interface WireServiceAccountMatch { namespace: string; serviceAccount: string }
interface WireAddress { address: Uint8Array; length: number }
interface WireMatch {
  namespaces: WireStringMatch[]; notNamespaces: WireStringMatch[];
  serviceAccounts: WireServiceAccountMatch[]; notServiceAccounts: WireServiceAccountMatch[];
  principals: WireStringMatch[]; notPrincipals: WireStringMatch[];
  sourceIps: WireAddress[]; notSourceIps: WireAddress[];
  destinationIps: WireAddress[]; notDestinationIps: WireAddress[];
  destinationPorts: number[]; notDestinationPorts: number[];
  extensions: unknown[];
}
interface WireAuthorization {
  name: string; namespace: string; scope: number; action: number;
  rules: { clauses: { matches: WireMatch[] }[] }[];
  dryRun: boolean; extensions: unknown[];
}

class Rejected extends Error {}

function reject(field: string, why: string): never {
  throw new Rejected(`${field}: ${why}`);
}

function count<T>(list: readonly T[], field: string, max: number): readonly T[] {
  if (list.length > max) reject(field, `${list.length} entries (max ${max})`);
  return list;
}

function noExtensions(list: readonly unknown[], field: string): void {
  if (list.length > 0) {
    reject(field, `${list.length} extension(s) present; extensions are not supported, the policy is refused rather than enforced without them`);
  }
}

function enumValue<T>(names: readonly T[], value: number, field: string): T {
  const name = names[value];
  if (!Number.isInteger(value) || name === undefined) reject(field, `unknown enum value ${value}`);
  return name;
}

const MATCH_KINDS = ['exact', 'prefix', 'suffix', 'presence'] as const;

function stringMatches(list: readonly WireStringMatch[], field: string): StringMatch[] {
  return count(list, field, AUTHORIZATION_LIMITS.valuesPerList).map((m, i) => {
    const set = MATCH_KINDS.filter((k) => Object.prototype.hasOwnProperty.call(m, k) && m[k] !== null && m[k] !== undefined);
    const kind = set[0];
    if (kind === undefined) reject(`${field}[${i}]`, 'no match kind set (want one of exact, prefix, suffix, presence)');
    if (set.length > 1) reject(`${field}[${i}]`, `several match kinds set (${set.join(', ')})`);
    return kind === 'presence' ? { kind } : { kind, value: m[kind] };
  });
}

function serviceAccounts(list: readonly WireServiceAccountMatch[], field: string): ServiceAccountMatch[] {
  return count(list, field, AUTHORIZATION_LIMITS.valuesPerList).map((m) => ({ namespace: m.namespace, serviceAccount: m.serviceAccount }));
}

function cidrs(list: readonly WireAddress[], field: string): Cidr[] {
  return count(list, field, AUTHORIZATION_LIMITS.valuesPerList).map((a, i) => {
    const ip = bytesToIp(a.address);
    if (ip === undefined) reject(`${field}[${i}].address`, `${a.address.length} bytes (want 4 or 16)`);
    return `${ip}/${a.length}`;
  });
}

function ports(list: readonly number[], field: string): number[] {
  return [...count(list, field, AUTHORIZATION_LIMITS.valuesPerList)];
}

function match(w: WireMatch, field: string): AuthorizationMatch {
  noExtensions(w.extensions, `${field}.extensions`);
  return {
    namespaces: stringMatches(w.namespaces, `${field}.namespaces`),
    notNamespaces: stringMatches(w.notNamespaces, `${field}.notNamespaces`),
    serviceAccounts: serviceAccounts(w.serviceAccounts, `${field}.serviceAccounts`),
    notServiceAccounts: serviceAccounts(w.notServiceAccounts, `${field}.notServiceAccounts`),
    principals: stringMatches(w.principals, `${field}.principals`),
    notPrincipals: stringMatches(w.notPrincipals, `${field}.notPrincipals`),
    sourceIps: cidrs(w.sourceIps, `${field}.sourceIps`),
    notSourceIps: cidrs(w.notSourceIps, `${field}.notSourceIps`),
    destinationIps: cidrs(w.destinationIps, `${field}.destinationIps`),
    notDestinationIps: cidrs(w.notDestinationIps, `${field}.notDestinationIps`),
    destinationPorts: ports(w.destinationPorts, `${field}.destinationPorts`),
    notDestinationPorts: ports(w.notDestinationPorts, `${field}.notDestinationPorts`),
  };
}

function wireToModel(w: WireAuthorization): Authorization {
  noExtensions(w.extensions, 'extensions');
  const scope = enumValue(AUTHORIZATION_SCOPES, w.scope, 'scope');
  const action = enumValue(AUTHORIZATION_ACTIONS, w.action, 'action');
  const rules = count(w.rules, 'rules', AUTHORIZATION_LIMITS.rules).map((rule, r) => ({
    clauses: count(rule.clauses, `rules[${r}].clauses`, AUTHORIZATION_LIMITS.clausesPerRule).map((clause, c) => ({
      matches: count(clause.matches, `rules[${r}].clauses[${c}].matches`, AUTHORIZATION_LIMITS.matchesPerClause).map((m, i) =>
        match(m, `rules[${r}].clauses[${c}].matches[${i}]`),
      ),
    })),
  }));
  return { name: w.name, namespace: w.namespace, scope, action, rules, dryRun: w.dryRun };
}

/** Parses and validates one Authorization; never throws. */
export function decodeAuthorization(bytes: Uint8Array): DecodeAuthorizationResult {
  if (bytes.length > MAX_AUTHORIZATION_BYTES) {
    return { ok: false, error: `authorization: ${bytes.length} bytes (max ${MAX_AUTHORIZATION_BYTES})` };
  }
  let wire: WireAuthorization;
  try {
    // A plain Uint8Array view: protobufjs' Buffer reader would accept a string cut short by the end
    // of the input; the plain reader refuses it.
    wire = type().decode(new Uint8Array(bytes.buffer, bytes.byteOffset, bytes.byteLength)) as unknown as WireAuthorization;
  } catch (err) {
    return { ok: false, error: `authorization: malformed protobuf (${err instanceof Error ? err.message : String(err)})` };
  }
  try {
    const value = wireToModel(wire);
    const problem = authorizationProblem(value);
    return problem ? { ok: false, error: problem } : { ok: true, value };
  } catch (err) {
    if (err instanceof Rejected) return { ok: false, error: err.message };
    // A throw other than a refusal is a bug; still reported as a refusal, never thrown.
    return { ok: false, error: `authorization: ${err instanceof Error ? err.message : String(err)}` };
  }
}
