// Fault injection decisions (VirtualService `fault`): whether this request is delayed and/or
// aborted. Delay and abort are decided independently, each with its own percentage: a part hits
// when random() * 100 < percent. random() is drawn once per configured part, delay first, so a
// caller's sequence of random numbers maps to decisions predictably.

import type { Fault } from '../../pkg/api/waypoint-types';

export interface FaultDecision {
  readonly delayMs: number;
  readonly abort?: { readonly httpStatus?: number; readonly grpcStatus?: number };
}

const NO_FAULT: FaultDecision = Object.freeze({ delayMs: 0 });

function hits(percent: number, random: () => number): boolean {
  const r = random();
  return Number.isFinite(percent) && percent > 0 && r * 100 < percent;
}

export function decideFault(fault: Fault | undefined, random: () => number): FaultDecision {
  if (fault === undefined || (fault.delay === undefined && fault.abort === undefined)) return NO_FAULT;
  const delay = fault.delay;
  const delayMs = delay !== undefined && hits(delay.percent, random) ? Math.max(0, delay.delayMs) : 0;
  const a = fault.abort;
  if (a !== undefined && hits(a.percent, random)) {
    const abort: { httpStatus?: number; grpcStatus?: number } = {};
    if (a.httpStatus !== undefined) abort.httpStatus = a.httpStatus;
    if (a.grpcStatus !== undefined) abort.grpcStatus = a.grpcStatus;
    return { delayMs, abort };
  }
  return delayMs === 0 ? NO_FAULT : { delayMs };
}
