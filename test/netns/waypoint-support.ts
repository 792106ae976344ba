// What the waypoint root tests share: applying and deleting YAML in a namespace, batches of
// requests from a client pod (status, echo version, `x-ambit-reason`), one request with its
// headers and body, waiting until a batch looks right, reading a waypoint pod's metrics and log,
// and the YAML of HTTPRoutes and node2-pinned echo Deployments.

import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { MeshCluster } from './mesh-cluster';

export interface Answer { status: number; version: string; reason: string }

/** One HTTP exchange as the client saw it: header names lower-case, every value kept. */
export interface FullAnswer {
  status: number;
  headers: Record<string, string[]>;
  body: string;
}

/** Quotes a word for `sh -c`. */
const shq = (s: string): string => `'${s.replace(/'/g, `'\\''`)}'`;

export interface WaypointSupport {
  /** How many YAML files `apply` has written (for unique names). */
  readonly applied: number;
  apply(yaml: string, namespace?: string): Promise<void>;
  remove(kind: string, name: string, namespace?: string): Promise<string>;
  /** Runs `n` requests from the default client pod in one exec. */
  requests(n: number, url: string, ...curlArgs: string[]): Promise<Answer[]>;
  /** The same from another pod (`ns/deploy/name` or `ns/pod`). */
  requestsFrom(from: string, n: number, url: string, ...curlArgs: string[]): Promise<Answer[]>;
  /** One request per entry (curl arguments, the URL last), all in one exec. */
  each(from: string, calls: readonly (readonly string[])[]): Promise<Answer[]>;
  /** One request from `from` with the whole answer. */
  exchange(from: string, url: string, ...curlArgs: string[]): Promise<FullAnswer>;
  /** Waits until `check` holds for a batch of requests (config takes a moment to reach the waypoint). */
  eventually(what: string, n: number, url: string, check: (r: Answer[]) => boolean, ...curlArgs: string[]): Promise<Answer[]>;
}

function parseLines(out: string): Answer[] {
  return out.trim().split('\n').filter(Boolean).map((line) => {
    const [status, version, reason] = line.split(' ');
    return { status: Number(status), version: version ?? '-', reason: reason ?? '-' };
  });
}

/** The shell commands for one curl that print "<status> <version> <reason>". */
function curlLine(args: string): string {
  return `curl -s -o /tmp/ambit-w-body.$$ -D /tmp/ambit-w-head.$$ --max-time 10 ${args} >/dev/null;`
    + ` code=$(head -1 /tmp/ambit-w-head.$$ | cut -d' ' -f2); v=$(grep -o '"version": *"[a-z0-9]*"' /tmp/ambit-w-body.$$ | head -1 | sed 's/.*"\\([a-z0-9]*\\)"$/\\1/');`
    + ` r=$(grep -i '^x-ambit-reason:' /tmp/ambit-w-head.$$ | cut -d' ' -f2 | tr -d '\\r'); echo "\${code:-000} \${v:--} \${r:--}"; rm -f /tmp/ambit-w-head.$$;`;
}

/** Splits `curl -i` output into status, headers and body. */
export function parseCurlInclude(out: string): FullAnswer {
  let rest = out;
  // Skip interim responses (100 Continue).
  for (;;) {
    const end = rest.indexOf('\r\n\r\n');
    const head = end < 0 ? rest : rest.slice(0, end);
    const body = end < 0 ? '' : rest.slice(end + 4);
    const lines = head.split('\r\n');
    const status = Number(/^HTTP\/[\d.]+ (\d{3})/.exec(lines[0] ?? '')?.[1] ?? 0);
    if (status >= 100 && status < 200 && end >= 0) {
      rest = body;
      continue;
    }
    const headers: Record<string, string[]> = {};
    for (const line of lines.slice(1)) {
      const colon = line.indexOf(':');
      if (colon <= 0) continue;
      const name = line.slice(0, colon).trim().toLowerCase();
      (headers[name] ??= []).push(line.slice(colon + 1).trim());
    }
    return { status, headers, body };
  }
}

export function waypointSupport(mesh: MeshCluster, client: string, filePrefix = 'w'): WaypointSupport {
  let applied = 0;
  const requestsFrom = async (from: string, n: number, url: string, ...curlArgs: string[]): Promise<Answer[]> => {
    const args = [...curlArgs, url].map(shq).join(' ');
    const script = `for i in $(seq ${n}); do ${curlLine(args)} done; rm -f /tmp/ambit-w-body.$$`;
    return parseLines(await mesh.ambit('local', 'exec', from, '--', 'sh', '-c', script));
  };
  const requests = (n: number, url: string, ...curlArgs: string[]): Promise<Answer[]> => requestsFrom(client, n, url, ...curlArgs);
  return {
    get applied() { return applied; },
    async apply(yaml: string, namespace = 'shop'): Promise<void> {
      const file = join(mesh.root, `${filePrefix}-${++applied}.yaml`);
      await writeFile(file, yaml);
      await mesh.kubectl('apply', '-n', namespace, '-f', file);
    },
    remove: (kind: string, name: string, namespace = 'shop'): Promise<string> =>
      mesh.kubectl('delete', kind, '-n', namespace, name, '--ignore-not-found'),
    requests,
    requestsFrom,
    async each(from: string, calls: readonly (readonly string[])[]): Promise<Answer[]> {
      const script = `${calls.map((c) => curlLine(c.map(shq).join(' '))).join(' ')} rm -f /tmp/ambit-w-body.$$`;
      return parseLines(await mesh.ambit('local', 'exec', from, '--', 'sh', '-c', script));
    },
    async exchange(from: string, url: string, ...curlArgs: string[]): Promise<FullAnswer> {
      return parseCurlInclude(await mesh.ambit('local', 'exec', from, '--', 'curl', '-s', '-i', '--max-time', '10', ...curlArgs, url));
    },
    eventually: (what, n, url, check, ...curlArgs) => mesh.until(what, async () => {
      const r = await requests(n, url, ...curlArgs);
      return check(r) ? r : undefined;
    }, 90_000),
  };
}

export const count = <T>(items: readonly T[], pred: (t: T) => boolean): number => items.filter(pred).length;

/** The sum of a Prometheus counter's samples whose labels include all of `labels`. */
export function metricSum(text: string, name: string, labels: Readonly<Record<string, string>> = {}): number {
  let sum = 0;
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    const close = line.lastIndexOf('}');
    const body = close > 0 ? line.slice(name.length + 1, close) : '';
    const have = new Map<string, string>();
    for (const m of body.matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)) have.set(m[1] ?? '', (m[2] ?? '').replace(/\\(.)/g, '$1'));
    if (Object.entries(labels).every(([k, v]) => have.get(k) === v)) sum += Number(line.slice((close > 0 ? close + 1 : name.length)).trim().split(' ')[0]);
  }
  return sum;
}

/** The waypoint pod's Prometheus text (fetched inside the pod on 15020). */
export function waypointMetrics(mesh: MeshCluster, pod: string): Promise<string> {
  return mesh.ambit('local', 'exec', pod, '--', 'curl', '-sS', '--max-time', '5', 'http://127.0.0.1:15020/metrics');
}

export const httpRoute = (name: string, rules: string, parent = 'echo'): string => `
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: ${name} }
spec:
  parentRefs: [{ group: "", kind: Service, name: ${parent}, port: 80 }]
  rules:
${rules}
`;

/** An echo Deployment pinned to node2 with extra env (FAIL_EVERY, ...); labels on pods and selector. */
export const echoDeployment = (name: string, labels: Record<string, string>, replicas: number, env: Record<string, string>): string => `
apiVersion: apps/v1
kind: Deployment
metadata: { name: ${name} }
spec:
  replicas: ${replicas}
  selector: { matchLabels: ${JSON.stringify(labels)} }
  template:
    metadata: { labels: ${JSON.stringify(labels)} }
    spec:
      terminationGracePeriodSeconds: 2
      nodeSelector: { kubernetes.io/hostname: node2 }
      containers:
        - name: main
          image: ambit/echo
          env: ${JSON.stringify([{ name: 'PORT', value: '8080' }, ...Object.entries(env).map(([k, v]) => ({ name: k, value: v })),
    { name: 'POD_NAME', valueFrom: { fieldRef: { fieldPath: 'metadata.name' } } }])}
          readinessProbe: { tcpSocket: { port: 8080 }, periodSeconds: 1 }
`;
