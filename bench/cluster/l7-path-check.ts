// Before anything is measured, every L7 path must answer from its client pod: GET / → 200 with
// 1 KiB. On the ztunnel path node2's ztunnel must count the request's connection as inbound HBONE
// (the bytes crossed the tunnel); on the waypoint path the response must carry the header the
// HTTPRoute sets — only the waypoint can have added it — and must not on any other path. The
// mesh paths are retried for a while: istiod's pushes reach the ztunnels shortly after the pods.

import { ErrorCode, MeshError, describeError } from '../../pkg/errors/mesh-error';
import { inNetns, until } from './kube-cli';
import { sumCounter } from './l4-plan';
import type { L7Path, L7PathId } from './l7-cluster-types';
import { ROUTE_HEADER } from './l7-manifests';
import { parseCurlAnswer, type CurlAnswer } from './l7-plan';
import { ztunnelMetrics } from './ztunnel-control';

const MESH_SETTLE_MS = 90_000;
const INBOUND_HBONE = { name: 'istio_tcp_connections_opened_total', labels: { reporter: 'destination' } } as const;

async function get(netns: string, url: string): Promise<CurlAnswer> {
  const out = await inNetns(netns, 'curl', ['-sS', '--max-time', '5', '-o', '/dev/null', '-D', '-', '-w', '\n%{http_code} %{size_download}', url]);
  const answer = parseCurlAnswer(out);
  if (!answer) throw new MeshError(ErrorCode.Unavailable, `GET ${url}: unreadable curl output '${out.trim().slice(-200)}'`);
  return answer;
}

/** What is wrong with `a` as the answer of path `id`, or undefined when it is right. */
export function answerProblem(id: L7PathId, a: CurlAnswer): string | undefined {
  if (a.status !== 200 || a.bytes !== 1024) return `answered ${a.status} with ${a.bytes} bytes, expected 200 with 1024`;
  const route = a.headers.get(ROUTE_HEADER.name);
  if (id === 'waypoint' && route !== ROUTE_HEADER.value) return `answered without the HTTPRoute's response header ${ROUTE_HEADER.name}: ${ROUTE_HEADER.value}, so the waypoint did not route it`;
  if (id !== 'waypoint' && route !== undefined) return `answered with the waypoint route's header ${ROUTE_HEADER.name}, though no waypoint is on this path`;
  return undefined;
}

export interface L7PathCheckOptions {
  readonly netnsOf: (id: L7PathId) => string;
  /** Node netns of the destination ztunnel (its metrics prove the ztunnel path used HBONE). */
  readonly node2Netns: string;
  readonly log: (line: string) => void;
  /** Extra text for a failure (e.g. the waypoint's status and log). */
  readonly context?: (id: L7PathId) => Promise<string>;
}

async function checkOne(p: L7Path, o: L7PathCheckOptions): Promise<void> {
  const netns = o.netnsOf(p.id);
  const mesh = p.id === 'ztunnel' || p.id === 'waypoint';
  const before = p.id === 'ztunnel' ? sumCounter(await ztunnelMetrics(o.node2Netns), INBOUND_HBONE.name, INBOUND_HBONE.labels) : 0;
  if (mesh) {
    let last = '';
    await until(`path ${p.label} to answer GET ${p.url} correctly`, async () => {
      const problem = answerProblem(p.id, await get(netns, p.url));
      if (problem === undefined) return true;
      if (problem !== last) o.log(`  ${p.label}: ${problem}; retrying`);
      last = problem;
      return undefined;
    }, MESH_SETTLE_MS);
  } else {
    const problem = answerProblem(p.id, await get(netns, p.url));
    if (problem !== undefined) throw new MeshError(ErrorCode.Unavailable, `GET ${p.url} ${problem}`);
  }
  if (p.id === 'ztunnel') {
    const after = sumCounter(await ztunnelMetrics(o.node2Netns), INBOUND_HBONE.name, INBOUND_HBONE.labels);
    if (after - before < 1) throw new MeshError(ErrorCode.Unavailable, `path ${p.label}: node2's ztunnel counted no inbound HBONE connection for the check; the traffic did not go through the tunnel`);
    o.log(`${p.label} path: node2's ztunnel counted ${after - before} inbound HBONE connection(s) for the check`);
  }
  if (p.id === 'waypoint') o.log(`${p.label} path: the answer carries ${ROUTE_HEADER.name}: ${ROUTE_HEADER.value} (set by the HTTPRoute at the waypoint)`);
}

export async function checkL7Paths(paths: readonly L7Path[], o: L7PathCheckOptions): Promise<void> {
  for (const p of paths) {
    try {
      await checkOne(p, o);
    } catch (err) {
      const extra = o.context ? await o.context(p.id).catch((e: unknown) => describeError(e)) : '';
      throw new MeshError(ErrorCode.Unavailable, `path ${p.label} does not carry traffic${extra ? `\n${extra}` : ''}`, { cause: err });
    }
  }
}
