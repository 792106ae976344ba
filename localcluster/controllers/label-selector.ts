// Label matching: equality maps (Service selectors, nodeSelector) and metav1.LabelSelector
// (matchLabels + matchExpressions with In, NotIn, Exists, DoesNotExist). Pure functions.

import { isRecord } from '../apiserver/types';
import { list, records, str, stringMap } from './object-access';

/** Every key of `wanted` is present in `labels` with the same value (an empty map matches all). */
export function matchesLabels(wanted: Record<string, string>, labels: Record<string, string>): boolean {
  return Object.entries(wanted).every(([k, v]) => labels[k] === v);
}

/**
 * A LabelSelector as the API defines it; absent or malformed selects nothing, `{}` selects
 * everything. An unknown operator selects nothing rather than everything.
 */
export function matchesSelector(selector: unknown, labels: Record<string, string>): boolean {
  if (!isRecord(selector)) return false;
  if (!matchesLabels(stringMap(selector.matchLabels), labels)) return false;
  return records(selector.matchExpressions).every((e) => {
    const key = str(e.key) ?? '';
    const values = list(e.values).filter((v): v is string => typeof v === 'string');
    const has = Object.prototype.hasOwnProperty.call(labels, key);
    switch (e.operator) {
      case 'In': return has && values.includes(labels[key]);
      case 'NotIn': return !has || !values.includes(labels[key]);
      case 'Exists': return has;
      case 'DoesNotExist': return !has;
      default: return false;
    }
  });
}
