// The `rules` of an AuthorizationPolicy a waypoint enforces → L7Rule values (Istio's semantics as
// waypoint-security-types.ts states them: rules OR-ed, `from` / `to` entries OR-ed, `when`
// predicates AND-ed), and the waypoint part of a policy's conversion: the action the waypoint takes
// (CUSTOM → DENY, since there is no ext-authz provider), dry-run, the targets it names. Every
// problem names its field; the bounds are the L4 converter's. Pure.

import type { L7Action, L7Predicate, L7Rule } from '../../pkg/api/waypoint-security-types';
import { MAX_CONDITIONS, MAX_RULES, readEntries } from './authorization-rules';
import { checkKnownFields, FieldReport, type JsonObject, own, readList, readObject } from './field-report';
import { l7Condition, type L7EntryContext, l7Operation, l7Source } from './l7-entries';
import type { PolicyTargetRef } from './target-refs';

export interface L7RulesContext {
  readonly policyNamespace: string;
  readonly trustDomain: string;
  readonly report: FieldReport;
  /** The action the waypoint takes, for lint warnings (default ALLOW). */
  readonly action?: L7Action;
}

/** What the waypoint gets of a policy (task C resolves `refs` to waypoints). */
export interface L7PolicyConversion {
  readonly action: L7Action;
  readonly dryRun: boolean;
  readonly rules: readonly L7Rule[];
  readonly refs: readonly PolicyTargetRef[];
  /** The policy is CUSTOM: sent as DENY (requests matching its rules are denied). */
  readonly custom: boolean;
}

function conditions(value: unknown, path: string, ctx: L7EntryContext): L7Predicate[] {
  const items = readList(value, path, ctx.report, MAX_CONDITIONS) ?? [];
  const out: L7Predicate[] = [];
  items.forEach((item, k) => {
    const obj = readObject(item, `${path}[${k}]`, ctx.report);
    if (!obj) {
      if (item === null || item === undefined) ctx.report.problem(`${path}[${k}]`, 'must not be null');
      return;
    }
    const p = l7Condition(obj, `${path}[${k}]`, ctx);
    if (p) out.push(p);
  });
  return out;
}

function convertRule(raw: unknown, path: string, ctx: L7EntryContext): L7Rule | undefined {
  const obj = readObject(raw, path, ctx.report);
  if (!obj) {
    if (raw === null || raw === undefined) ctx.report.problem(path, 'must not be null (write {} for a rule that matches everything)');
    return undefined;
  }
  checkKnownFields(obj, ['from', 'to', 'when'], path, ctx.report);
  const from = readEntries(own(obj, 'from'), `${path}.from`, 'source', l7Source, ctx);
  const to = readEntries(own(obj, 'to'), `${path}.to`, 'operation', l7Operation, ctx);
  const when = conditions(own(obj, 'when'), `${path}.when`, ctx);
  return Object.freeze({ from: Object.freeze(from), to: Object.freeze(to), when: Object.freeze(when) });
}

/** `spec.rules` of a waypoint policy (absent = no rules). Problems and warnings go to `ctx.report`. */
export function convertL7Rules(rulesValue: unknown, path: string, ctx: L7RulesContext): L7Rule[] {
  const entryCtx: L7EntryContext = {
    policyNamespace: ctx.policyNamespace, trustDomain: ctx.trustDomain, report: ctx.report, action: ctx.action ?? 'ALLOW',
  };
  const items = readList(rulesValue, path, ctx.report, MAX_RULES) ?? [];
  const rules: L7Rule[] = [];
  items.forEach((raw, i) => {
    const rule = convertRule(raw, `${path}[${i}]`, entryCtx);
    if (rule) rules.push(rule);
  });
  return rules;
}

export interface L7PolicyInput {
  /** The policy's action as written. */
  readonly action: 'ALLOW' | 'DENY' | 'AUDIT' | 'CUSTOM';
  readonly dryRun: boolean;
  readonly refs: readonly PolicyTargetRef[];
  readonly policyNamespace: string;
  readonly trustDomain: string;
  readonly report: FieldReport;
}

/** The waypoint part of an AuthorizationPolicy with targetRefs (its `spec` already checked for known fields). */
export function convertL7Policy(spec: JsonObject, input: L7PolicyInput): L7PolicyConversion {
  const { report } = input;
  const custom = input.action === 'CUSTOM';
  const action: L7Action = input.action === 'CUSTOM' ? 'DENY' : input.action;
  if (custom) report.warn('spec.action', 'CUSTOM (ext-authz) is not supported: requests matching its rules are denied');
  const rules = convertL7Rules(own(spec, 'rules'), 'spec.rules', {
    policyNamespace: input.policyNamespace, trustDomain: input.trustDomain, report, action,
  });
  const rawRules = own(spec, 'rules');
  if (action === 'DENY' && (!Array.isArray(rawRules) || rawRules.length === 0)) {
    report.warn('spec.rules', `a ${custom ? 'CUSTOM' : 'DENY'} policy without rules matches nothing: it has no effect`);
  }
  return Object.freeze({ action, dryRun: input.dryRun, rules: Object.freeze(rules), refs: input.refs, custom });
}
