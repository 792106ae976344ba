// Request mirroring (Gateway API RequestMirror, VirtualService mirror): a fire-and-forget copy of
// the request, sent once its body is complete (bodies over MIRROR_BUFFER_LIMIT are not mirrored),
// to one endpoint of the mirror backend, with Envoy's "-shadow" suffix on the host. The response is
// discarded; failures are logged, never seen by the client; the main request never waits for it.

import type { Logger } from '../../pkg/log/logger';
import type { Endpoint } from '../state/view';
import { sendAttempt, type UpstreamRequestSpec } from '../upstream/attempt';
import type { BackendState } from '../upstream/backend-state';
import type { Writable } from 'node:stream';

/** A mirrored request gives up after this (unless the route timeout is shorter). */
export const MIRROR_TIMEOUT_MS = 10_000;

export interface MirrorInput {
  readonly state: BackendState;
  readonly endpoints: readonly Endpoint[];
  readonly protocol: 'h1' | 'h2';
  readonly request: UpstreamRequestSpec;
  readonly body: Buffer;
  readonly timeoutMs?: number;
  readonly random: () => number;
  readonly now: () => number;
  readonly logger: Logger;
}

/** Envoy's shadow host: "-shadow" appended to the host part of the authority. */
export function shadowAuthority(authority: string): string {
  const m = /^(\[[^\]]*\]|[^:]*)(:\d+)?$/.exec(authority);
  if (!m) return `${authority}-shadow`;
  return `${m[1]}-shadow${m[2] ?? ''}`;
}

/** Sends the copy; returns at once. */
export function sendMirror(input: MirrorInput): void {
  const { state } = input;
  const pick = state.pick(input.endpoints, undefined, input.random, input.now());
  if (pick.kind === 'none') return;
  const release = state.limits.tryStartRequest();
  if (!release) return;
  const inFlight = state.started(pick.endpoint.uid);
  const ctl = new AbortController();
  const timer = setTimeout(() => ctl.abort('mirror-timeout'), Math.min(input.timeoutMs ?? MIRROR_TIMEOUT_MS, MIRROR_TIMEOUT_MS));
  timer.unref();
  const done = (): void => {
    clearTimeout(timer);
    release();
    inFlight();
  };
  const headers = { ...input.request.headers };
  if (input.body.length > 0 || headers['content-length'] !== undefined) headers['content-length'] = String(input.body.length);
  const body = {
    attach: (sink: Writable): void => {
      sink.end(input.body);
    },
    detach: (): void => undefined,
  };
  const request: UpstreamRequestSpec = { ...input.request, authority: shadowAuthority(input.request.authority), headers };
  sendAttempt({ state, endpoint: pick.endpoint, protocol: input.protocol, request, body, signal: ctl.signal }).then(
    (result) => {
      if (result.kind === 'failure') {
        done();
        input.logger.info(`waypoint: mirror to ${state.backend.name} failed (${result.outcome})`);
        return;
      }
      const r = result.response;
      r.body.on('error', () => undefined);
      r.body.once('close', done);
      r.body.resume();
    },
    () => done(),
  );
}
