// `security.istio.io/v1` RequestAuthentication → the JWT rules a waypoint verifies tokens with
// (JwtRule of waypoint-security-types.ts), read strictly (every problem names its field; any problem
// rejects the resource whole), plus its status conditions. Only targetRefs resources are enforced
// (at the waypoint of each target); selector-based or selector-less ones are checked and reported
// as not enforced, since ztunnel does not verify JWTs. Key sources: l7-jwks.ts. Pure.

import {
  DEFAULT_JWKS_TIMEOUT_MS, DEFAULT_PATH_NORMALIZATION, SECURITY_LIMITS, type ClaimToHeader, type JwtHeaderLocation, type JwtRule,
} from '../../pkg/api/waypoint-security-types';
import { securityProblems } from '../../pkg/api/waypoint-security-validate';
import {
  checkKnownFields, type FieldProblem, FieldReport, isObject, type JsonObject, own, readList, readObject, readString,
  readStringList, show,
} from './field-report';
import { checkJwks, checkJwksUri, durationMs } from './l7-jwks';
import { headerName, TOKEN } from './l7-values';
import { readMetadata } from './metadata';
import { message, type PolicyCondition, rejected } from './policy-status';
import { readSelector, type Labels } from './selector';
import { type PolicyTargetRef, readTargetRefs, warnServiceEntryRefs } from './target-refs';

export interface RequestAuthnConversion {
  readonly name: string;
  readonly namespace: string;
  /** What the waypoint gets: present for a valid targetRefs resource. */
  readonly rules?: readonly JwtRule[];
  /** The valid targetRefs (also when rejected). */
  readonly refs: readonly PolicyTargetRef[];
  /** matchLabels of a selector-based resource (not enforced). */
  readonly selector?: Labels;
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
}

const API_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'];
const SPEC_FIELDS = ['selector', 'targetRef', 'targetRefs', 'jwtRules'];
const RULE_FIELDS = [
  'issuer', 'audiences', 'jwks', 'jwksUri', 'fromHeaders', 'fromParams', 'fromCookies', 'forwardOriginalToken',
  'outputPayloadToHeader', 'outputClaimToHeaders', 'timeout',
];
/** Entries of fromHeaders / fromParams / fromCookies / outputClaimToHeaders. */
export const MAX_JWT_LOCATIONS = 64;
export const MAX_AUDIENCES = 64;
/** Headers a verified token must never set: they change how the request is framed or routed. */
const RESERVED_OUTPUT_HEADERS = ['host', 'content-length', 'transfer-encoding', 'connection', 'te', 'trailer', 'upgrade', 'keep-alive', 'proxy-connection'];

function strings(value: unknown, path: string, report: FieldReport, max: number): string[] {
  return (readStringList(value, path, report, max) ?? []).filter((s): s is string => s !== undefined);
}

/** A header name a token is read from. */
function readHeaderName(value: unknown, path: string, report: FieldReport): string | undefined {
  const raw = readString(value, path, report);
  if (raw === undefined) {
    if (value === undefined || value === null) report.problem(path, 'is required');
    return undefined;
  }
  const name = headerName(raw);
  if (!name.ok) report.problem(path, name.reason);
  return name.ok ? name.value : undefined;
}

/** A header the waypoint sets from a verified token. */
function readOutputHeader(value: unknown, path: string, report: FieldReport): string | undefined {
  const name = readHeaderName(value, path, report);
  if (name !== undefined && RESERVED_OUTPUT_HEADERS.includes(name)) {
    report.problem(path, `${show(name)} cannot be set from a token (it changes how the request is framed or routed)`);
    return undefined;
  }
  return name;
}

function readLocations(value: unknown, path: string, report: FieldReport): JwtHeaderLocation[] {
  const out: JwtHeaderLocation[] = [];
  (readList(value, path, report, MAX_JWT_LOCATIONS) ?? []).forEach((item, i) => {
    const obj = readObject(item, `${path}[${i}]`, report);
    if (!obj) {
      if (item === null || item === undefined) report.problem(`${path}[${i}]`, 'must not be null');
      return;
    }
    checkKnownFields(obj, ['name', 'prefix'], `${path}[${i}]`, report);
    const name = readHeaderName(own(obj, 'name'), `${path}[${i}].name`, report);
    const prefix = readString(own(obj, 'prefix'), `${path}[${i}].prefix`, report, true) ?? '';
    if (name !== undefined) out.push(Object.freeze({ name, prefix }));
  });
  return out;
}

function readClaimHeaders(value: unknown, path: string, report: FieldReport): ClaimToHeader[] {
  const out: ClaimToHeader[] = [];
  (readList(value, path, report, MAX_JWT_LOCATIONS) ?? []).forEach((item, i) => {
    const obj = readObject(item, `${path}[${i}]`, report);
    if (!obj) {
      if (item === null || item === undefined) report.problem(`${path}[${i}]`, 'must not be null');
      return;
    }
    checkKnownFields(obj, ['header', 'claim'], `${path}[${i}]`, report);
    const header = readOutputHeader(own(obj, 'header'), `${path}[${i}].header`, report);
    const claim = readString(own(obj, 'claim'), `${path}[${i}].claim`, report);
    if (claim === undefined && (own(obj, 'claim') === undefined || own(obj, 'claim') === null)) report.problem(`${path}[${i}].claim`, 'is required');
    if (header !== undefined && claim !== undefined) out.push(Object.freeze({ header, claim }));
  });
  return out;
}

function readKeySource(rule: JsonObject, path: string, report: FieldReport): { jwks: string; jwksUri: string } {
  const rawJwks = own(rule, 'jwks');
  let jwks = '';
  if (rawJwks !== undefined && rawJwks !== null) {
    if (typeof rawJwks !== 'string') report.problem(`${path}.jwks`, 'must be a string (the JWKS as JSON text)');
    else if (rawJwks === '') report.problem(`${path}.jwks`, 'must not be empty');
    else {
      jwks = rawJwks;
      checkJwks(rawJwks, `${path}.jwks`, report);
    }
  }
  const jwksUri = readString(own(rule, 'jwksUri'), `${path}.jwksUri`, report) ?? '';
  if (jwksUri !== '') checkJwksUri(jwksUri, `${path}.jwksUri`, report);
  const jwksSet = rawJwks !== undefined && rawJwks !== null;
  const uriSet = own(rule, 'jwksUri') !== undefined && own(rule, 'jwksUri') !== null;
  if (jwksSet && uriSet) report.problem(path, 'set only one of jwks and jwksUri');
  else if (!jwksSet && !uriSet) report.problem(path, 'OIDC discovery is not supported: set jwks or jwksUri');
  return { jwks, jwksUri };
}

function readRule(item: unknown, path: string, report: FieldReport): JwtRule | undefined {
  const rule = readObject(item, path, report);
  if (!rule) {
    if (item === null || item === undefined) report.problem(path, 'must not be null');
    return undefined;
  }
  checkKnownFields(rule, RULE_FIELDS, path, report);
  const issuer = readString(own(rule, 'issuer'), `${path}.issuer`, report);
  if (issuer === undefined && (own(rule, 'issuer') === undefined || own(rule, 'issuer') === null)) report.problem(`${path}.issuer`, 'is required');
  const { jwks, jwksUri } = readKeySource(rule, path, report);
  const fromCookies = strings(own(rule, 'fromCookies'), `${path}.fromCookies`, report, MAX_JWT_LOCATIONS);
  fromCookies.forEach((c, i) => {
    if (!TOKEN.test(c)) report.problem(`${path}.fromCookies[${i}]`, `${show(c)} is not a cookie name`);
  });
  const forward = own(rule, 'forwardOriginalToken');
  if (forward !== undefined && forward !== null && typeof forward !== 'boolean') report.problem(`${path}.forwardOriginalToken`, 'must be true or false');
  const rawPayload = own(rule, 'outputPayloadToHeader');
  const payloadHeader = rawPayload === undefined || rawPayload === null || rawPayload === '' ? '' : readOutputHeader(rawPayload, `${path}.outputPayloadToHeader`, report) ?? '';
  let timeoutMs = DEFAULT_JWKS_TIMEOUT_MS;
  const timeout = readString(own(rule, 'timeout'), `${path}.timeout`, report);
  if (timeout !== undefined) {
    const parsed = durationMs(timeout);
    if (parsed.ok) timeoutMs = parsed.value;
    else report.problem(`${path}.timeout`, parsed.reason);
  }
  if (timeout !== undefined && jwks !== '') report.warn(`${path}.timeout`, 'applies to fetching jwksUri only; this rule has an inline jwks');
  return Object.freeze({
    issuer: issuer ?? '',
    audiences: Object.freeze(strings(own(rule, 'audiences'), `${path}.audiences`, report, MAX_AUDIENCES)),
    jwks,
    jwksUri,
    fromHeaders: Object.freeze(readLocations(own(rule, 'fromHeaders'), `${path}.fromHeaders`, report)),
    fromParams: Object.freeze(strings(own(rule, 'fromParams'), `${path}.fromParams`, report, MAX_JWT_LOCATIONS)),
    fromCookies: Object.freeze(fromCookies),
    forwardOriginalToken: forward === true,
    outputPayloadToHeader: payloadHeader,
    outputClaimToHeaders: Object.freeze(readClaimHeaders(own(rule, 'outputClaimToHeaders'), `${path}.outputClaimToHeaders`, report)),
    timeoutMs,
  });
}

/** What the waypoint's codec would refuse in the converted rules, or undefined. */
function wireProblem(name: string, namespace: string, rules: readonly JwtRule[]): string | undefined {
  return securityProblems({
    pathNormalization: DEFAULT_PATH_NORMALIZATION,
    authorization: [],
    authentication: [{ name, namespace, targets: { all: true, services: [] }, rules }],
  }, 'requestAuthentication', 1)[0];
}

/** Converts one RequestAuthentication object (as the API server returns it). Never throws. */
export function convertRequestAuthentication(obj: unknown, opts: { readonly rootNamespace: string }): RequestAuthnConversion {
  const report = new FieldReport();
  const top = isObject(obj) ? obj : {};
  if (!isObject(obj)) report.problem('', 'a RequestAuthentication must be an object');
  const meta = readMetadata(top, 'RequestAuthentication', API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report) ?? {};
  checkKnownFields(spec, SPEC_FIELDS, 'spec', report);
  const selector = readSelector(own(spec, 'selector'), 'spec.selector', report);
  const targets = readTargetRefs(spec, meta.namespace, opts.rootNamespace, report);
  if (selector !== undefined && targets.present) report.problem('spec.selector', 'only one of selector, targetRef and targetRefs may be set');
  warnServiceEntryRefs(targets, report);
  const items = readList(own(spec, 'jwtRules'), 'spec.jwtRules', report, SECURITY_LIMITS.jwtRulesPerPolicy) ?? [];
  const rules = items.map((item, i) => readRule(item, `spec.jwtRules[${i}]`, report)).filter((r): r is JwtRule => r !== undefined);
  if (items.length === 0) report.warn('spec.jwtRules', 'no jwtRules: this RequestAuthentication verifies nothing');
  if (!targets.present) {
    report.warn(selector !== undefined ? 'spec.selector' : 'spec',
      'only targetRefs RequestAuthentications are enforced (at a waypoint); this one is not enforced');
  }
  if (targets.present && !report.hasProblems) {
    const why = wireProblem(meta.name, meta.namespace, rules);
    if (why) report.problem('', `the converted rules cannot be sent to the waypoint: ${why}`);
  }
  const enforced = targets.present && !report.hasProblems;
  return {
    name: meta.name,
    namespace: meta.namespace,
    ...(enforced ? { rules: Object.freeze(rules) } : {}),
    refs: targets.refs,
    ...(selector !== undefined ? { selector } : {}),
    problems: report.problems(),
    warnings: report.warnings(),
  };
}

/** Conditions describing how a RequestAuthentication was taken (`previousGeneration`: as for AuthorizationPolicies). */
export function requestAuthenticationStatus(c: RequestAuthnConversion, previousGeneration?: number): readonly PolicyCondition[] {
  const { problems, warnings } = c;
  if (problems.length > 0) {
    return [{
      type: 'Accepted', status: 'False', reason: 'Invalid',
      message: message(rejected(previousGeneration, 'nothing of it is enforced: requests get no JWT identity from it '
        + '(an AuthorizationPolicy that requires requestPrincipals denies them).'), problems, warnings),
    }];
  }
  if (!c.rules) {
    return [{
      type: 'Accepted', status: 'True', reason: 'NotEnforced',
      message: message('Not enforced: ztunnel does not verify JWTs; attach it to a waypoint with targetRefs.', [], warnings),
    }];
  }
  return [{
    type: 'Accepted', status: 'True', reason: warnings.length > 0 ? 'AcceptedWithWarnings' : 'Accepted',
    message: message('Enforced by the waypoint of each targeted Gateway/Service: tokens are verified on each request. '
      + 'A request without a token passes authentication; to require one, add an AuthorizationPolicy with '
      + 'requestPrincipals: ["*"].', [], warnings),
  }];
}
