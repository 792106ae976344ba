// Pure rules about a pod's metadata: label selection, ambient enrollment (Istio's CNI enablement
// selector), canonical service name/revision for telemetry, and the workload name/type derived
// from the controlling owner reference (Istio's GetDeployMetaFromPod heuristics).

import type { WorkloadType } from '../../pkg/api/workload-types';
import type { Labels, MeshNamespace, MeshPod } from '../kube/mesh-types';

export const DATAPLANE_MODE_LABEL = 'istio.io/dataplane-mode';
export const SIDECAR_STATUS_ANNOTATION = 'sidecar.istio.io/status';
/** Namespaces whose pods are never enrolled (Istio's `excludeNamespaces` default). */
export const EXCLUDED_NAMESPACES: ReadonlySet<string> = new Set(['kube-system']);

/** An own property only: a hostile key such as `constructor` never reads Object.prototype. */
export function labelOf(labels: Labels | undefined, key: string): string | undefined {
  return labels !== undefined && Object.hasOwn(labels, key) ? labels[key] : undefined;
}

export function hasSelector(selector: Labels | undefined): selector is Labels {
  return selector !== undefined && Object.keys(selector).length > 0;
}

/** Every pair of a non-empty selector is among the labels (an empty selector selects nothing). */
export function selects(selector: Labels | undefined, labels: Labels): boolean {
  if (!hasSelector(selector)) return false;
  for (const [k, v] of Object.entries(selector)) if (labelOf(labels, k) !== v) return false;
  return true;
}

/**
 * Whether the pod's traffic is captured into HBONE: pod label `istio.io/dataplane-mode=ambient`, or
 * the namespace label and the pod not opting out with `none`; never for host-network pods, pods
 * with a sidecar, or pods in an excluded namespace.
 */
export function isAmbientEnrolled(pod: MeshPod, namespace: MeshNamespace | undefined): boolean {
  if (pod.hostNetwork || EXCLUDED_NAMESPACES.has(pod.namespace)) return false;
  if (labelOf(pod.annotations, SIDECAR_STATUS_ANNOTATION) !== undefined) return false;
  const podMode = labelOf(pod.labels, DATAPLANE_MODE_LABEL);
  if (podMode === 'ambient') return true;
  if (podMode === 'none') return false;
  return labelOf(namespace?.labels, DATAPLANE_MODE_LABEL) === 'ambient';
}

function firstLabel(labels: Labels, keys: readonly string[]): string | undefined {
  for (const k of keys) {
    const v = labelOf(labels, k);
    if (v) return v;
  }
  return undefined;
}

export function canonicalName(labels: Labels, workloadName: string): string {
  return firstLabel(labels, ['service.istio.io/canonical-name', 'app.kubernetes.io/name', 'app']) ?? workloadName;
}

export function canonicalRevision(labels: Labels): string {
  return firstLabel(labels, ['service.istio.io/canonical-revision', 'app.kubernetes.io/version', 'version']) ?? 'latest';
}

/** Job names the CronJob controller generates: `<cronjob>-<8 to 10 digit schedule time>`. */
const CRONJOB_JOB_NAME = /^(.+)-[0-9]{8,10}$/;

export function workloadNameAndType(pod: MeshPod): { workloadName: string; workloadType: WorkloadType } {
  const owner = pod.ownerReferences.find((r) => r.controller);
  if (owner) {
    switch (owner.kind) {
      case 'Deployment':
        return { workloadName: owner.name, workloadType: 'DEPLOYMENT' };
      case 'ReplicaSet': {
        const hash = labelOf(pod.labels, 'pod-template-hash');
        if (hash && owner.name.length > hash.length + 1 && owner.name.endsWith(`-${hash}`)) {
          return { workloadName: owner.name.slice(0, -(hash.length + 1)), workloadType: 'DEPLOYMENT' };
        }
        break;
      }
      case 'Job': {
        const cron = CRONJOB_JOB_NAME.exec(owner.name);
        return cron ? { workloadName: cron[1] as string, workloadType: 'CRONJOB' } : { workloadName: owner.name, workloadType: 'JOB' };
      }
      case 'CronJob':
        return { workloadName: owner.name, workloadType: 'CRONJOB' };
      default:
        break;
    }
  }
  return { workloadName: pod.name, workloadType: 'POD' };
}
