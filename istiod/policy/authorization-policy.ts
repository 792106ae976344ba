// `security.istio.io/v1` AuthorizationPolicy → what enforces it (pure): selector / namespace / root
// namespace → the `istio.security.Authorization` ztunnel enforces, with scope WORKLOAD_SELECTOR /
// NAMESPACE / GLOBAL (rules: authorization-rules.ts); targetRefs → the waypoint's L7 policy (action,
// dry-run, L7 rules: l7-authorization.ts, and the refs to resolve to waypoints). Strict validation
// of the whole object (every problem names its field; any problem rejects the policy whole, for
// ztunnel and waypoint alike) and the dry-run annotation. Istio's pilot ambient converter is the model.

import type { Authorization, AuthorizationScope } from '../../pkg/api/authorization-types';
import { authorizationProblem } from '../../pkg/api/authorization-validate';
import { DEFAULT_PATH_NORMALIZATION, type WaypointSecurity } from '../../pkg/api/waypoint-security-types';
import { securityProblems } from '../../pkg/api/waypoint-security-validate';
import { convertRules } from './authorization-rules';
import { convertL7Policy, type L7PolicyConversion } from './l7-authorization';
import {
  checkKnownFields, type FieldProblem, FieldReport, isObject, type JsonObject, own, readObject, readString, show,
} from './field-report';
import { readMetadata } from './metadata';
import { readSelector, type Labels } from './selector';
import { type PolicyTargetRef, readTargetRefs, warnServiceEntryRefs } from './target-refs';

export interface ConversionOptions {
  /** Istio's root namespace (`istio-system`): selector-less policies there are mesh-wide. */
  readonly rootNamespace: string;
  /** The mesh's trust domain; `cluster.local/...` principals are read as this trust domain. */
  readonly trustDomain: string;
}

export type EnforcedBy = 'ztunnel' | 'waypoint';

export interface AuthorizationPolicyConversion {
  /** metadata.name / metadata.namespace ('' when unreadable). */
  readonly name: string;
  readonly namespace: string;
  /** What ztunnel gets; absent when rejected or when a waypoint enforces the policy. */
  readonly policy?: Authorization;
  /** matchLabels of a WORKLOAD_SELECTOR policy ({} selects every workload of its namespace). */
  readonly selector?: Labels;
  readonly enforcedBy: EnforcedBy;
  /** Some rules or attributes cannot be enforced at L4 and were omitted (ALLOW) or dropped (DENY). */
  readonly partial: boolean;
  /** What the waypoint gets (enforcedBy 'waypoint' and no problems). */
  readonly l7?: L7PolicyConversion;
  /** The valid targetRefs (enforcedBy 'waypoint', also when rejected: what a fail-closed stand-in applies to). */
  readonly refs?: readonly PolicyTargetRef[];
  /** Any problem rejects the policy whole. */
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
}

export const DRY_RUN_ANNOTATION = 'istio.io/dry-run';
const ACTIONS = ['ALLOW', 'DENY', 'AUDIT', 'CUSTOM'] as const;
type PolicyAction = (typeof ACTIONS)[number];
const SPEC_FIELDS = ['selector', 'targetRef', 'targetRefs', 'action', 'provider', 'rules'];
const API_VERSIONS = ['security.istio.io/v1', 'security.istio.io/v1beta1'];
const TRUE_WORDS = ['1', 't', 'T', 'true', 'TRUE', 'True'];
const FALSE_WORDS = ['0', 'f', 'F', 'false', 'FALSE', 'False'];

function readAction(spec: JsonObject, report: FieldReport): PolicyAction {
  const raw = readString(own(spec, 'action'), 'spec.action', report);
  if (raw === undefined) return 'ALLOW';
  if ((ACTIONS as readonly string[]).includes(raw)) return raw as PolicyAction;
  report.problem('spec.action', `${show(raw)} is not one of ${ACTIONS.join(', ')}`);
  return 'ALLOW';
}

function checkProvider(spec: JsonObject, action: PolicyAction, report: FieldReport): void {
  const provider = readObject(own(spec, 'provider'), 'spec.provider', report);
  if (provider) {
    checkKnownFields(provider, ['name'], 'spec.provider', report);
    readString(own(provider, 'name'), 'spec.provider.name', report);
    if (action !== 'CUSTOM') report.problem('spec.provider', `only the CUSTOM action takes a provider (action is ${action})`);
  } else if (action === 'CUSTOM') {
    report.problem('spec.provider', 'the CUSTOM action needs provider.name');
  }
}

/** Go's strconv.ParseBool, as Istio reads the annotation; anything else is enforced, with a warning. */
function readDryRun(annotations: JsonObject, report: FieldReport): boolean {
  const path = `metadata.annotations[${show(DRY_RUN_ANNOTATION)}]`;
  const value = readString(own(annotations, DRY_RUN_ANNOTATION), path, report, true);
  if (value === undefined || value === '') return false;
  if (TRUE_WORDS.includes(value)) return true;
  if (!FALSE_WORDS.includes(value)) report.warn(path, `${show(value)} is not true or false: the policy is enforced`);
  return false;
}

/** What the waypoint's codec would refuse in the converted policy (a converter bug or a bound), or undefined. */
function waypointPolicyProblem(name: string, namespace: string, l7: L7PolicyConversion): string | undefined {
  const security: WaypointSecurity = {
    pathNormalization: DEFAULT_PATH_NORMALIZATION,
    authorization: [{ name, namespace, action: l7.action, dryRun: l7.dryRun, targets: { all: true, services: [] }, rules: l7.rules }],
    authentication: [],
  };
  return securityProblems(security, 'policy', 1)[0];
}

function scopeOf(selector: Labels | undefined, namespace: string, opts: ConversionOptions): AuthorizationScope {
  if (selector !== undefined) return 'WORKLOAD_SELECTOR';
  return namespace === opts.rootNamespace ? 'GLOBAL' : 'NAMESPACE';
}

/** Converts one AuthorizationPolicy object (as the API server returns it). Never throws. */
export function convertAuthorizationPolicy(obj: unknown, opts: ConversionOptions): AuthorizationPolicyConversion {
  const report = new FieldReport();
  const top = isObject(obj) ? obj : {};
  if (!isObject(obj)) report.problem('', 'an AuthorizationPolicy must be an object');
  const meta = readMetadata(top, 'AuthorizationPolicy', API_VERSIONS, report);
  const spec = readObject(own(top, 'spec'), 'spec', report) ?? {};
  checkKnownFields(spec, SPEC_FIELDS, 'spec', report);

  const action = readAction(spec, report);
  checkProvider(spec, action, report);
  const selector = readSelector(own(spec, 'selector'), 'spec.selector', report);
  const targets = readTargetRefs(spec, meta.namespace, opts.rootNamespace, report);
  if (selector !== undefined && targets.present) {
    report.problem('spec.selector', 'only one of selector, targetRef and targetRefs may be set');
  }
  const enforcedBy: EnforcedBy = targets.present ? 'waypoint' : 'ztunnel';
  if (enforcedBy === 'ztunnel' && (action === 'AUDIT' || action === 'CUSTOM')) {
    report.problem('spec.action', `ztunnel (L4) does not support the ${action} action, so the policy would not be enforced; `
      + 'attach it to a waypoint with targetRefs');
  }
  const ruleAction = action === 'DENY' ? 'DENY' : 'ALLOW';
  const enforceAtL4 = enforcedBy === 'ztunnel' && (action === 'ALLOW' || action === 'DENY');
  let l7: L7PolicyConversion | undefined;
  let rules: Authorization['rules'] = [];
  let partial = false;
  let dryRun: boolean;
  if (enforcedBy === 'waypoint') {
    dryRun = readDryRun(meta.annotations, report);
    warnServiceEntryRefs(targets, report);
    l7 = convertL7Policy(spec, {
      action, dryRun, refs: targets.refs, policyNamespace: meta.namespace, trustDomain: opts.trustDomain, report,
    });
  } else {
    ({ rules, partial } = convertRules(own(spec, 'rules'), 'spec.rules', {
      policyNamespace: meta.namespace, trustDomain: opts.trustDomain, report, action: ruleAction, enforceAtL4,
    }));
    dryRun = readDryRun(meta.annotations, report);
  }

  if (enforceAtL4 && selector !== undefined && Object.keys(selector).length === 0) {
    report.warn('spec.selector', `an empty selector selects every workload in namespace ${show(meta.namespace)}; `
      + 'omit it for a namespace-wide policy');
  }
  const ruleList = own(spec, 'rules');
  if (enforceAtL4 && action === 'DENY' && (!Array.isArray(ruleList) || ruleList.length === 0)) {
    report.warn('spec.rules', 'a DENY policy without rules matches nothing: it has no effect');
  }

  let policy: Authorization | undefined;
  if (enforceAtL4 && !report.hasProblems) {
    policy = {
      name: meta.name, namespace: meta.namespace, scope: scopeOf(selector, meta.namespace, opts), action: ruleAction, rules, dryRun,
    };
    const wireProblem = authorizationProblem(policy);
    if (wireProblem) {
      report.problem('', `the converted policy cannot be sent to ztunnel: ${wireProblem}`);
      policy = undefined;
    }
  }
  if (l7 && !report.hasProblems) {
    const wireProblem = waypointPolicyProblem(meta.name, meta.namespace, l7);
    if (wireProblem) report.problem('', `the converted policy cannot be sent to the waypoint: ${wireProblem}`);
  }
  return {
    name: meta.name,
    namespace: meta.namespace,
    ...(policy ? { policy } : {}),
    ...(policy && policy.scope === 'WORKLOAD_SELECTOR' && selector ? { selector } : {}),
    enforcedBy,
    partial: policy !== undefined && partial,
    ...(l7 && !report.hasProblems ? { l7 } : {}),
    ...(enforcedBy === 'waypoint' ? { refs: targets.refs } : {}),
    problems: report.problems(),
    warnings: report.warnings(),
  };
}
