// AuthorizationPolicy `rules` → ambit Authorization rules, as Istio's ambient converter builds them:
// per rule, one AND-ed clause for all `to` entries (OR-ed matches), one for all `from` entries,
// and one per `when` condition. HTTP/L7 attributes ztunnel cannot see are handled so that policy
// never becomes more permissive: in an ALLOW policy the whole rule is omitted (it allows nothing);
// in a DENY policy only the L7 parts are dropped, so the rule denies more — an entry left with no
// L4 attribute matches every connection, which makes its clause match everything (omitted). Pure.

import type { AuthorizationClause, AuthorizationRule } from '../../pkg/api/authorization-types';
import {
  convertCondition, convertOperation, convertSource, type ConvertedEntry, type EntryContext, type L7Attribute,
} from './authorization-entries';
import { checkKnownFields, type FieldReport, type JsonObject, own, readList, readObject } from './field-report';

/** Istio's bound on rules per policy. */
export const MAX_RULES = 512;
/** Entries per `from` / `to`: each is one match of a clause (the wire allows 256 per clause). */
export const MAX_ENTRIES = 256;
/** Conditions per rule: each is a clause, next to `to` and `from` (the wire allows 64 per rule). */
export const MAX_CONDITIONS = 62;

export interface RulesContext extends EntryContext {
  /** False: check the rules only (a waypoint policy, or an action ztunnel does not take). */
  readonly enforceAtL4: boolean;
}

export interface ConvertedRules {
  readonly rules: readonly AuthorizationRule[];
  /** Some rule or attribute could not be enforced at L4 and was omitted or dropped. */
  readonly partial: boolean;
}

const WAYPOINT_HINT = 'enforce HTTP rules at a waypoint (targetRefs)';

/**
 * The `from` or `to` list of a rule at `path`: each item must be `{ <inner>: {...} }`, whose
 * object `convert` turns into an entry; shared by the L4 and the waypoint converters.
 */
export function readEntries<E, C extends { readonly report: FieldReport }>(
  value: unknown, path: string, inner: string, convert: (obj: JsonObject, path: string, ctx: C) => E, ctx: C,
): E[] {
  const { report } = ctx;
  const list = readList(value, path, report, MAX_ENTRIES);
  if (!list) return [];
  if (list.length === 0) report.problem(path, 'must not be empty (omit it to match anything)');
  const out: E[] = [];
  list.forEach((item, j) => {
    const itemPath = `${path}[${j}]`;
    const obj = readObject(item, itemPath, report);
    if (!obj) {
      if (item === null || item === undefined) report.problem(itemPath, 'must not be null');
      return;
    }
    checkKnownFields(obj, [inner], itemPath, report);
    const innerObj = readObject(own(obj, inner), `${itemPath}.${inner}`, report);
    if (!innerObj) {
      if (own(obj, inner) === undefined || own(obj, inner) === null) report.problem(`${itemPath}.${inner}`, 'is required');
      return;
    }
    out.push(convert(innerObj, `${itemPath}.${inner}`, ctx));
  });
  return out;
}

function conditions(value: unknown, path: string, ctx: EntryContext): ConvertedEntry[] {
  const list = readList(value, path, ctx.report, MAX_CONDITIONS) ?? [];
  const out: ConvertedEntry[] = [];
  list.forEach((item, k) => {
    const obj = readObject(item, `${path}[${k}]`, ctx.report);
    if (obj) out.push(convertCondition(obj, `${path}[${k}]`, ctx));
    else if (item === null || item === undefined) ctx.report.problem(`${path}[${k}]`, 'must not be null');
  });
  return out;
}

/**
 * An ALLOW rule whose identity matches are all negative lets plaintext connections (no peer
 * identity) through them; say so unless another clause of the rule requires an identity.
 */
function warnPlaintext(from: readonly ConvertedEntry[], when: readonly ConvertedEntry[], ctx: EntryContext): void {
  const required = (e: ConvertedEntry): boolean => e.identity.kind === 'required';
  if ((from.length > 0 && from.every(required)) || when.some(required)) return;
  for (const e of [...from, ...when]) {
    if (e.identity.kind !== 'negative-only') continue;
    ctx.report.warn(e.identity.field, 'connections without a peer identity (plaintext) also satisfy this negative match; '
      + 'require one with principals: ["*"] (or a source.principal condition with values ["*"]) to allow mTLS only');
  }
}

interface RuleOutcome {
  readonly rule?: AuthorizationRule;
  readonly partial: boolean;
}

function convertRule(raw: unknown, path: string, ctx: RulesContext): RuleOutcome {
  const { report } = ctx;
  const obj = readObject(raw, path, report);
  if (!obj) {
    if (raw === null || raw === undefined) report.problem(path, 'must not be null (write {} for a rule that matches everything)');
    return { partial: false };
  }
  checkKnownFields(obj, ['from', 'to', 'when'], path, report);
  const to = readEntries(own(obj, 'to'), `${path}.to`, 'operation', convertOperation, ctx);
  const from = readEntries(own(obj, 'from'), `${path}.from`, 'source', convertSource, ctx);
  const when = conditions(own(obj, 'when'), `${path}.when`, ctx);
  if (!ctx.enforceAtL4) return { partial: false };

  const l7: L7Attribute[] = [...to, ...from, ...when].flatMap((e) => e.l7);
  if (ctx.action === 'ALLOW' && l7.length > 0) {
    for (const a of l7) {
      report.warn(a.field, `${a.what}; ztunnel cannot enforce it, so this ALLOW rule (${path}) is omitted and allows nothing `
        + `(more restrictive than requested); ${WAYPOINT_HINT}`);
    }
    return { partial: true };
  }
  if (ctx.action === 'ALLOW') warnPlaintext(from, when, ctx);
  const clauses: AuthorizationClause[] = [];
  // An entry left without L4 attributes matches any connection, and so does its clause.
  for (const group of [to, from]) {
    if (group.length > 0 && group.every((e) => e.hasL4)) clauses.push({ matches: group.map((e) => e.match) });
  }
  for (const condition of when) if (condition.l7.length === 0) clauses.push({ matches: [condition.match] });
  for (const a of l7) {
    report.warn(a.field, `${a.what}; ztunnel cannot enforce it, so it is dropped from this DENY rule, which then applies to `
      + `more connections (more restrictive than requested); ${WAYPOINT_HINT}`);
  }
  if (l7.length > 0 && clauses.length === 0) {
    report.warn(path, 'without its HTTP attributes this rule matches every connection: '
      + 'the policy denies all traffic to the workloads it applies to');
  }
  return { rule: { clauses }, partial: l7.length > 0 };
}

/** `spec.rules` (absent = no rules). */
export function convertRules(value: unknown, path: string, ctx: RulesContext): ConvertedRules {
  const list = readList(value, path, ctx.report, MAX_RULES) ?? [];
  const rules: AuthorizationRule[] = [];
  let partial = false;
  list.forEach((raw, i) => {
    const outcome = convertRule(raw, `${path}[${i}]`, ctx);
    if (outcome.rule) rules.push(outcome.rule);
    partial ||= outcome.partial;
  });
  return { rules, partial };
}
