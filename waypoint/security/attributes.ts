// What the waypoint's L7 security reads from one request, once its head is parsed and its path
// normalized: the tunnel peer (identity and address), where the client was going, the request
// line and headers, and the identity a verified JWT carried. Built by the pipeline; read by the
// authorization evaluator (authz.ts) and the JWT authenticator's callers. Types only.

/** What a verified JWT says about the request (RequestAuthentication). */
export interface JwtIdentity {
  /** "<iss>/<sub>" (Istio's request.auth.principal). */
  readonly principal: string;
  /** The `aud` claim as a list. */
  readonly audiences: readonly string[];
  /** `azp`. */
  readonly presenter?: string;
  /** The whole verified payload. */
  readonly claims: Readonly<Record<string, unknown>>;
}

export interface RequestAttributes {
  /** The HBONE peer's identity without "spiffe://" (cluster.local/ns/a/sa/b). */
  readonly sourcePrincipal?: string;
  readonly sourceNamespace?: string;
  /** The tunnel peer's address. */
  readonly sourceIp: string;
  /** The client's address for remoteIpBlocks (X-Forwarded-For is not trusted: the tunnel peer). */
  readonly remoteIp: string;
  /** The address the client dialled (Service VIP or pod IP); '' when it dialled a name. */
  readonly destinationIp: string;
  readonly destinationPort: number;
  /** :authority / Host as sent. */
  readonly host: string;
  readonly method: string;
  /** Normalized, without query or fragment. */
  readonly path: string;
  /** Every value of a header (name lower-case), in order; [] when absent. */
  header(name: string): readonly string[];
  /** Set when a JWT was verified. */
  readonly auth?: JwtIdentity;
}
