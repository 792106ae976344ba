// Server-side printing as kube-apiserver does it: when the Accept header asks for a
// meta.k8s.io Table (kubectl get does), GET of one object, lists and watch events are answered as
// Tables whose columns come from the kind's printer (table-printers-*, or a CRD's printer
// columns). Negotiation and conversion are pure; `tableView` is the one entry point the HTTP
// handler calls.

import { badRequest } from './errors';
import type { Registry } from './registry';
import type { Store } from './store';
import { customResourcePrinter } from './table-custom';
import { ColumnDefinition, Printer } from './table-format';
import {
  configMapPrinter, endpointsPrinter, eventPrinter, namespacePrinter, nodePrinter, podPrinter, secretPrinter, serviceAccountPrinter, servicePrinter,
} from './table-printers-core';
import { crdPrinter, daemonSetPrinter, defaultPrinter, deploymentPrinter, endpointSlicePrinter, leasePrinter } from './table-printers-groups';
import { bindingPrinter, rolePrinter } from './table-printers-rbac';
import { isRecord, KubeObject, ResourceType, typeKey } from './types';

export type IncludeObject = 'None' | 'Metadata' | 'Object';

export interface TableRequest {
  /** meta.k8s.io/v1 or meta.k8s.io/v1beta1, as negotiated. */
  apiVersion: string;
  includeObject: IncludeObject;
}

interface MediaRange { type: string; params: Record<string, string>; q: number }

function parseAccept(accept: string): MediaRange[] {
  const ranges = accept.split(',').map((entry, order) => {
    const [type, ...rest] = entry.split(';');
    const params: Record<string, string> = {};
    for (const p of rest) {
      const at = p.indexOf('=');
      if (at > 0) params[p.slice(0, at).trim().toLowerCase()] = p.slice(at + 1).trim().replace(/^"(.*)"$/, '$1');
    }
    const q = params.q === undefined ? 1 : Number(params.q);
    return { type: type.trim().toLowerCase(), params, q: Number.isFinite(q) ? q : 0, order };
  });
  return ranges.filter((r) => r.type !== '' && r.q > 0).sort((a, b) => b.q - a.q || a.order - b.order);
}

/**
 * Whether the request asks for a Table: the most preferred media range the server can serve
 * decides (a Table in JSON, or any plain type, which means the object itself). Other `as=`
 * conversions are skipped. Throws a 400 for an unknown includeObject.
 */
export function tableRequest(accept: string | undefined, query: URLSearchParams): TableRequest | undefined {
  for (const range of parseAccept(accept ?? '')) {
    const as = range.params.as;
    if (as === undefined) return undefined;
    const version = range.params.v;
    if (as !== 'Table' || range.params.g !== 'meta.k8s.io' || (version !== 'v1' && version !== 'v1beta1')) continue;
    if (range.type !== 'application/json' && range.type !== '*/*' && range.type !== 'application/*') continue;
    const include = query.get('includeObject') || 'Metadata';
    if (include !== 'None' && include !== 'Metadata' && include !== 'Object') {
      throw badRequest(`includeObject: Unsupported value: ${JSON.stringify(include)}: supported values: "None", "Metadata", "Object"`);
    }
    return { apiVersion: `meta.k8s.io/${version}`, includeObject: include };
  }
  return undefined;
}

const BUILTIN_PRINTERS: Readonly<Record<string, Printer>> = {
  '/pods': podPrinter,
  '/nodes': nodePrinter,
  '/services': servicePrinter,
  '/endpoints': endpointsPrinter,
  '/namespaces': namespacePrinter,
  '/serviceaccounts': serviceAccountPrinter,
  '/configmaps': configMapPrinter,
  '/secrets': secretPrinter,
  '/events': eventPrinter,
  'apps/deployments': deploymentPrinter,
  'apps/daemonsets': daemonSetPrinter,
  'discovery.k8s.io/endpointslices': endpointSlicePrinter,
  'coordination.k8s.io/leases': leasePrinter,
  'apiextensions.k8s.io/customresourcedefinitions': crdPrinter,
  'rbac.authorization.k8s.io/clusterroles': rolePrinter,
  'rbac.authorization.k8s.io/roles': rolePrinter,
  'rbac.authorization.k8s.io/clusterrolebindings': bindingPrinter,
  'rbac.authorization.k8s.io/rolebindings': bindingPrinter,
};

/** The printer of a type: a custom resource's CRD columns, a built-in printer, or NAME/AGE. */
export function printerFor(type: ResourceType, crd: KubeObject | undefined): Printer {
  if (crd) return customResourcePrinter(crd, type.version);
  return BUILTIN_PRINTERS[typeKey(type)] ?? defaultPrinter;
}

export interface TableRow { cells: unknown[]; object: unknown; conditions?: unknown[] }

export interface Table {
  kind: 'Table';
  apiVersion: string;
  metadata: { resourceVersion?: string; continue?: string; remainingItemCount?: number };
  columnDefinitions: ColumnDefinition[];
  rows: TableRow[];
}

function rowObject(req: TableRequest, obj: KubeObject): unknown {
  switch (req.includeObject) {
    case 'None': return null;
    case 'Object': return obj;
    default: return { kind: 'PartialObjectMetadata', apiVersion: req.apiVersion, metadata: obj.metadata };
  }
}

/** A Table of `objects`; `withColumns` false leaves columnDefinitions empty (later watch events). */
export function buildTable(printer: Printer, req: TableRequest, objects: KubeObject[], metadata: Table['metadata'], now: number, withColumns = true): Table {
  const rows = objects.map((obj): TableRow => {
    const row: TableRow = { cells: printer.cells(obj, now), object: rowObject(req, obj) };
    const conditions = printer.conditions?.(obj);
    if (conditions) row.conditions = conditions;
    return row;
  });
  return { kind: 'Table', apiVersion: req.apiVersion, metadata, columnDefinitions: withColumns ? printer.columns : [], rows };
}

const isKubeObject = (v: unknown): v is KubeObject => isRecord(v) && isRecord(v.metadata);

/** A GET reply body (one object, or a list with items) as a Table. */
export function tableOfBody(printer: Printer, req: TableRequest, body: unknown, now: number): unknown {
  if (!isRecord(body)) return body;
  if (Array.isArray(body.items)) {
    const listMeta = isRecord(body.metadata) ? body.metadata : {};
    const metadata: Table['metadata'] = {};
    if (typeof listMeta.resourceVersion === 'string') metadata.resourceVersion = listMeta.resourceVersion;
    if (typeof listMeta.continue === 'string') metadata.continue = listMeta.continue;
    if (typeof listMeta.remainingItemCount === 'number') metadata.remainingItemCount = listMeta.remainingItemCount;
    return buildTable(printer, req, body.items.filter(isKubeObject), metadata, now);
  }
  if (!isKubeObject(body)) return body;
  return buildTable(printer, req, [body], { resourceVersion: body.metadata.resourceVersion }, now);
}

export interface WatchLine { type: string; object: unknown }

/**
 * Watch events as Tables of one row; only the first carries the column definitions (kubectl
 * keeps the last ones it saw). Bookmarks become empty Tables at their resourceVersion; ERROR
 * events keep their Status.
 */
export function tableWatchTransform(printer: Printer, req: TableRequest, clock: () => number): (line: WatchLine) => WatchLine {
  let first = true;
  return (line) => {
    if (line.type === 'ERROR' || !isKubeObject(line.object)) return line;
    const rv = line.object.metadata.resourceVersion;
    if (line.type === 'BOOKMARK') {
      return { type: line.type, object: { kind: 'Table', apiVersion: req.apiVersion, metadata: { resourceVersion: rv }, columnDefinitions: [], rows: [] } };
    }
    const table = buildTable(printer, req, [line.object], { resourceVersion: rv }, clock(), first);
    first = false;
    return { type: line.type, object: table };
  };
}

export interface TableView {
  /** The reply body of a GET as a Table. */
  body(body: unknown): unknown;
  /** Turns each watch event into a Table event. */
  watch: (line: WatchLine) => WatchLine;
}

/** How to answer a GET or watch of `type` given its Accept header, or undefined for plain objects. */
export function tableView(ctx: { store: Store; registry: Registry }, type: ResourceType, accept: string | undefined, query: URLSearchParams): TableView | undefined {
  const req = tableRequest(accept, query);
  if (!req) return undefined;
  let crd: KubeObject | undefined;
  const crdType = ctx.registry.find('apiextensions.k8s.io', 'customresourcedefinitions');
  if (crdType && ctx.registry.isCustom(type)) crd = ctx.store.tryGet(crdType, undefined, `${type.plural}.${type.group}`);
  const printer = printerFor(type, crd);
  return {
    body: (body) => tableOfBody(printer, req, body, Date.now()),
    watch: tableWatchTransform(printer, req, Date.now),
  };
}
