// What an xds-scale run does (pure): the cluster sizes, how many changes and how far apart, and the
// list of change kinds. A change kind says what it writes and whether it can be measured; a new
// kind is one entry here plus its writer in xds-scale-changes.ts. AuthorizationPolicies come in
// two kinds (namespace-wide and selector), so the rotation gives each half of the policy rounds.

export const ChangeKind = {
  PodAdded: 'pod-added',
  PodDeleted: 'pod-deleted',
  ServiceAdded: 'service-added',
  PolicyApplied: 'policy-applied',
  SelectorPolicyApplied: 'selector-policy-applied',
} as const;
export type ChangeKind = (typeof ChangeKind)[keyof typeof ChangeKind];

export interface ChangeKindInfo {
  readonly kind: ChangeKind;
  readonly label: string;
  /** What the bench writes and where t0 is taken. */
  readonly what: string;
  /** What every client must have applied for the change to count as done. */
  readonly expect: string;
  /** undefined when measurable; else why not. */
  readonly notMeasurable?: string;
  /** Written again after the measurement (deleted) so rounds do not accumulate. */
  readonly reverted?: boolean;
}

export const CHANGE_KINDS: readonly ChangeKindInfo[] = [
  {
    kind: ChangeKind.PodAdded,
    label: 'pod added',
    what: 'a pod is created without an address, then t0 is taken just before the status write (phase Running, podIP, Ready=True) that makes it a Workload',
    expect: 'the new Workload',
  },
  {
    kind: ChangeKind.PodDeleted,
    label: 'pod deleted',
    what: 't0 just before the DELETE of a running pod (no finalizers, no kubelet: it goes at once)',
    expect: 'the removal of its Workload',
  },
  {
    kind: ChangeKind.ServiceAdded,
    label: 'Service added',
    what: 't0 just before the POST of a second Service selecting an existing group of pods',
    expect: 'the new Service and the updated Workload of every pod it selects',
  },
  {
    kind: ChangeKind.PolicyApplied,
    label: 'AuthorizationPolicy applied (namespace)',
    what: 't0 just before the POST of a namespace-wide AuthorizationPolicy (no selector, L4 DENY rule); deleted after the measurement',
    expect: 'the Authorization resource (decoded and validated; Workloads do not list namespace-wide policies, so none change)',
    reverted: true,
  },
  {
    kind: ChangeKind.SelectorPolicyApplied,
    label: 'AuthorizationPolicy applied (selector)',
    what: 't0 just before the POST of an AuthorizationPolicy selecting one group of pods (L4 ALLOW rule); deleted after the measurement',
    expect: 'the Authorization resource (whether the selected Workloads were re-sent listing it is reported beside it)',
    reverted: true,
  },
];

export function changeKindInfo(kind: ChangeKind): ChangeKindInfo {
  const info = CHANGE_KINDS.find((k) => k.kind === kind);
  if (!info) throw new RangeError(`unknown change kind ${kind}`);
  return info;
}

/** The kinds that can be measured now, in rotation order. */
export function measurableKinds(): ChangeKind[] {
  return CHANGE_KINDS.filter((k) => k.notMeasurable === undefined).map((k) => k.kind);
}

/** `count` changes rotating over the measurable kinds (so each kind gets about the same share). */
export function changeSchedule(count: number): ChangeKind[] {
  const kinds = measurableKinds();
  return Array.from({ length: Math.max(0, count) }, (_, i) => kinds[i % kinds.length] as ChangeKind);
}

export interface RunPlan {
  /** Simulated node agents (one xDS client each). */
  readonly clients: number;
  /** Pod counts of the two measured sizes (the second grows from the first). */
  readonly sizes: readonly [number, number];
  /** Changes measured at each size. */
  readonly changes: number;
  /** Quiet time after a change has reached every client before the next one starts. */
  readonly gapMs: number;
  /** A change not applied by every client within this is recorded as timed out. */
  readonly changeTimeoutMs: number;
  /** Writes in flight while populating the API server. */
  readonly concurrency: number;
}

export function runPlan(quick: boolean): RunPlan {
  return quick
    ? { clients: 20, sizes: [500, 2000], changes: 6, gapMs: 300, changeTimeoutMs: 30_000, concurrency: 32 }
    : { clients: 20, sizes: [1000, 10_000], changes: 30, gapMs: 300, changeTimeoutMs: 30_000, concurrency: 32 };
}

/** Services for `pods` pods: one per full or partial group of ten. */
export function servicesFor(pods: number, groupSize: number): number {
  return Math.ceil(pods / groupSize);
}
