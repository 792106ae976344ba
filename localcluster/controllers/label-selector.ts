// Label matching: equality maps (Service selectors, nodeSelector) and metav1.LabelSelector
// (matchLabels + matchExpressions with In, NotIn, Exists, DoesNotExist). Pure functions.

import { isRecord } from '../apiserver/types';
import { labelSelectorFromObject } from '../apiserver/selectors';

/** Every key of `wanted` is present in `labels` with the same value (an empty map matches all). */
export function matchesLabels(wanted: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/**
 * A LabelSelector as the API defines it (parsed by the API server's selector code); absent or
 * malformed selects nothing, `{}` selects everything.
 */
export function matchesSelector(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false;
  try {
    return labelSelectorFromObject(selector)(labels);
  } catch {
    return false;
  }
}
