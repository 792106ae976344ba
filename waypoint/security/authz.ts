// The waypoint's L7 authorization evaluator: AuthorizationPolicies (pkg/api/waypoint-security-types.ts)
// compiled once per config into closures, then a decision per request. Semantics are the
// contract's (Istio's RBAC at a waypoint):
// - applicable policies: `targets.all` ones plus those listing the request's Service key (none
//   listed for workload-addressed traffic, serviceKey undefined);
// - any matching DENY → denied by it; else if ALLOW policies apply and none matches → denied ('');
//   else allowed (by the first matching ALLOW, or '' when no ALLOW applies);
// - a policy's rules are OR-ed, zero rules match nothing; a rule needs some `from` entry (none =
//   any), some `to` entry (none = any) and every `when` predicate; an entry all its predicates;
// - AUDIT policies never change the decision: the ones that match are listed in `audited`
//   (dry-run ones too: auditing enforces nothing either way);
// - dry-run ALLOW/DENY policies never change the decision: when one applies, `dryRun` is the
//   decision had they been enforced alongside the others.
// A policy with a matcher that cannot be compiled (never for codec-valid input) fails closed: a
// DENY matches every request, an ALLOW or AUDIT none. Policies keep config order (the first
// matching DENY / ALLOW is the one reported). Pure.

import { ErrorCode, MeshError } from '../../pkg/errors/mesh-error';
import type { L7Action, L7Entry, L7Policy, L7Rule } from '../../pkg/api/waypoint-security-types';
import type { RequestAttributes } from './attributes';
import { compilePredicate, type CompiledPredicate } from './authz-match';

/** Opaque: the compiled policies. */
export interface CompiledAuthz {
  /** How many policies were compiled. */
  readonly size: number;
}

export interface AuthzDecision {
  readonly allowed: boolean;
  /** "ns/name" of the deciding policy: the matching DENY, the matching ALLOW, '' when allowed with no ALLOW policy or denied because no ALLOW matched. */
  readonly policy: string;
  /** Present when a dry-run policy applies: the decision had dry-run policies been enforced. */
  readonly dryRun?: { readonly allowed: boolean; readonly policy: string };
  /** AUDIT policies whose rules matched ("ns/name"). */
  readonly audited: readonly string[];
}

interface CompiledPolicy {
  readonly id: string;
  readonly action: L7Action;
  readonly dryRun: boolean;
  readonly matches: (attrs: RequestAttributes) => boolean;
}

/** The policies that apply to one target, split by role, each list in config order. */
interface Applicable {
  readonly deny: readonly CompiledPolicy[];
  readonly allow: readonly CompiledPolicy[];
  /** Enforced and dry-run DENY / ALLOW together (the shadow evaluation), config order. */
  readonly shadowDeny: readonly CompiledPolicy[];
  readonly shadowAllow: readonly CompiledPolicy[];
  readonly audit: readonly CompiledPolicy[];
  readonly hasDryRun: boolean;
  readonly any: boolean;
}

class Compiled implements CompiledAuthz {
  constructor(
    readonly size: number,
    readonly global: Applicable,
    readonly byService: ReadonlyMap<string, Applicable>,
  ) {}
}

const always = (): boolean => true;
const never = (): boolean => false;

function all(preds: readonly CompiledPredicate[]): CompiledPredicate {
  if (preds.length === 0) return always;
  if (preds.length === 1) return preds[0] ?? always;
  return (a) => preds.every((p) => p(a));
}

/** An entry: all its predicates; undefined if one does not compile. */
function compileEntry(e: L7Entry): CompiledPredicate | undefined {
  const preds: CompiledPredicate[] = [];
  for (const p of e.predicates) {
    const c = compilePredicate(p);
    if (!c) return undefined;
    preds.push(c);
  }
  return all(preds);
}

/** Entries OR-ed, none = any. */
function compileEntries(entries: readonly L7Entry[]): CompiledPredicate | undefined {
  if (entries.length === 0) return always;
  const compiled: CompiledPredicate[] = [];
  for (const e of entries) {
    const c = compileEntry(e);
    if (!c) return undefined;
    compiled.push(c);
  }
  if (compiled.length === 1) return compiled[0];
  return (a) => compiled.some((c) => c(a));
}

function compileRule(r: L7Rule): CompiledPredicate | undefined {
  const from = compileEntries(r.from);
  const to = compileEntries(r.to);
  const when: CompiledPredicate[] = [];
  for (const p of r.when) {
    const c = compilePredicate(p);
    if (!c) return undefined;
    when.push(c);
  }
  if (!from || !to) return undefined;
  return all([from, to, ...when].filter((c) => c !== always));
}

function compilePolicy(p: L7Policy): CompiledPolicy {
  const id = `${p.namespace}/${p.name}`;
  const rules: CompiledPredicate[] = [];
  let broken = false;
  for (const r of p.rules) {
    const c = compileRule(r);
    if (!c) { broken = true; break; }
    rules.push(c);
  }
  let matches: (a: RequestAttributes) => boolean;
  if (broken) matches = p.action === 'DENY' ? always : never;
  else if (rules.length === 0) matches = never;
  else if (rules.length === 1) matches = rules[0] ?? never;
  else matches = (a) => rules.some((r) => r(a));
  return { id, action: p.action, dryRun: p.dryRun, matches };
}

function applicable(policies: readonly CompiledPolicy[]): Applicable {
  const enforced = policies.filter((p) => !p.dryRun);
  return {
    deny: enforced.filter((p) => p.action === 'DENY'),
    allow: enforced.filter((p) => p.action === 'ALLOW'),
    shadowDeny: policies.filter((p) => p.action === 'DENY'),
    shadowAllow: policies.filter((p) => p.action === 'ALLOW'),
    audit: policies.filter((p) => p.action === 'AUDIT'),
    hasDryRun: policies.some((p) => p.dryRun && p.action !== 'AUDIT'),
    any: policies.length > 0,
  };
}

/** Compiles every policy once; never throws on codec-valid input. */
export function compileAuthz(policies: readonly L7Policy[]): CompiledAuthz {
  const compiled = policies.map(compilePolicy);
  const globalList: CompiledPolicy[] = [];
  const keys = new Set<string>();
  policies.forEach((p, i) => {
    const c = compiled[i];
    if (!c) return;
    if (p.targets.all) globalList.push(c);
    for (const s of p.targets.services) keys.add(s);
  });
  const byService = new Map<string, Applicable>();
  for (const key of keys) {
    const list = compiled.filter((_c, i) => {
      const t = policies[i]?.targets;
      return t !== undefined && (t.all || t.services.includes(key));
    });
    byService.set(key, applicable(list));
  }
  return new Compiled(compiled.length, applicable(globalList), byService);
}

function applicableFor(c: CompiledAuthz, serviceKey: string | undefined): Applicable {
  if (!(c instanceof Compiled)) throw new MeshError(ErrorCode.Internal, 'authorization policies were not compiled by compileAuthz');
  return (serviceKey === undefined ? undefined : c.byService.get(serviceKey)) ?? c.global;
}

/** True when any policy (including dry-run and AUDIT ones) applies to the target. */
export function authzApplies(c: CompiledAuthz, serviceKey: string | undefined): boolean {
  return applicableFor(c, serviceKey).any;
}

function decide(
  deny: readonly CompiledPolicy[],
  allow: readonly CompiledPolicy[],
  matched: (p: CompiledPolicy) => boolean,
): { readonly allowed: boolean; readonly policy: string } {
  for (const p of deny) if (matched(p)) return { allowed: false, policy: p.id };
  if (allow.length === 0) return { allowed: true, policy: '' };
  for (const p of allow) if (matched(p)) return { allowed: true, policy: p.id };
  return { allowed: false, policy: '' };
}

/** The decision for one request to `serviceKey` (undefined: workload-addressed traffic). */
export function authorize(c: CompiledAuthz, serviceKey: string | undefined, attrs: RequestAttributes): AuthzDecision {
  const app = applicableFor(c, serviceKey);
  if (!app.any) return { allowed: true, policy: '', audited: [] };
  if (!app.hasDryRun) {
    const matches = (p: CompiledPolicy): boolean => p.matches(attrs);
    return { ...decide(app.deny, app.allow, matches), audited: app.audit.filter(matches).map((p) => p.id) };
  }
  // Enforced policies are evaluated once and reused by the shadow decision.
  const memo = new Map<CompiledPolicy, boolean>();
  const matched = (p: CompiledPolicy): boolean => {
    let m = memo.get(p);
    if (m === undefined) {
      m = p.matches(attrs);
      memo.set(p, m);
    }
    return m;
  };
  const decision = decide(app.deny, app.allow, matched);
  const audited = app.audit.filter(matched).map((p) => p.id);
  return { ...decision, dryRun: decide(app.shadowDeny, app.shadowAllow, matched), audited };
}
