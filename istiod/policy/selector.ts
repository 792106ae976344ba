// Istio's WorkloadSelector (`selector: {matchLabels: {...}}`) as security resources use it: strict
// reading (labels valid, no wildcards, no other fields) and the selection rule, which for policies
// is Istio's: every label of the selector must be on the workload, so an empty selector selects
// every workload of the policy's namespace. Pure.

import {
  checkKnownFields, fieldPath, FieldReport, own, readObject, readStringMap,
} from './field-report';
import { labelKeyProblem, labelValueProblem } from './string-forms';

export type Labels = Readonly<Record<string, string>>;

/** At most this many labels in one selector. */
export const MAX_SELECTOR_LABELS = 64;

/** Reads `selector`; undefined when absent. Problems go to the report. */
export function readSelector(value: unknown, path: string, report: FieldReport): Labels | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  checkKnownFields(obj, ['matchLabels'], path, report);
  const labelsPath = `${path}.matchLabels`;
  const labels = readStringMap(own(obj, 'matchLabels'), labelsPath, report, MAX_SELECTOR_LABELS) ?? {};
  for (const [key, v] of Object.entries(labels)) {
    const why = labelKeyProblem(key) ?? labelValueProblem(v);
    if (why) report.problem(fieldPath(labelsPath, key), why);
  }
  return labels;
}

/** Whether a policy selector selects a workload with these labels (own properties only). */
export function selectorMatches(selector: Labels, labels: Labels): boolean {
  for (const [key, value] of Object.entries(selector)) {
    if (!Object.hasOwn(labels, key) || labels[key] !== value) return false;
  }
  return true;
}
