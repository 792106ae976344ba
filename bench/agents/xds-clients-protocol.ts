// The contract between the xds-scale scenario and its xDS client agent (pure): the agent's
// configuration file, and the JSON lines it appends to its events file — one per client start,
// connection, applied response (with the resource names it carried when there are few, and the
// authorization policies each decoded Workload lists), sync, NACK and disconnection, each stamped
// with the machine's wall clock in fractional milliseconds.

export interface SimulatedNode {
  /** `ztunnel~<ip>~<pod>.<ns>~<ns>.svc.cluster.local` */
  readonly nodeId: string;
  readonly nodeName: string;
  readonly podName: string;
  readonly podNamespace: string;
  readonly nodeIp: string;
  /** A service account token for istio-system/ztunnel, audience istio-ca. */
  readonly token: string;
}

export interface XdsClientsConfig {
  /** istiod's gRPC `host:port`. */
  readonly address: string;
  /** The name istiod's serving certificate carries. */
  readonly serverName: string;
  readonly rootsPem: string;
  readonly clusterId: string;
  /** Where the JSON lines go (appended). */
  readonly eventsFile: string;
  /** Decode and validate every Address and Authorization as ztunnel does (false: keep names and versions only). */
  readonly decode: boolean;
  /** Responses carrying at most this many names list them in their event. */
  readonly namesLimit: number;
  readonly clients: readonly SimulatedNode[];
}

export type XdsTypeName = 'Address' | 'Authorization';

export type ClientEvent =
  | { readonly e: 'start'; readonly t: number; readonly clients: number }
  | { readonly e: 'connected'; readonly c: number; readonly t: number }
  | {
    readonly e: 'applied'; readonly c: number; readonly t: number; readonly type: XdsTypeName;
    /** Resources added or changed, and removals, in this response. */
    readonly n: number; readonly r: number;
    /** Resources of this type the client holds after applying it. */
    readonly held: number;
    /** Bytes this client has received so far (all types, encoded responses). */
    readonly bytes: number;
    /** The names carried, when n + r ≤ the names limit. */
    readonly names?: readonly string[];
    readonly removed?: readonly string[];
    /** With `names` and decoding: Workload name → the authorization policies it lists. */
    readonly policies?: Readonly<Record<string, readonly string[]>>;
  }
  | { readonly e: 'synced'; readonly c: number; readonly t: number; readonly held: number; readonly bytes: number }
  | { readonly e: 'nack'; readonly c: number; readonly t: number; readonly type: string; readonly message: string }
  | { readonly e: 'disconnected'; readonly c: number; readonly t: number; readonly reason: string };

export type AppliedEvent = Extract<ClientEvent, { e: 'applied' }>;

/** Milliseconds since the epoch with a sub-millisecond fraction (comparable across processes on one machine). */
export function wallClockMs(): number {
  return performance.timeOrigin + performance.now();
}

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}
const num = (v: unknown): v is number => typeof v === 'number' && Number.isFinite(v);
const int = (v: unknown): v is number => typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
const strings = (v: unknown): v is string[] => Array.isArray(v) && v.every((x) => typeof x === 'string');

/** A name → string list map as its own properties only (a JSON `__proto__` key stays an ordinary key). */
function stringListMap(v: unknown): Record<string, string[]> | undefined {
  if (!isRecord(v)) return undefined;
  const entries = Object.entries(v);
  return entries.every(([, list]) => strings(list)) ? Object.fromEntries(entries) as Record<string, string[]> : undefined;
}

/** One events-file line as an event; undefined for anything malformed (a torn or foreign line). */
export function parseClientEvent(line: string): ClientEvent | undefined {
  let v: unknown;
  try {
    v = JSON.parse(line);
  } catch {
    return undefined;
  }
  if (!isRecord(v) || !num(v.t)) return undefined;
  const t = v.t;
  switch (v.e) {
    case 'start':
      return int(v.clients) ? { e: 'start', t, clients: v.clients } : undefined;
    case 'connected':
      return int(v.c) ? { e: 'connected', c: v.c, t } : undefined;
    case 'applied': {
      if (!int(v.c) || (v.type !== 'Address' && v.type !== 'Authorization') || !int(v.n) || !int(v.r) || !int(v.held) || !int(v.bytes)) return undefined;
      if ((v.names !== undefined && !strings(v.names)) || (v.removed !== undefined && !strings(v.removed))) return undefined;
      const policies = v.policies === undefined ? undefined : stringListMap(v.policies);
      if (v.policies !== undefined && policies === undefined) return undefined;
      return {
        e: 'applied', c: v.c, t, type: v.type, n: v.n, r: v.r, held: v.held, bytes: v.bytes,
        ...(v.names !== undefined ? { names: v.names as string[] } : {}),
        ...(v.removed !== undefined ? { removed: v.removed as string[] } : {}),
        ...(policies !== undefined ? { policies } : {}),
      };
    }
    case 'synced':
      return int(v.c) && int(v.held) && int(v.bytes) ? { e: 'synced', c: v.c, t, held: v.held, bytes: v.bytes } : undefined;
    case 'nack':
      return int(v.c) && typeof v.type === 'string' && typeof v.message === 'string' ? { e: 'nack', c: v.c, t, type: v.type, message: v.message } : undefined;
    case 'disconnected':
      return int(v.c) && typeof v.reason === 'string' ? { e: 'disconnected', c: v.c, t, reason: v.reason } : undefined;
    default:
      return undefined;
  }
}

/** The agent's configuration from its file's JSON; a message naming the first problem otherwise. */
export function parseXdsClientsConfig(v: unknown): XdsClientsConfig | string {
  if (!isRecord(v)) return 'the configuration must be a JSON object';
  for (const key of ['address', 'serverName', 'rootsPem', 'clusterId', 'eventsFile'] as const) {
    if (typeof v[key] !== 'string' || v[key] === '') return `${key} must be a non-empty string`;
  }
  if (typeof v.decode !== 'boolean') return 'decode must be true or false';
  if (!int(v.namesLimit)) return 'namesLimit must be a whole number';
  if (!Array.isArray(v.clients) || v.clients.length === 0) return 'clients must be a non-empty list';
  const clients: SimulatedNode[] = [];
  for (const [i, c] of v.clients.entries()) {
    if (!isRecord(c)) return `clients[${i}] must be an object`;
    for (const key of ['nodeId', 'nodeName', 'podName', 'podNamespace', 'nodeIp', 'token'] as const) {
      if (typeof c[key] !== 'string' || c[key] === '') return `clients[${i}].${key} must be a non-empty string`;
    }
    clients.push({
      nodeId: c.nodeId as string, nodeName: c.nodeName as string, podName: c.podName as string,
      podNamespace: c.podNamespace as string, nodeIp: c.nodeIp as string, token: c.token as string,
    });
  }
  return {
    address: v.address as string, serverName: v.serverName as string, rootsPem: v.rootsPem as string,
    clusterId: v.clusterId as string, eventsFile: v.eventsFile as string, decode: v.decode, namesLimit: v.namesLimit, clients,
  };
}
