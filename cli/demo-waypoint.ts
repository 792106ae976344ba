// The waypoint part of `ambit demo`: `ambit waypoint apply --enroll-namespace --wait` in the demo
// namespace, the 90/10 HTTPRoute from manifests/samples/echo-canary.yaml, then 100 requests from
// the client pod counted by the version that answered — and the waypoint's own request metric —
// then the L7 policies of manifests/samples/waypoint-policies.yaml: DELETE /admin/... refused with
// 403 (however the path is spelled) while GET passes.

import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { V1Pod } from '@kubernetes/client-node';
import type { ClusterConfig } from '../localcluster/cluster/config';
import { DIST_DIR, execInPod } from './local';

const run = promisify(execFile);
const out = (s: string): void => { process.stdout.write(`${s}\n`); };
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Versions that answered `n` requests to http://echo/ from the client pod, in one exec. */
async function countVersions(cfg: ClusterConfig, client: V1Pod, n: number): Promise<Record<string, number>> {
  const script = `for i in $(seq ${n}); do curl -s --max-time 5 http://echo/ | grep -o '"version": *"[a-z0-9]*"' | head -1 || echo failed; done`;
  const res = await execInPod(cfg, client, ['sh', '-c', script], 'pipe');
  const counts: Record<string, number> = {};
  for (const line of res.stdout.split('\n').filter(Boolean)) {
    const version = /"([a-z0-9]+)"$/.exec(line)?.[1] ?? 'failed';
    counts[version] = (counts[version] ?? 0) + 1;
  }
  return counts;
}

export async function waypointDemo(cfg: ClusterConfig, kubeconfig: string, client: V1Pod,
  kubectl: (args: string[]) => Promise<string>): Promise<void> {
  const env = { ...process.env, KUBECONFIG: kubeconfig };
  out('\n$ ambit waypoint apply -n default --enroll-namespace --wait');
  const applied = await run(process.execPath, [join(DIST_DIR, 'cli', 'main.js'), 'waypoint', 'apply', '-n', 'default', '--enroll-namespace', '--wait', '--timeout', '120s'], { env });
  out(applied.stdout.trimEnd());
  out('\n$ kubectl apply -f manifests/samples/echo-canary.yaml   # 90 % echo-v1, 10 % echo-v2');
  out((await kubectl(['apply', '-f', join(DIST_DIR, '..', 'manifests', 'samples', 'echo-canary.yaml')])).trimEnd());
  // The route reaches the waypoint within a second or two; wait until v1 dominates a small sample.
  const deadline = Date.now() + 60_000;
  for (;;) {
    const sample = await countVersions(cfg, client, 10);
    if ((sample.v1 ?? 0) >= 7 && !sample.failed) break;
    if (Date.now() > deadline) throw new Error(`the canary route did not take effect within 60 s (last sample ${JSON.stringify(sample)}); see 'ambit waypoint status' and 'ambit local logs default/deploy/waypoint'`);
    await sleep(1000);
  }
  const counts = await countVersions(cfg, client, 100);
  out(`\n100 requests to http://echo/ through the waypoint were answered by:\n${Object.entries(counts).sort().map(([v, c]) => `  ${v}: ${c}`).join('\n')}`);
  out('\nthe waypoint counts them too (istio_requests_total, reporter="waypoint"):');
  const ip = (await kubectl(['get', 'pods', '-l', 'gateway.networking.k8s.io/gateway-name=waypoint', '-o', 'jsonpath={.items[0].status.podIP}'])).trim();
  const metrics = await execInPod(cfg, client, ['sh', '-c', `curl -s --max-time 3 http://${ip}:15020/metrics | grep "^istio_requests_total" | head -4`], 'pipe');
  out(metrics.stdout.trimEnd().split('\n').map((l) => `  ${l}`).join('\n') || '  (no metrics yet)');
  await policyDemo(cfg, client, kubectl);
}

/** Status codes of one request per curl argument list, from the client pod. */
async function statuses(cfg: ClusterConfig, client: V1Pod, requests: readonly string[]): Promise<string[]> {
  const script = requests.map((r) => `curl -s -o /dev/null -w '%{http_code}\\n' --max-time 5 --path-as-is ${r}`).join('; ');
  const res = await execInPod(cfg, client, ['sh', '-c', script], 'pipe');
  return res.stdout.split('\n').filter(Boolean);
}

async function policyDemo(cfg: ClusterConfig, client: V1Pod, kubectl: (args: string[]) => Promise<string>): Promise<void> {
  out('\n$ kubectl apply -f manifests/samples/waypoint-policies.yaml   # DENY DELETE /admin/*, AUDIT /admin/*');
  out((await kubectl(['apply', '-f', join(DIST_DIR, '..', 'manifests', 'samples', 'waypoint-policies.yaml')])).trimEnd());
  const tries = ['-X DELETE http://echo/admin/users', '-X DELETE http://echo//admin/users', '-X DELETE http://echo/%2Fadmin/users', 'http://echo/admin/users'];
  const deadline = Date.now() + 60_000;
  let codes = await statuses(cfg, client, tries);
  while (codes[0] !== '403' && Date.now() < deadline) {
    await sleep(1000);
    codes = await statuses(cfg, client, tries);
  }
  out('\nthrough the waypoint now:');
  tries.forEach((t, i) => out(`  curl ${t.padEnd(36)} → ${codes[i] ?? 'no answer'}`));
  if (codes[0] !== '403') throw new Error('the DENY policy did not take effect within 60 s; see kubectl get authorizationpolicy -o yaml and ambit waypoint status');
}
