// Small write helpers the controllers share: status writes that skip no-ops and always start from
// the freshest object, deletes that tolerate an object already gone, and releasing an owned pod.

import { ApiError } from '../apiserver/errors';
import { deepEqual } from '../apiserver/object-meta';
import { Store } from '../apiserver/store';
import { KubeObject, ResourceType } from '../apiserver/types';

/** Writes `status` onto the current version of `obj` (same uid) unless it is already there. */
export function writeStatus(store: Store, type: ResourceType, obj: KubeObject, status: Record<string, unknown>): void {
  const current = store.tryGet(type, obj.metadata.namespace, obj.metadata.name ?? '');
  if (!current || current.metadata.uid !== obj.metadata.uid || deepEqual(current.status, status)) return;
  const next = structuredClone(current) as KubeObject;
  next.status = status;
  store.update(type, next, { subresource: 'status' });
}

/** Deletes exactly this object (uid precondition); an object already gone is fine. */
export function deleteIfPresent(store: Store, type: ResourceType, obj: KubeObject): void {
  try {
    store.delete(type, obj.metadata.namespace, obj.metadata.name ?? '', { uid: obj.metadata.uid });
  } catch (err) {
    if (err instanceof ApiError && err.code === 404) return;
    throw err;
  }
}

/** Removes the owner reference to `ownerUid` from an object (Kubernetes "orphans" it). */
export function releaseFromOwner(store: Store, type: ResourceType, obj: KubeObject, ownerUid: string): void {
  const next = structuredClone(obj) as KubeObject;
  next.metadata.ownerReferences = (next.metadata.ownerReferences ?? []).filter((r) => r.uid !== ownerUid);
  if (next.metadata.ownerReferences.length === 0) delete next.metadata.ownerReferences;
  store.update(type, next);
}
