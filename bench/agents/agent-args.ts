// Command-line parsing for the bench HBONE agent (pure). Two modes:
//   client: plain TCP listeners, each forwarding to a fixed authority through an HBONE stream;
//   server: an HBONE server that dials the requested (loopback-only) authority.

export interface Forward {
  readonly listenPort: number;
  /** `host:port` sent as the CONNECT `:authority`. */
  readonly authority: string;
}

export interface WindowSettings {
  readonly streamWindowBytes?: number;
  readonly connectionWindowBytes?: number;
}

export type AgentConfig =
  | ({ readonly mode: 'client'; readonly certFile: string; readonly server: { readonly address: string; readonly port: number }; readonly serverIdentity: string; readonly forwards: readonly Forward[] } & WindowSettings)
  | ({ readonly mode: 'server'; readonly certFile: string; readonly listen: { readonly address: string; readonly port: number } } & WindowSettings);

function hostPort(text: string): { address: string; port: number } | undefined {
  const m = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]+)):(\d{1,5})$/.exec(text);
  if (!m) return undefined;
  const port = Number(m[3]);
  if (port < 0 || port > 65535) return undefined;
  return { address: m[1] ?? m[2], port };
}

function positiveInt(text: string | undefined): number | undefined {
  if (text === undefined || !/^\d+$/.test(text)) return undefined;
  const n = Number(text);
  return n > 0 && Number.isSafeInteger(n) ? n : undefined;
}

/** Parses `--name value` pairs; `--forward` may repeat. Returns the config or a message. */
export function parseAgentArgs(argv: readonly string[]): AgentConfig | string {
  const single = new Map<string, string>();
  const forwards: Forward[] = [];
  for (let i = 0; i < argv.length; i += 2) {
    const key = argv[i];
    const value = argv[i + 1];
    if (!key.startsWith('--') || value === undefined) return `expected --option value pairs, got '${key}'`;
    const name = key.slice(2);
    if (name === 'forward') {
      const eq = value.indexOf('=');
      const listenPort = positiveInt(value.slice(0, eq));
      const authority = value.slice(eq + 1);
      if (eq < 0 || listenPort === undefined || listenPort > 65535 || hostPort(authority) === undefined) return `--forward wants LISTENPORT=HOST:PORT, got '${value}'`;
      forwards.push({ listenPort, authority });
    } else single.set(name, value);
  }
  const mode = single.get('mode');
  const certFile = single.get('cert');
  if (certFile === undefined) return '--cert FILE is required';
  const windows: WindowSettings = {};
  for (const [opt, field] of [['stream-window', 'streamWindowBytes'], ['connection-window', 'connectionWindowBytes']] as const) {
    const raw = single.get(opt);
    if (raw === undefined) continue;
    const n = positiveInt(raw);
    if (n === undefined) return `--${opt} wants a positive byte count, got '${raw}'`;
    Object.assign(windows, { [field]: n });
  }
  if (mode === 'client') {
    const server = hostPort(single.get('server') ?? '');
    const serverIdentity = single.get('server-identity');
    if (!server) return '--server HOST:PORT is required in client mode';
    if (!serverIdentity) return '--server-identity SPIFFE-ID is required in client mode';
    if (forwards.length === 0) return 'client mode needs at least one --forward LISTENPORT=HOST:PORT';
    return { mode, certFile, server, serverIdentity, forwards, ...windows };
  }
  if (mode === 'server') {
    const listen = hostPort(single.get('listen') ?? '');
    if (!listen) return '--listen HOST:PORT is required in server mode';
    return { mode, certFile, listen, ...windows };
  }
  return `--mode must be client or server, got '${mode ?? ''}'`;
}

/** Whether the server agent may dial `host`: loopback only, so a bench agent is no open relay. */
export function isLoopbackHost(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === '::1' || host === 'localhost';
}
