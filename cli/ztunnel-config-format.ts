// Pure formatting for `ambit ztunnel-config`: turns a node agent's /config_dump (parsed JSON, shape
// of ztunnel/admin/config-dump.ts) into aligned tables like `istioctl ztunnel-config`, or into the
// selected section as JSON. The dump comes from another process, so every field is read as
// `unknown`: a missing or odd field shows as "-", never a crash; control characters are escaped.

import { DEFAULT_TRUST_DOMAIN } from '../pkg/api/workload-types';
import { ErrorCode, MeshError } from '../pkg/errors/mesh-error';

export const SECTIONS = ['workloads', 'services', 'policies', 'certificates', 'all'] as const;
export type Section = (typeof SECTIONS)[number];

/** Singular forms as istioctl accepts them. */
const SECTION_ALIASES: Readonly<Record<string, Section>> = {
  workload: 'workloads', service: 'services', policy: 'policies', certificate: 'certificates', certs: 'certificates', secret: 'certificates',
};

export function sectionNamed(text: string): Section | undefined {
  return (SECTIONS as readonly string[]).includes(text) ? (text as Section) : SECTION_ALIASES[text];
}

export const OUTPUT_FORMATS = ['table', 'json'] as const;
export type OutputFormat = (typeof OUTPUT_FORMATS)[number];

/** The agent's dump: a JSON object; sections are read defensively. */
export type ConfigDump = Readonly<Record<string, unknown>>;

export interface Table {
  readonly headers: readonly string[];
  readonly rows: readonly (readonly string[])[];
}

const MISSING = '-';

/** Parses the agent's answer; errors say what came back instead of a dump. */
export function parseConfigDump(body: string, from: string): ConfigDump {
  let value: unknown;
  try {
    value = JSON.parse(body);
  } catch (err) {
    const start = cell(body.trim().slice(0, 40)) || 'an empty body';
    throw new MeshError(ErrorCode.Internal, `${from} answered with something that is not JSON (${start}): ${(err as Error).message}`);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new MeshError(ErrorCode.Internal, `${from} answered with JSON that is not a config dump (expected an object with workloads, services, policies, certificates)`);
  }
  return value as ConfigDump;
}

function field(value: unknown, key: string): unknown {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>)[key] : undefined;
}

function list(value: unknown): readonly unknown[] {
  return Array.isArray(value) ? value : [];
}

/** Control characters (terminal escapes included) become `?`, so a hostile name cannot repaint the screen. */
function cell(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(/[\u0000-\u001f\u007f-\u009f\u202a-\u202e\u2066-\u2069]/g, '?');
}

/** A scalar as a table cell; anything else (missing, object, empty string) is "-". */
function text(value: unknown): string {
  if (typeof value === 'string') return value === '' ? MISSING : cell(value);
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return MISSING;
}

function joined(values: readonly string[]): string {
  const shown = values.filter((v) => v !== MISSING);
  return shown.length ? shown.join(',') : MISSING;
}

/** Columns padded to their widest cell, two spaces apart, no trailing blanks. */
export function renderTable(table: Table): string {
  const all = [table.headers, ...table.rows];
  const widths = table.headers.map((_, i) => Math.max(...all.map((r) => (r[i] ?? '').length)));
  return all.map((r) => widths.map((w, i) => (r[i] ?? '').padEnd(w)).join('  ').trimEnd()).join('\n') + '\n';
}

function byColumns(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < a.length; i++) {
    if (a[i] !== b[i]) return (a[i] ?? '') < (b[i] ?? '') ? -1 : 1;
  }
  return 0;
}

/** A waypoint as `name` (same namespace as the row), `ns/name`, or `ip:port`. */
function waypointText(waypoint: unknown, rowNamespace: unknown): string {
  if (waypoint === undefined || waypoint === null) return MISSING;
  const named = field(waypoint, 'hostname');
  const hostname = field(named, 'hostname');
  if (typeof hostname === 'string' && hostname) {
    const ns = field(named, 'namespace');
    const dot = hostname.indexOf('.');
    if (typeof ns === 'string' && ns && dot > 0 && hostname.startsWith(`.${ns}.svc.`, dot)) {
      const short = hostname.slice(0, dot);
      return cell(ns === rowNamespace ? short : `${ns}/${short}`);
    }
    return cell(hostname);
  }
  const ip = field(field(waypoint, 'address'), 'address');
  if (typeof ip === 'string' && ip) {
    const port = field(waypoint, 'hboneMtlsPort');
    return cell(typeof port === 'number' ? `${ip.includes(':') ? `[${ip}]` : ip}:${port}` : ip);
  }
  return MISSING;
}

function protocolText(tunnel: unknown): string {
  if (tunnel === 'HBONE') return 'HBONE';
  if (tunnel === 'NONE') return 'TCP';
  return text(tunnel);
}

function identityText(w: unknown): string {
  const ns = field(w, 'namespace');
  const sa = field(w, 'serviceAccount');
  const td = field(w, 'trustDomain');
  if (typeof ns !== 'string' || !ns || typeof sa !== 'string' || !sa) return MISSING;
  return cell(`spiffe://${typeof td === 'string' && td ? td : DEFAULT_TRUST_DOMAIN}/ns/${ns}/sa/${sa}`);
}

export function workloadTable(dump: ConfigDump): Table {
  const rows = list(dump.workloads).map((w) => [
    text(field(w, 'namespace')),
    text(field(w, 'name')),
    joined(list(field(w, 'addresses')).map(text)),
    text(field(w, 'node')),
    waypointText(field(w, 'waypoint'), field(w, 'namespace')),
    protocolText(field(w, 'tunnelProtocol')),
    text(field(w, 'status')),
    identityText(w),
  ]);
  return { headers: ['NAMESPACE', 'NAME', 'ADDRESS', 'NODE', 'WAYPOINT', 'PROTOCOL', 'STATUS', 'IDENTITY'], rows: rows.sort(byColumns) };
}

/** `healthy/total` workloads that list the Service (`<ns>/<hostname>`) in their `services` map. */
function endpointsText(dump: ConfigDump, namespace: unknown, hostname: unknown): string {
  if (typeof namespace !== 'string' || typeof hostname !== 'string') return MISSING;
  const key = `${namespace}/${hostname}`;
  const backing = list(dump.workloads).filter((w) => {
    const services = field(w, 'services');
    return typeof services === 'object' && services !== null && Object.prototype.hasOwnProperty.call(services, key);
  });
  const healthy = backing.filter((w) => field(w, 'status') === 'HEALTHY').length;
  return `${healthy}/${backing.length}`;
}

export function serviceTable(dump: ConfigDump): Table {
  const rows = list(dump.services).map((s) => {
    const vips = list(field(s, 'addresses')).map((a) => {
      const network = field(a, 'network');
      const ip = text(field(a, 'address'));
      return typeof network === 'string' && network && ip !== MISSING ? `${cell(network)}/${ip}` : ip;
    });
    return [
      text(field(s, 'namespace')),
      text(field(s, 'hostname')),
      joined(vips),
      waypointText(field(s, 'waypoint'), field(s, 'namespace')),
      endpointsText(dump, field(s, 'namespace'), field(s, 'hostname')),
    ];
  });
  return { headers: ['NAMESPACE', 'NAME', 'VIP', 'WAYPOINT', 'ENDPOINTS'], rows: rows.sort(byColumns) };
}

/** Match fields as a reader knows them from AuthorizationPolicy, in a fixed order. */
const MATCH_FIELDS: readonly (readonly [string, string])[] = [
  ['namespaces', 'namespaces'], ['notNamespaces', 'not namespaces'],
  ['serviceAccounts', 'service accounts'], ['notServiceAccounts', 'not service accounts'],
  ['principals', 'principals'], ['notPrincipals', 'not principals'],
  ['sourceIps', 'source IPs'], ['notSourceIps', 'not source IPs'],
  ['destinationIps', 'destination IPs'], ['notDestinationIps', 'not destination IPs'],
  ['destinationPorts', 'ports'], ['notDestinationPorts', 'not ports'],
];

/** `N rule(s)` and, when rules constrain anything, the match fields they use: `1 rule: not principals`. */
export function rulesSummary(rules: unknown): string {
  if (!Array.isArray(rules)) return MISSING;
  const matches = rules.flatMap((r) => list(field(r, 'clauses')).flatMap((c) => list(field(c, 'matches'))));
  const used = MATCH_FIELDS.filter(([key]) => matches.some((m) => list(field(m, key)).length > 0)).map(([, label]) => label);
  const count = `${rules.length} rule${rules.length === 1 ? '' : 's'}`;
  return used.length ? `${count}: ${used.join(', ')}` : count;
}

function yesNo(value: unknown): string {
  return value === true ? 'yes' : value === false ? 'no' : MISSING;
}

export function policyTable(dump: ConfigDump): Table {
  const rows = list(dump.policies).map((p) => [
    text(field(p, 'namespace')),
    text(field(p, 'name')),
    text(field(p, 'action')),
    text(field(p, 'scope')),
    yesNo(field(p, 'dryRun')),
    rulesSummary(field(p, 'rules')),
  ]);
  return { headers: ['NAMESPACE', 'NAME', 'ACTION', 'SCOPE', 'DRY-RUN', 'RULES'], rows: rows.sort(byColumns) };
}

/** One row per certificate of each identity: its chain (leaf, intermediates), then its roots. */
export function certificateTable(dump: ConfigDump): Table {
  const rows: string[][] = [];
  for (const entry of list(dump.certificates)) {
    const identity = text(field(entry, 'identity'));
    const state = text(field(entry, 'state'));
    const chain = list(field(entry, 'certChain'));
    const roots = list(field(entry, 'rootCerts'));
    if (chain.length === 0 && roots.length === 0) {
      rows.push([identity, state, MISSING, MISSING, text(field(entry, 'notAfter'))]);
      continue;
    }
    chain.forEach((c, i) => rows.push([identity, state, i === 0 ? 'leaf' : 'intermediate', text(field(c, 'serialNumber')), text(field(c, 'expirationTime'))]));
    for (const r of roots) rows.push([identity, state, 'root', text(field(r, 'serialNumber')), text(field(r, 'expirationTime'))]);
  }
  return { headers: ['IDENTITY', 'STATE', 'TYPE', 'SERIAL', 'NOT AFTER'], rows };
}

const TABLES: Readonly<Record<Exclude<Section, 'all'>, (dump: ConfigDump) => Table>> = {
  workloads: workloadTable, services: serviceTable, policies: policyTable, certificates: certificateTable,
};

/** What `ambit ztunnel-config <section> -o <output>` prints (ends with a newline). */
export function formatConfig(dump: ConfigDump, section: Section, output: OutputFormat): string {
  if (output === 'json') return `${JSON.stringify(section === 'all' ? dump : (dump[section] ?? null), null, 2)}\n`;
  if (section !== 'all') return renderTable(TABLES[section](dump));
  return (Object.keys(TABLES) as Exclude<Section, 'all'>[])
    .map((s) => `${s.toUpperCase()}\n${renderTable(TABLES[s](dump))}`)
    .join('\n');
}
