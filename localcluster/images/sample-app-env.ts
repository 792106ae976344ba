// Pure helpers shared by the sample apps (echo-server, tcp-echo): reading PORT and the pod's
// identity (downward-API env) from the environment, and formatting a peer address.

export interface PodIdentity {
  pod: string;
  namespace: string;
  version: string;
  node: string;
}

/** The identity a sample app reports, from POD_NAME, POD_NAMESPACE, VERSION and NODE_NAME. */
export function identityFromEnv(env: Readonly<Record<string, string | undefined>>): PodIdentity {
  return {
    pod: env.POD_NAME || 'unknown',
    namespace: env.POD_NAMESPACE || 'default',
    version: env.VERSION || 'v1',
    node: env.NODE_NAME || 'unknown',
  };
}

/** PORT as a TCP port number, `fallback` when unset; a string explaining the problem when invalid. */
export function portFromEnv(raw: string | undefined, fallback: number): number | string {
  if (raw === undefined || raw.trim() === '') return fallback;
  const text = raw.trim();
  const port = Number(text);
  if (!/^\d+$/.test(text) || !Number.isInteger(port) || port < 0 || port > 65535) {
    return `PORT must be a TCP port number (0-65535), got "${raw}"`;
  }
  return port;
}

/**
 * `ip:port` of a peer as a user would write it: IPv4-mapped IPv6 addresses are shown as IPv4 and
 * other IPv6 addresses are bracketed.
 */
export function formatSource(address: string | undefined, port: number | undefined): string {
  let ip = address ?? 'unknown';
  if (ip.startsWith('::ffff:') && ip.includes('.')) ip = ip.slice('::ffff:'.length);
  const host = ip.includes(':') ? `[${ip}]` : ip;
  return `${host}:${port ?? 0}`;
}
