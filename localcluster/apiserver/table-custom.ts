// The printer of a custom resource: NAME plus the served version's additionalPrinterColumns of
// its CRD (an Age column when it declares none, as kube-apiserver defaults), each evaluated with
// the JSONPath subset of table-jsonpath and turned into a cell by the column's type.

import { evaluateJsonPath, parseJsonPath, Step } from './table-jsonpath';
import { Cell, column, ColumnDefinition, humanDuration, int, NAME_COLUMN, Printer, rec, recs, str } from './table-format';
import type { KubeObject } from './types';

interface PrinterColumn { def: ColumnDefinition; path: Step[] | undefined }

const AGE_PRINTER_COLUMN = { name: 'Age', type: 'date', jsonPath: '.metadata.creationTimestamp', description: 'Time since the object was created (metadata.creationTimestamp).' };

/** A value as text for `string` columns (JSON for objects and arrays). */
function text(v: unknown): Cell {
  if (v === null || v === undefined) return null;
  if (typeof v === 'string') return v;
  if (typeof v === 'number' || typeof v === 'boolean') return String(v);
  return JSON.stringify(v);
}

/** The cell of a non-string column: only values of the declared type show, dates as ages. */
export function typedCell(type: string, v: unknown, now: number): Cell {
  switch (type) {
    case 'string': return text(v);
    case 'integer': return typeof v === 'number' && Number.isFinite(v) ? int(v) : null;
    case 'number': return typeof v === 'number' && Number.isFinite(v) ? v : null;
    case 'boolean': return typeof v === 'boolean' ? v : null;
    case 'date': {
      if (typeof v !== 'string') return null;
      if (v === '') return '<unknown>';
      const at = Date.parse(v);
      return Number.isNaN(at) ? '<invalid>' : humanDuration(now - at);
    }
    default: return null;
  }
}

/** The additionalPrinterColumns of the CRD's version `version` (or its legacy top-level list). */
function declaredColumns(crd: KubeObject, version: string): Record<string, unknown>[] {
  const spec = rec(crd.spec);
  const served = recs(spec.versions).find((v) => v.name === version);
  const columns = recs(served?.additionalPrinterColumns);
  if (columns.length > 0) return columns;
  const legacy = recs(spec.additionalPrinterColumns);
  return legacy.length > 0 ? legacy : [AGE_PRINTER_COLUMN];
}

function compile(col: Record<string, unknown>): PrinterColumn {
  const jsonPath = str(col.jsonPath) || str(col.JSONPath);
  let path: Step[] | undefined;
  try { path = parseJsonPath(jsonPath); } catch { path = undefined; }
  const description = str(col.description) || `Custom resource definition column (in JSONPath format): ${jsonPath}`;
  const priority = typeof col.priority === 'number' ? int(col.priority) : 0;
  return { def: column(str(col.name), str(col.type) || 'string', description, priority, str(col.format)), path };
}

export function customResourcePrinter(crd: KubeObject, version: string): Printer {
  const columns = declaredColumns(crd, version).map(compile);
  return {
    columns: [NAME_COLUMN, ...columns.map((c) => c.def)],
    cells(obj, now) {
      const cells: Cell[] = [obj.metadata.name ?? ''];
      for (const c of columns) {
        const found = c.path ? evaluateJsonPath(c.path, obj) : [];
        cells.push(found.length === 0 ? null : typedCell(c.def.type, found[0], now));
      }
      return cells;
    },
  };
}
