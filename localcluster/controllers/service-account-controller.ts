// The ServiceAccount controller: every active namespace has a `default` ServiceAccount, created
// when the namespace appears and recreated if deleted.

import { ApiError } from '../apiserver/errors';
import { Store, StoreEvent } from '../apiserver/store';
import { Controller } from './controller';
import { isDeleting } from './object-access';
import { ControllerTypeKeys, ControllerTypes } from './resource-types';

export class ServiceAccountController implements Controller {
  readonly name = 'serviceaccounts';

  constructor(private readonly store: Store, private readonly types: ControllerTypes, private readonly keys: ControllerTypeKeys) {}

  keysFor(e: StoreEvent): string[] {
    if (e.typeKey === this.keys.namespaces && e.type !== 'DELETED') return [e.object.metadata.name ?? ''];
    if (e.typeKey === this.keys.serviceAccounts && e.type === 'DELETED' && e.object.metadata.name === 'default') {
      return [e.object.metadata.namespace ?? ''];
    }
    return [];
  }

  allKeys(): string[] {
    return this.store.list(this.types.namespaces).items.map((n) => n.metadata.name ?? '');
  }

  reconcile(namespace: string): void {
    const ns = this.store.tryGet(this.types.namespaces, undefined, namespace);
    if (!ns || isDeleting(ns) || this.store.tryGet(this.types.serviceAccounts, namespace, 'default')) return;
    try {
      this.store.create(this.types.serviceAccounts, { apiVersion: 'v1', kind: 'ServiceAccount', metadata: { name: 'default', namespace } });
    } catch (err) {
      if (err instanceof ApiError && err.code === 409) return; // created meanwhile
      throw err;
    }
  }
}
