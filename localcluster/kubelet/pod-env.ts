// What a container's process is given, computed from the pod: environment variables (literal,
// downward-API fieldRefs, ConfigMap/Secret refs, envFrom), `$(VAR)` expansion in env, command and
// args, and the Kubernetes service variables in-cluster clients look for. Pure.

import { isRecord, KubeObject } from '../apiserver/types';

export interface ContainerSpec {
  name: string;
  image: string;
  command?: string[];
  args?: string[];
  env?: unknown[];
  envFrom?: unknown[];
  ports?: { name?: string; containerPort: number; protocol?: string }[];
  readinessProbe?: unknown;
  workingDir?: string;
}

export interface EnvContext {
  pod: KubeObject;
  podIP: string;
  hostIP: string;
  apiServer: { host: string; port: number };
  /** Reads a key of a ConfigMap or Secret in the pod's namespace (Secret values decoded). */
  lookup: (kind: 'ConfigMap' | 'Secret', name: string, key: string | undefined) => Record<string, string> | undefined;
}

export interface ResolvedEnv {
  env: Record<string, string>;
  problems: string[];
}

const str = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Reads a downward-API field path such as `metadata.labels['app']` or `status.podIP`. */
export function fieldRef(path: string, ctx: EnvContext): string | undefined {
  const meta = ctx.pod.metadata;
  const spec = isRecord(ctx.pod.spec) ? ctx.pod.spec : {};
  const indexed = /^metadata\.(labels|annotations)\['([^']+)'\]$/.exec(path);
  if (indexed) return (indexed[1] === 'labels' ? meta.labels : meta.annotations)?.[indexed[2]] ?? '';
  switch (path) {
    case 'metadata.name': return meta.name ?? '';
    case 'metadata.namespace': return meta.namespace ?? '';
    case 'metadata.uid': return meta.uid ?? '';
    case 'spec.nodeName': return str(spec.nodeName);
    case 'spec.serviceAccountName': return str(spec.serviceAccountName) || 'default';
    case 'status.podIP': case 'status.podIPs': return ctx.podIP;
    case 'status.hostIP': case 'status.hostIPs': return ctx.hostIP;
    default: return undefined;
  }
}

/** `$(NAME)` → value when NAME is defined, `$$(NAME)` → literal `$(NAME)`, as Kubernetes expands. */
export function expand(text: string, vars: Record<string, string>): string {
  return text.replace(/\$\$|\$\(([A-Za-z_][A-Za-z0-9_.-]*)\)/g, (m, name?: string) => {
    if (m === '$$') return '$';
    return name !== undefined && Object.prototype.hasOwnProperty.call(vars, name) ? vars[name] : m;
  });
}

export function containerEnv(container: ContainerSpec, ctx: EnvContext): ResolvedEnv {
  const problems: string[] = [];
  const env: Record<string, string> = {
    KUBERNETES_SERVICE_HOST: ctx.apiServer.host,
    KUBERNETES_SERVICE_PORT: String(ctx.apiServer.port),
    KUBERNETES_SERVICE_PORT_HTTPS: String(ctx.apiServer.port),
    HOSTNAME: ctx.pod.metadata.name ?? '',
  };
  for (const from of container.envFrom ?? []) {
    if (!isRecord(from)) continue;
    const prefix = str(from.prefix);
    const ref = isRecord(from.configMapRef) ? { kind: 'ConfigMap' as const, r: from.configMapRef }
      : isRecord(from.secretRef) ? { kind: 'Secret' as const, r: from.secretRef } : undefined;
    if (!ref) continue;
    const data = ctx.lookup(ref.kind, str(ref.r.name), undefined);
    if (!data && ref.r.optional !== true) problems.push(`${ref.kind} "${str(ref.r.name)}" not found`);
    for (const [k, v] of Object.entries(data ?? {})) env[prefix + k] = v;
  }
  for (const e of container.env ?? []) {
    if (!isRecord(e) || typeof e.name !== 'string') continue;
    if (typeof e.value === 'string') { env[e.name] = expand(e.value, env); continue; }
    const vf = isRecord(e.valueFrom) ? e.valueFrom : undefined;
    if (!vf) { env[e.name] = ''; continue; }
    if (isRecord(vf.fieldRef)) {
      const v = fieldRef(str(vf.fieldRef.fieldPath), ctx);
      if (v === undefined) problems.push(`env ${e.name}: unsupported fieldRef "${str(vf.fieldRef.fieldPath)}"`);
      else env[e.name] = v;
      continue;
    }
    const keyRef = isRecord(vf.configMapKeyRef) ? { kind: 'ConfigMap' as const, r: vf.configMapKeyRef }
      : isRecord(vf.secretKeyRef) ? { kind: 'Secret' as const, r: vf.secretKeyRef } : undefined;
    if (keyRef) {
      const key = str(keyRef.r.key);
      const v = ctx.lookup(keyRef.kind, str(keyRef.r.name), key)?.[key];
      if (v !== undefined) env[e.name] = v;
      else if (keyRef.r.optional !== true) problems.push(`env ${e.name}: key "${key}" of ${keyRef.kind} "${str(keyRef.r.name)}" not found`);
      continue;
    }
    problems.push(`env ${e.name}: unsupported valueFrom (resourceFieldRef is not supported by the local cluster)`);
  }
  return { env, problems };
}

/** Every container's spec, tolerating odd input (the API layer validates shapes). */
export function podContainers(pod: KubeObject): ContainerSpec[] {
  const spec = isRecord(pod.spec) ? pod.spec : {};
  const list = Array.isArray(spec.containers) ? spec.containers : [];
  return list.filter((c): c is ContainerSpec => isRecord(c) && typeof c.name === 'string' && typeof c.image === 'string');
}
