// Address plan of a local cluster (pure): which 198.18.0.0/15 addresses the bridge, the nodes,
// the pods and the Services of cluster block 0 or 1 use, and pod IP allocation within a node.

export const MAX_NODES_PER_BLOCK = 100;

export type ClusterBlock = 0 | 1;

export interface NodeAddresses {
  /** 1-based node index. */
  readonly index: number;
  /** Node address on the cluster bridge, e.g. 198.18.0.11. */
  readonly nodeIP: string;
  /** Pod CIDR of the node, e.g. 198.18.1.0/24. */
  readonly podCIDR: string;
  /** Node-side gateway address every pod of the node routes through, e.g. 198.18.1.1. */
  readonly podGateway: string;
}

export interface AddressPlan {
  readonly block: ClusterBlock;
  /** Host address on the bridge (where the API server listens), e.g. 198.18.0.1. */
  readonly gatewayIP: string;
  /** Prefix length of the bridge subnet (node addresses). */
  readonly bridgePrefixLength: 24;
  /** The bridge subnet, e.g. 198.18.0.0/24. */
  readonly nodeSubnet: string;
  /** Service (ClusterIP) range, e.g. 198.19.0.0/17. */
  readonly serviceCIDR: string;
  /** ClusterIP of the `kubernetes` Service in `default`. */
  readonly kubernetesServiceIP: string;
  readonly nodes: readonly NodeAddresses[];
}

const FIRST_POD_HOST = 2;
const LAST_POD_HOST = 254;

/** Third-octet offset of a block: block 1 is block 0 shifted by 128. */
function offset(block: ClusterBlock): number {
  return block === 0 ? 0 : 128;
}

/** The whole plan for `nodeCount` nodes (1..100) in `block`. Throws on bad input. */
export function planAddresses(block: ClusterBlock, nodeCount: number): AddressPlan {
  if (block !== 0 && block !== 1) throw new Error(`cluster block must be 0 or 1, got ${String(block)}`);
  if (!Number.isInteger(nodeCount) || nodeCount < 1 || nodeCount > MAX_NODES_PER_BLOCK) {
    throw new Error(`node count must be an integer from 1 to ${MAX_NODES_PER_BLOCK}, got ${String(nodeCount)}`);
  }
  const o = offset(block);
  const nodes: NodeAddresses[] = [];
  for (let i = 1; i <= nodeCount; i++) nodes.push(nodeAddresses(block, i));
  return Object.freeze({
    block,
    gatewayIP: `198.18.${o}.1`,
    bridgePrefixLength: 24,
    nodeSubnet: `198.18.${o}.0/24`,
    serviceCIDR: `198.19.${o}.0/17`,
    kubernetesServiceIP: `198.19.${o}.1`,
    nodes: Object.freeze(nodes),
  } as const);
}

/** Addresses of node `index` (1-based) in `block`. */
export function nodeAddresses(block: ClusterBlock, index: number): NodeAddresses {
  if (!Number.isInteger(index) || index < 1 || index > MAX_NODES_PER_BLOCK) {
    throw new Error(`node index must be an integer from 1 to ${MAX_NODES_PER_BLOCK}, got ${String(index)}`);
  }
  const o = offset(block);
  return Object.freeze({
    index,
    nodeIP: `198.18.${o}.${10 + index}`,
    podCIDR: `198.18.${o + index}.0/24`,
    podGateway: `198.18.${o + index}.1`,
  });
}

/** Parses a dotted IPv4 address; null when it is not one. */
export function parseIPv4(ip: string): [number, number, number, number] | null {
  const m = /^(\d{1,3})\.(\d{1,3})\.(\d{1,3})\.(\d{1,3})$/.exec(ip);
  if (!m) return null;
  const parts = [Number(m[1]), Number(m[2]), Number(m[3]), Number(m[4])] as const;
  if (parts.some((p) => p > 255)) return null;
  return [parts[0], parts[1], parts[2], parts[3]];
}

/** The address as an unsigned 32-bit number (NaN when not IPv4): for sorting. */
export function ipv4ToNumber(ip: string): number {
  const p = parseIPv4(ip);
  return p ? ((p[0] * 256 + p[1]) * 256 + p[2]) * 256 + p[3] : Number.NaN;
}

/** True when `ip` is an assignable pod address (.2-.254) of the node. */
export function isPodIPOf(node: NodeAddresses, ip: string): boolean {
  const p = parseIPv4(ip);
  const g = parseIPv4(node.podGateway);
  if (!p || !g) return false;
  return p[0] === g[0] && p[1] === g[1] && p[2] === g[2] && p[3] >= FIRST_POD_HOST && p[3] <= LAST_POD_HOST;
}

/**
 * Picks a pod IP on `node` that is not in `inUse`: `preferred` when it is a free pod address of
 * the node, otherwise the lowest free one. Null when the node's pod CIDR is full.
 */
export function allocatePodIP(node: NodeAddresses, inUse: ReadonlySet<string>, preferred?: string): string | null {
  if (preferred !== undefined && isPodIPOf(node, preferred) && !inUse.has(preferred)) return preferred;
  const prefix = node.podGateway.slice(0, node.podGateway.lastIndexOf('.') + 1);
  for (let host = FIRST_POD_HOST; host <= LAST_POD_HOST; host++) {
    const ip = `${prefix}${host}`;
    if (!inUse.has(ip)) return ip;
  }
  return null;
}
