// The local cluster's "container images": a table mapping image names to commands on this machine,
// and resolveImage, which turns a pod's container (image, command, args) into the argv to run,
// with Kubernetes semantics. Pure: no file system or process access (the node binary is a parameter).
import { join } from 'node:path';

export const IMAGE_RUNTIMES = {
  /** A JavaScript file under dist/, run with this machine's node binary. */
  node: 'node',
  /** Binaries of the host (found on PATH), e.g. curl or sh. */
  host: 'host',
} as const;

export type ImageEntry =
  | {
      readonly image: string;
      readonly runtime: typeof IMAGE_RUNTIMES.node;
      /** Path of the script relative to dist/. */
      readonly script: string;
      readonly defaultArgs: readonly string[];
      readonly description: string;
    }
  | {
      readonly image: string;
      readonly runtime: typeof IMAGE_RUNTIMES.host;
      /** Image ENTRYPOINT as host command words (may be empty, like busybox's). */
      readonly entrypoint: readonly string[];
      /** Image CMD. */
      readonly defaultArgs: readonly string[];
      readonly description: string;
    };

/** Every image the local cluster can run. Registry host and tag/digest of a reference are ignored. */
export const IMAGE_TABLE: readonly ImageEntry[] = [
  { image: 'ambit/echo', runtime: 'node', script: 'localcluster/images/echo-server.js', defaultArgs: [], description: 'HTTP echo sample app (PORT, default 8080)' },
  { image: 'ambit/tcp-echo', runtime: 'node', script: 'localcluster/images/tcp-echo.js', defaultArgs: [], description: 'TCP echo sample app with whoami (PORT, default 9000)' },
  { image: 'ambit/grpc-echo', runtime: 'node', script: 'localcluster/images/grpc-echo.js', defaultArgs: [], description: 'gRPC echo sample app (PORT, default 9090)' },
  { image: 'ambit/sleep', runtime: 'node', script: 'localcluster/images/sleep.js', defaultArgs: [], description: 'client pod that sleeps until SIGTERM' },
  { image: 'ambit/istiod', runtime: 'node', script: 'istiod/main.js', defaultArgs: [], description: 'control plane' },
  { image: 'ambit/ztunnel', runtime: 'node', script: 'ztunnel/main.js', defaultArgs: [], description: 'node proxy (DaemonSet)' },
  { image: 'ambit/waypoint', runtime: 'node', script: 'waypoint/main.js', defaultArgs: [], description: 'waypoint proxy' },
  { image: 'curlimages/curl', runtime: 'host', entrypoint: ['curl'], defaultArgs: [], description: "the host's curl" },
  { image: 'busybox', runtime: 'host', entrypoint: [], defaultArgs: ['sh'], description: "the host's sh and tools (not busybox)" },
  { image: 'alpine', runtime: 'host', entrypoint: [], defaultArgs: ['sh'], description: "the host's sh and tools (not alpine)" },
];

export interface ContainerCommand {
  image: string;
  command?: string[];
  args?: string[];
}

export type ResolvedImage = { argv: string[] } | { error: string };

/**
 * The repository part of an image reference, lower-cased: registry host (a first component with
 * a `.` or `:`, or `localhost`), Docker Hub's `library/`, tag and digest removed.
 * `docker.io/library/busybox:1.36` → `busybox`; `ghcr.io/ambit/echo@sha256:…` → `ambit/echo`.
 */
export function imageName(reference: string): string {
  let ref = reference.trim();
  const at = ref.indexOf('@');
  if (at >= 0) ref = ref.slice(0, at);
  const colon = ref.lastIndexOf(':');
  if (colon > ref.lastIndexOf('/')) ref = ref.slice(0, colon);
  const parts = ref.split('/');
  const first = parts[0] ?? '';
  if (parts.length > 1 && (first.includes('.') || first.includes(':') || first === 'localhost')) parts.shift();
  if (parts.length === 2 && parts[0] === 'library') parts.shift();
  return parts.join('/').toLowerCase();
}

export function findImage(reference: string): ImageEntry | undefined {
  const name = imageName(reference);
  return IMAGE_TABLE.find((entry) => entry.image === name);
}

/** The image's default command line for display, e.g. `node dist/istiod/main.js` or `sh`. */
export function describeEntrypoint(entry: ImageEntry): string {
  const words = entry.runtime === 'node'
    ? ['node', `dist/${entry.script}`, ...entry.defaultArgs]
    : [...entry.entrypoint, ...entry.defaultArgs];
  return words.join(' ');
}

/**
 * The argv that runs a container, Kubernetes style: the image supplies an entrypoint and default
 * args; `command` replaces both, `args` replaces the default args. Empty lists count as unset.
 */
export function resolveImage(container: ContainerCommand, distDir: string, nodeBinary: string = process.execPath): ResolvedImage {
  if (!container.image || container.image.trim() === '') return { error: 'container has no image' };
  const entry = findImage(container.image);
  if (!entry) {
    const known = IMAGE_TABLE.map((e) => e.image).join(', ');
    return { error: `image "${container.image}" is not known to the local cluster; known images: ${known}` };
  }
  const command = container.command ?? [];
  const args = container.args ?? [];
  let argv: string[];
  if (command.length > 0) {
    argv = [...command, ...args];
  } else {
    const entrypoint = entry.runtime === 'node' ? [nodeBinary, join(distDir, entry.script)] : [...entry.entrypoint];
    argv = [...entrypoint, ...(args.length > 0 ? args : entry.defaultArgs)];
  }
  if (argv.length === 0) {
    return { error: `image "${container.image}" has no default command; set the container's command or args` };
  }
  return { argv };
}

/** The table as aligned text, for `ambit local` to print. */
export function formatImageTable(): string {
  const rows = IMAGE_TABLE.map((e) => [e.image, describeEntrypoint(e), e.description]);
  const all = [['IMAGE', 'RUNS', 'WHAT'], ...rows];
  const widths = [0, 1].map((col) => Math.max(...all.map((r) => r[col].length)));
  return all.map((r) => `${r[0].padEnd(widths[0])}  ${r[1].padEnd(widths[1])}  ${r[2]}`.trimEnd()).join('\n');
}
