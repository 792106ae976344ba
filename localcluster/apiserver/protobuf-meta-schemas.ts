// Protobuf field tables of apimachinery's meta/v1 and runtime messages shared by every kind:
// ObjectMeta, OwnerReference, LabelSelector, DeleteOptions and the runtime.Unknown TypeMeta.
// Field numbers are those of k8s.io/apimachinery's generated.proto files.

import { inline, int, labels, list, Message, one, opt, str, strings } from './protobuf-schema';

const ownerReference: Message = {
  5: str('apiVersion'), 1: str('kind'), 3: str('name'), 4: str('uid'),
  6: opt('controller', 'bool'), 7: opt('blockOwnerDeletion', 'bool'),
};

export const objectMeta: Message = {
  1: str('name'), 2: str('generateName'), 3: str('namespace'), 5: str('uid'), 6: str('resourceVersion'),
  7: int('generation'), 8: one('creationTimestamp', 'time'), 9: opt('deletionTimestamp', 'time'),
  10: opt('deletionGracePeriodSeconds', 'int'), 11: labels('labels'), 12: labels('annotations'),
  13: list('ownerReferences', ownerReference), 14: strings('finalizers'),
};

export const metadata = opt('metadata', objectMeta);

const labelSelectorRequirement: Message = { 1: str('key'), 2: str('operator'), 3: strings('values') };

export const labelSelector: Message = {
  1: labels('matchLabels'), 2: list('matchExpressions', labelSelectorRequirement),
};

export const deleteOptions: Message = {
  1: opt('gracePeriodSeconds', 'int'),
  2: opt('preconditions', { 1: opt('uid', 'string'), 2: opt('resourceVersion', 'string') }),
  3: opt('orphanDependents', 'bool'), 4: opt('propagationPolicy', 'string'), 5: strings('dryRun'),
};

/** runtime.TypeMeta as carried in the runtime.Unknown envelope (apiVersion 1, kind 2). */
export const envelopeTypeMeta: Message = { 1: str('apiVersion'), 2: str('kind') };

/** LocalObjectReference, usually embedded (inline) in selectors and volume sources. */
export const localObjectReference: Message = { 1: str('name') };
export const localRef = inline(localObjectReference);
