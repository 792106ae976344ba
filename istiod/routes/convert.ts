// One traffic object of any kind read into the common shape the route state keeps (pure): its
// spec when valid, problems and warnings, creation time, the Service parents a gateway route names
// (even when rejected, for its status) and whether a VirtualService is for mesh traffic; plus the
// identity (spec and creationTimestamp) that tells a status-only update from a real one.

import type { FieldProblem } from '../policy/field-report';
import { convertDestinationRule } from './destination-rule';
import { convertGrpcRoute } from './grpc-route';
import { convertHttpRoute } from './http-route';
import type { ParentRefSpec, RouteKind, RouteSpec } from './types';
import { convertVirtualService } from './virtual-service';

export interface Converted {
  readonly spec?: RouteSpec;
  readonly problems: readonly FieldProblem[];
  readonly warnings: readonly FieldProblem[];
  readonly createdAt?: number;
  readonly parents: readonly ParentRefSpec[];
  readonly mesh: boolean;
}

export function convertObject(kind: RouteKind, object: unknown): Converted {
  if (kind === 'HTTPRoute' || kind === 'GRPCRoute') {
    const c = kind === 'HTTPRoute' ? convertHttpRoute(object) : convertGrpcRoute(object);
    return { ...c, mesh: true };
  }
  if (kind === 'VirtualService') return { ...convertVirtualService(object), parents: [] };
  return { ...convertDestinationRule(object), parents: [], mesh: true };
}

export function identityOf(object: unknown): string {
  const o = (typeof object === 'object' && object !== null ? object : {}) as { spec?: unknown; metadata?: { creationTimestamp?: unknown } };
  try {
    return JSON.stringify([o.spec ?? null, o.metadata?.creationTimestamp ?? null]);
  } catch {
    // Not plain JSON (cannot come from the API server): never equal, so treated as a real change.
    return String(Math.random());
  }
}
