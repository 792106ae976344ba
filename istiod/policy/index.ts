// The public surface of istiod's security-policy conversion (pure): AuthorizationPolicy and
// PeerAuthentication objects → `istio.security.Authorization` resources for ztunnel, the policy
// names each workload lists, and status conditions for the resources.

export {
  convertAuthorizationPolicy, DRY_RUN_ANNOTATION,
  type AuthorizationPolicyConversion, type ConversionOptions, type EnforcedBy,
} from './authorization-policy';
export type { FieldProblem } from './field-report';
export {
  CONVERTED_PEER_AUTHENTICATION_PREFIX, MTLS_MODES, readPeerAuthentication,
  type MtlsMode, type PeerAuthenticationResult, type PeerAuthenticationView, type PortMode,
} from './peer-authentication';
export {
  convertPeerAuthentications, peerAuthenticationFor, STATIC_STRICT_POLICY_NAME,
  type PeerAuthenticationConversion, type PeerAuthenticationIndex,
} from './peer-authentication-index';
export { authorizationPolicyStatus, peerAuthenticationStatus, type PolicyCondition } from './policy-status';
export { selectorMatches, type Labels } from './selector';
