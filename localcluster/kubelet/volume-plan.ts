// Volume planning (pure): a pod's `volumes` and its containers' `volumeMounts` → the volumes the
// kubelet must materialise (files from ConfigMaps, Secrets, projected service-account tokens and
// the downward API; emptyDir; hostPath directories) and the bind mounts of each container, with
// the default service-account volume added the way Kubernetes' admission and kubelet do. Every
// unsupported or invalid field is reported as a problem naming the field.

import { isRecord, KubeObject } from '../apiserver/types';
import { mountPathProblem, SERVICE_ACCOUNT_MOUNT } from '../runtime/sa-mountpoint';

/** One file of a ConfigMap/Secret volume: `key` of the object written at `path`. */
export interface KeyToPath { key: string; path: string; mode?: number }

export interface DownwardItem { path: string; fieldPath: string; mode?: number }

/** A source of files (a whole volume of kind configMap/secret/downwardAPI, or one projected source). */
export type FileSource =
  | { kind: 'serviceAccountToken'; audience?: string; expirationSeconds: number; path: string }
  | { kind: 'configMap'; name: string; items?: KeyToPath[]; optional: boolean }
  | { kind: 'secret'; name: string; items?: KeyToPath[]; optional: boolean }
  | { kind: 'downwardAPI'; items: DownwardItem[] }
  /** The cluster's CA bundle (kube-root-ca.crt in Kubernetes), for the default service-account volume. */
  | { kind: 'clusterCA'; path: string };

export type VolumeSource =
  | { kind: 'files'; sources: FileSource[]; defaultMode: number; readOnly: true }
  | { kind: 'emptyDir'; readOnly: false }
  | { kind: 'hostPath'; path: string; create: boolean; readOnly: false };

export interface PlannedVolume {
  name: string;
  /** Directory name under the pod's directory (relative; distinct per volume). */
  dir: string;
  source: VolumeSource;
}

export interface PlannedMount { volume: string; mountPath: string; readOnly: boolean }

export interface PodVolumePlan {
  volumes: PlannedVolume[];
  /** Container name → its mounts. */
  mounts: Record<string, PlannedMount[]>;
  /** `field: why` for everything the local cluster cannot do; the pod must not start when any. */
  problems: string[];
}

export interface PlanOptions {
  /** The ServiceAccount's automountServiceAccountToken (undefined when unset or not found). */
  serviceAccountAutomount?: boolean;
  /** Lifetime of the default service-account token. */
  defaultTokenSeconds: number;
}

export const DEFAULT_SERVICE_ACCOUNT_VOLUME = 'kube-api-access';
/** Kubernetes' defaults: ConfigMap/Secret/projected/downwardAPI files are 0644 (420). */
const DEFAULT_MODE = 0o644;
const DEFAULT_TOKEN_EXPIRATION = 3600;
const MIN_TOKEN_EXPIRATION = 600;
const MAX_TOKEN_EXPIRATION = 2 ** 32;
const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Why `path` cannot name a file inside a volume (relative, no `..` element, not starting with `..`). */
export function itemPathProblem(path: string): string | undefined {
  if (path === '') return 'must not be empty';
  if (path.startsWith('/')) return 'must be a relative path';
  if (path.startsWith('..')) return "must not start with '..'";
  if (path.split('/').includes('..')) return "must not contain '..'";
  if (path.split('/').some((s) => s === '')) return 'must not contain empty path segments';
  // eslint-disable-next-line no-control-regex
  if (/[\x00-\x1f\x7f]/.test(path)) return 'must not contain control characters';
  return undefined;
}

function modeOf(v: unknown, field: string, problems: string[]): number | undefined {
  if (v === undefined || v === null) return undefined;
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v > 0o777) {
    problems.push(`${field}: Invalid value: ${JSON.stringify(v)}: must be a number between 0 and 0777 (octal), both inclusive`);
    return undefined;
  }
  return v;
}

function keyItems(v: unknown, field: string, problems: string[]): KeyToPath[] | undefined {
  if (v === undefined || v === null) return undefined;
  if (!Array.isArray(v)) {
    problems.push(`${field}: Invalid value: must be a list`);
    return undefined;
  }
  return v.map((item, i) => {
    const it = isRecord(item) ? item : {};
    const key = str(it.key);
    const path = str(it.path);
    if (!key) problems.push(`${field}[${i}].key: Required value`);
    const bad = itemPathProblem(path);
    if (bad) problems.push(`${field}[${i}].path: Invalid value: ${JSON.stringify(path)}: ${bad}`);
    const mode = modeOf(it.mode, `${field}[${i}].mode`, problems);
    return { key, path, ...(mode !== undefined ? { mode } : {}) };
  });
}

function downwardItems(v: unknown, field: string, problems: string[]): DownwardItem[] {
  const list = Array.isArray(v) ? v : [];
  return list.map((item, i) => {
    const it = isRecord(item) ? item : {};
    const path = str(it.path);
    const bad = itemPathProblem(path);
    if (bad) problems.push(`${field}[${i}].path: Invalid value: ${JSON.stringify(path)}: ${bad}`);
    const fieldPath = isRecord(it.fieldRef) ? str(it.fieldRef.fieldPath) : '';
    if (!fieldPath) problems.push(`${field}[${i}]: only fieldRef items are supported by the local cluster`);
    const mode = modeOf(it.mode, `${field}[${i}].mode`, problems);
    return { path, fieldPath, ...(mode !== undefined ? { mode } : {}) };
  });
}

function projectedSource(src: unknown, field: string, problems: string[]): FileSource | undefined {
  const s = isRecord(src) ? src : {};
  if (isRecord(s.serviceAccountToken)) {
    const t = s.serviceAccountToken;
    const path = str(t.path);
    const bad = itemPathProblem(path);
    if (bad) problems.push(`${field}.serviceAccountToken.path: Invalid value: ${JSON.stringify(path)}: ${bad}`);
    const exp = t.expirationSeconds ?? DEFAULT_TOKEN_EXPIRATION;
    if (typeof exp !== 'number' || !Number.isInteger(exp) || exp < MIN_TOKEN_EXPIRATION || exp > MAX_TOKEN_EXPIRATION) {
      problems.push(`${field}.serviceAccountToken.expirationSeconds: Invalid value: ${JSON.stringify(exp)}: may not specify a duration less than 10 minutes or more than 2^32 seconds`);
    }
    const audience = str(t.audience);
    return { kind: 'serviceAccountToken', path, expirationSeconds: typeof exp === 'number' ? exp : DEFAULT_TOKEN_EXPIRATION, ...(audience ? { audience } : {}) };
  }
  if (isRecord(s.configMap)) {
    const items = keyItems(s.configMap.items, `${field}.configMap.items`, problems);
    return { kind: 'configMap', name: str(s.configMap.name), optional: s.configMap.optional === true, ...(items ? { items } : {}) };
  }
  if (isRecord(s.secret)) {
    const items = keyItems(s.secret.items, `${field}.secret.items`, problems);
    return { kind: 'secret', name: str(s.secret.name), optional: s.secret.optional === true, ...(items ? { items } : {}) };
  }
  if (isRecord(s.downwardAPI)) return { kind: 'downwardAPI', items: downwardItems(s.downwardAPI.items, `${field}.downwardAPI.items`, problems) };
  problems.push(`${field}: only serviceAccountToken, configMap, secret and downwardAPI sources are supported by the local cluster`);
  return undefined;
}

/** One entry of `spec.volumes` → its plan, or undefined (with problems) when unsupported. */
function planVolume(v: Record<string, unknown>, field: string, problems: string[]): VolumeSource | undefined {
  const files = (sources: (FileSource | undefined)[], defaultMode: unknown): VolumeSource => ({
    kind: 'files', sources: sources.filter((s): s is FileSource => s !== undefined),
    defaultMode: modeOf(defaultMode, `${field}.defaultMode`, problems) ?? DEFAULT_MODE, readOnly: true,
  });
  if (isRecord(v.configMap)) {
    if (!str(v.configMap.name)) problems.push(`${field}.configMap.name: Required value`);
    return files([projectedSource({ configMap: v.configMap }, field, problems)], v.configMap.defaultMode);
  }
  if (isRecord(v.secret)) {
    const name = str(v.secret.secretName);
    if (!name) problems.push(`${field}.secret.secretName: Required value`);
    return files([projectedSource({ secret: { ...v.secret, name } }, field, problems)], v.secret.defaultMode);
  }
  if (isRecord(v.downwardAPI)) return files([projectedSource({ downwardAPI: v.downwardAPI }, field, problems)], v.downwardAPI.defaultMode);
  if (isRecord(v.projected)) {
    const sources = Array.isArray(v.projected.sources) ? v.projected.sources : [];
    return files(sources.map((s, i) => projectedSource(s, `${field}.projected.sources[${i}]`, problems)), v.projected.defaultMode);
  }
  if (isRecord(v.emptyDir)) {
    if (v.emptyDir.medium !== undefined && v.emptyDir.medium !== '') problems.push(`${field}.emptyDir.medium: only the default (disk) medium is supported by the local cluster`);
    return { kind: 'emptyDir', readOnly: false };
  }
  if (isRecord(v.hostPath)) {
    const path = str(v.hostPath.path);
    const type = str(v.hostPath.type);
    if (!path.startsWith('/') || path.split('/').includes('..')) problems.push(`${field}.hostPath.path: Invalid value: ${JSON.stringify(path)}: must be an absolute path without '..'`);
    if (type !== '' && type !== 'Directory' && type !== 'DirectoryOrCreate') {
      problems.push(`${field}.hostPath.type: Unsupported value: ${JSON.stringify(type)}: the local cluster supports directories only ("", "Directory", "DirectoryOrCreate")`);
    }
    return { kind: 'hostPath', path, create: type === 'DirectoryOrCreate', readOnly: false };
  }
  const kinds = Object.keys(v).filter((k) => k !== 'name');
  problems.push(`${field}: volume type ${kinds.length ? kinds.join(', ') : '(none)'} is not supported by the local cluster (configMap, secret, projected, downwardAPI, emptyDir, hostPath are)`);
  return undefined;
}

function automount(spec: Record<string, unknown>, opts: PlanOptions): boolean {
  if (typeof spec.automountServiceAccountToken === 'boolean') return spec.automountServiceAccountToken;
  return opts.serviceAccountAutomount !== false;
}

/** The whole plan for a pod (see the file header). */
export function planPodVolumes(pod: KubeObject, opts: PlanOptions): PodVolumePlan {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const problems: string[] = [];
  const volumes: PlannedVolume[] = [];
  const rawVolumes = Array.isArray(spec.volumes) ? spec.volumes : [];
  rawVolumes.forEach((raw, i) => {
    const v = isRecord(raw) ? raw : {};
    const name = str(v.name);
    const field = `spec.volumes[${i}]`;
    const duplicate = volumes.some((p) => p.name === name);
    if (!DNS_LABEL.test(name) || name.length > 63) problems.push(`${field}.name: Invalid value: ${JSON.stringify(name)}: must be a DNS label`);
    else if (duplicate) problems.push(`${field}.name: Duplicate value: ${JSON.stringify(name)}`);
    const source = planVolume(v, field, problems);
    if (source && name && !duplicate) volumes.push({ name, dir: `volumes/${name}`, source });
  });
  const withDefault = automount(spec, opts);
  if (withDefault) {
    volumes.push({
      name: DEFAULT_SERVICE_ACCOUNT_VOLUME, dir: 'serviceaccount',
      source: {
        kind: 'files', defaultMode: DEFAULT_MODE, readOnly: true,
        sources: [
          { kind: 'serviceAccountToken', path: 'token', expirationSeconds: opts.defaultTokenSeconds },
          { kind: 'clusterCA', path: 'ca.crt' },
          { kind: 'downwardAPI', items: [{ path: 'namespace', fieldPath: 'metadata.namespace' }] },
        ],
      },
    });
  }
  const mounts: Record<string, PlannedMount[]> = {};
  const containers = Array.isArray(spec.containers) ? spec.containers : [];
  containers.forEach((rawC, ci) => {
    const c = isRecord(rawC) ? rawC : {};
    const cname = str(c.name);
    const list: PlannedMount[] = [];
    const rawMounts = Array.isArray(c.volumeMounts) ? c.volumeMounts : [];
    rawMounts.forEach((rawM, mi) => {
      const m = isRecord(rawM) ? rawM : {};
      const field = `spec.containers[${ci}].volumeMounts[${mi}]`;
      const volume = str(m.name);
      const mountPath = str(m.mountPath);
      const vol = volumes.find((v) => v.name === volume && v.name !== DEFAULT_SERVICE_ACCOUNT_VOLUME);
      if (!vol) problems.push(`${field}.name: Not found: ${JSON.stringify(volume)}`);
      const bad = mountPathProblem(mountPath);
      if (bad) problems.push(`${field}.mountPath: Invalid value: ${JSON.stringify(mountPath)}: ${bad}`);
      else if (list.some((x) => x.mountPath === mountPath)) problems.push(`${field}.mountPath: Invalid value: ${JSON.stringify(mountPath)}: must be unique`);
      if (str(m.subPath) || str(m.subPathExpr)) problems.push(`${field}.subPath: subPath mounts are not supported by the local cluster`);
      const propagation = str(m.mountPropagation);
      if (propagation && propagation !== 'None') problems.push(`${field}.mountPropagation: only None is supported by the local cluster`);
      if (vol) list.push({ volume, mountPath, readOnly: m.readOnly === true || vol.source.readOnly });
    });
    if (withDefault && !list.some((m) => m.mountPath === SERVICE_ACCOUNT_MOUNT)) {
      list.push({ volume: DEFAULT_SERVICE_ACCOUNT_VOLUME, mountPath: SERVICE_ACCOUNT_MOUNT, readOnly: true });
    }
    mounts[cname] = list;
  });
  return { volumes, mounts, problems };
}

/** The token sources of a volume (what needs refreshing, and when). */
export function tokenSources(v: PlannedVolume): Extract<FileSource, { kind: 'serviceAccountToken' }>[] {
  return v.source.kind === 'files' ? v.source.sources.filter((s): s is Extract<FileSource, { kind: 'serviceAccountToken' }> => s.kind === 'serviceAccountToken') : [];
}

/** Does the volume read the named ConfigMap or Secret? */
export function volumeReads(v: PlannedVolume, kind: 'ConfigMap' | 'Secret', name: string): boolean {
  if (v.source.kind !== 'files') return false;
  const want = kind === 'ConfigMap' ? 'configMap' : 'secret';
  return v.source.sources.some((s) => s.kind === want && s.name === name);
}

/** When a volume's tokens should be rewritten: at 80% of the shortest lifetime (as the kubelet). */
export function tokenRefreshMs(v: PlannedVolume): number | undefined {
  const lifetimes = tokenSources(v).map((s) => s.expirationSeconds);
  return lifetimes.length ? Math.floor(Math.min(...lifetimes) * 0.8 * 1000) : undefined;
}
