// The pipeline's security step, between parsing and routing, in Envoy's filter order: JWT
// authentication (RequestAuthentication: a bad token → 401; verified claims become
// request.auth.*; the token and forged output headers are removed) and then authorization
// (AuthorizationPolicy: DENY, then ALLOW; AUDIT and dry-run policies only reported) over the
// normalized request; streams relayed as TCP are authorized on their L4 attributes alone. The
// compiled policies follow the WaypointConfig; decisions are counted and land on the exchange for
// the access log.

import { unmappedIp } from '../../pkg/api/ip-bytes';
import { principalOf, tryParseSpiffeId } from '../../pkg/identity/spiffe';
import type { PathNormalization, WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { DEFAULT_PATH_NORMALIZATION, EMPTY_SECURITY } from '../../pkg/api/waypoint-security-types';
import type { Counter, Registry } from '../../pkg/telemetry/metrics';
import type { RequestAttributes } from '../security/attributes';
import { authorize, authzApplies, compileAuthz, type AuthzDecision, type CompiledAuthz } from '../security/authz';
import { policiesForTcp } from '../security/authz-l4';
import type { JwtAuthenticator } from '../security/jwt-authn';
import type { StreamTarget, WaypointView } from '../state/view';
import type { Failure } from './errors';
import type { Exchange } from './exchange';
import type { HeaderBag } from '../routing/filters';
import type { IncomingRequest } from './request-info';
import type { Peer } from './stream-proxy';

export const SECURITY_METRIC_NAMES = {
  decisions: 'waypoint_authorization_decisions_total',
  jwt: 'waypoint_jwt_authentications_total',
} as const;

/** Every value of a header in a bag, in order. */
export function headerValues(headers: HeaderBag, name: string): readonly string[] {
  const v = headers[name];
  if (v === undefined) return [];
  return Array.isArray(v) ? v : [v];
}


const NO_HEADERS: readonly string[] = [];

/** A stream's attributes with no request: what a TCP relay is authorized on. */
export function connectionAttributes(peer: Peer, target: StreamTarget): RequestAttributes {
  const id = peer.identity ? tryParseSpiffeId(peer.identity) : undefined;
  const ip = unmappedIp(peer.address);
  const dialled = peer.dialledHost ?? (target.kind === 'workload' ? target.endpoint.ip : '');
  return {
    ...(id ? { sourcePrincipal: principalOf(id), sourceNamespace: id.namespace } : {}),
    sourceIp: ip,
    remoteIp: ip,
    destinationIp: /^[0-9a-f.:]+$/i.test(dialled) ? unmappedIp(dialled) : '',
    destinationPort: target.port,
    host: '',
    method: '',
    path: '',
    header: () => NO_HEADERS,
  };
}

/** The request as authorization sees it. */
export function requestAttributes(peer: Peer, target: StreamTarget, r: IncomingRequest, auth: RequestAttributes['auth']): RequestAttributes {
  return {
    ...connectionAttributes(peer, target),
    host: r.authority,
    method: r.method,
    path: r.path,
    header: (name: string) => headerValues(r.headers, name),
    ...(auth ? { auth } : {}),
  };
}

/** The compiled security of the config in force, rebuilt when the config object changes. */
export class SecurityRuntime {
  private compiled: { readonly of: WaypointSecurity; readonly authz: CompiledAuthz; readonly tcp: CompiledAuthz } | undefined;
  private readonly decisions: Counter;
  private readonly jwt: Counter;

  constructor(private readonly view: WaypointView, readonly authn: JwtAuthenticator, registry: Registry) {
    this.decisions = registry.counter(SECURITY_METRIC_NAMES.decisions,
      'AuthorizationPolicy decisions at the waypoint (AUDIT and dry-run results included)', ['decision', 'policy', 'destination_service_namespace']);
    this.jwt = registry.counter(SECURITY_METRIC_NAMES.jwt, 'RequestAuthentication outcomes at the waypoint', ['outcome', 'reason']);
  }

  private current(): { readonly of: WaypointSecurity; readonly authz: CompiledAuthz; readonly tcp: CompiledAuthz } {
    const security = this.view.config()?.security ?? EMPTY_SECURITY;
    if (this.compiled?.of !== security) {
      this.compiled = { of: security, authz: compileAuthz(security.authorization), tcp: compileAuthz(policiesForTcp(security.authorization)) };
      this.authn.update(security.authentication);
    }
    return this.compiled;
  }

  /** The path normalization in force. */
  mode(): PathNormalization {
    return this.view.config()?.security?.pathNormalization ?? DEFAULT_PATH_NORMALIZATION;
  }

  /** Authorization of a stream relayed as TCP (HTTP attributes absent: see authz-l4.ts); undefined = no policy applies. */
  checkConnection(peer: Peer, target: StreamTarget): AuthzDecision | undefined {
    const { tcp } = this.current();
    const serviceKey = target.kind === 'service' ? target.serviceKey : undefined;
    if (!authzApplies(tcp, serviceKey)) return undefined;
    const decision = authorize(tcp, serviceKey, connectionAttributes(peer, target));
    this.count(decision, target);
    return decision;
  }

  private count(decision: AuthzDecision, target: StreamTarget): void {
    const ns = target.kind === 'service' ? target.serviceNamespace : target.endpoint.namespace;
    for (const policy of decision.audited) this.decisions.inc({ decision: 'audit', policy, destination_service_namespace: ns });
    if (decision.dryRun) {
      this.decisions.inc({ decision: decision.dryRun.allowed ? 'dry_run_allow' : 'dry_run_deny', policy: decision.dryRun.policy, destination_service_namespace: ns });
    }
    this.decisions.inc({ decision: decision.allowed ? 'allow' : 'deny', policy: decision.policy, destination_service_namespace: ns });
  }

  /** Runs authentication then authorization; a Failure to answer with, or undefined to go on. */
  async check(peer: Peer, target: StreamTarget, r: IncomingRequest, ex: Exchange, signal: AbortSignal): Promise<Failure | undefined> {
    const { authz } = this.current();
    const serviceKey = target.kind === 'service' ? target.serviceKey : undefined;
    let auth: RequestAttributes['auth'];
    if (this.authn.applies(serviceKey)) {
      const result = await this.authn.authenticate(serviceKey, { header: (n) => headerValues(r.headers, n), query: r.query }, signal);
      for (const name of result.removeHeaders) delete r.headers[name];
      for (const { name, value } of result.setHeaders) r.headers[name] = value;
      this.jwt.inc({ outcome: result.outcome, reason: result.failure ?? '' });
      if (result.outcome === 'fail') {
        ex.security.jwtFailure = result.failure ?? 'malformed';
        return { reason: 'jwt_invalid', headers: { 'www-authenticate': 'Bearer realm="ambit-waypoint", error="invalid_token"' } };
      }
      if (result.identity) {
        auth = result.identity;
        ex.security.principal = result.identity.principal;
      }
    }
    if (!authzApplies(authz, serviceKey)) return undefined;
    const decision = authorize(authz, serviceKey, requestAttributes(peer, target, r, auth));
    this.count(decision, target);
    ex.security.authz = decision;
    return decision.allowed ? undefined : { reason: 'rbac_denied' };
  }
}
