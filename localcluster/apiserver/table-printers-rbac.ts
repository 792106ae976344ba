// Server-side printers for the rbac.authorization.k8s.io kinds, with kubectl's columns: roles show
// their creation time; bindings show the role they grant and, with `-o wide`, who gets it. Pure.

import { age, column, NAME_COLUMN, AGE_COLUMN, Printer, rec, recs, str } from './table-format';
import type { KubeObject } from './types';

const CREATED_AT = column('Created At', 'date', 'When the object was created (metadata.creationTimestamp).');

/** Role and ClusterRole: NAME, CREATED AT. */
export const rolePrinter: Printer = {
  columns: [NAME_COLUMN, CREATED_AT],
  cells: (role) => [role.metadata.name ?? '', role.metadata.creationTimestamp ?? null],
};

function subjectsOf(binding: KubeObject, kind: string): string {
  return recs(binding.subjects)
    .filter((s) => str(s.kind) === kind)
    .map((s) => (kind === 'ServiceAccount' ? `${str(s.namespace)}/${str(s.name)}` : str(s.name)))
    .join(', ');
}

/** RoleBinding and ClusterRoleBinding: NAME, ROLE (Kind/name), AGE; wide: USERS, GROUPS, SERVICEACCOUNTS. */
export const bindingPrinter: Printer = {
  columns: [
    NAME_COLUMN,
    column('Role', 'string', 'The role the binding grants (kind/name).'),
    AGE_COLUMN,
    column('Users', 'string', 'Users in the binding.', 1),
    column('Groups', 'string', 'Groups in the binding.', 1),
    column('ServiceAccounts', 'string', 'Service accounts in the binding (namespace/name).', 1),
  ],
  cells(binding, now) {
    const ref = rec(binding.roleRef);
    return [
      binding.metadata.name ?? '', `${str(ref.kind)}/${str(ref.name)}`, age(binding, now),
      subjectsOf(binding, 'User'), subjectsOf(binding, 'Group'), subjectsOf(binding, 'ServiceAccount'),
    ];
  },
};
