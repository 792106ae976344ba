// The files of a ConfigMap / Secret / downwardAPI / projected volume (pure): each source's keys or
// items, tokens and downward-API values, with their modes — or why the volume cannot be set up
// yet (a required ConfigMap or Secret, or one of its keys, is missing), in the kubelet's words.

import { itemPathProblem, type FileSource, type VolumeSource } from './volume-plan';

export interface VolumeFile {
  /** Relative path inside the volume. */
  path: string;
  data: Buffer;
  mode: number;
}

/** A ConfigMap's or Secret's content as bytes by key (Secret data and ConfigMap binaryData decoded). */
export type KeyData = Record<string, Buffer>;

export interface ContentLookups {
  configMap(name: string): KeyData | undefined;
  secret(name: string): KeyData | undefined;
  /** A token for the pod's service account with this audience (undefined: the API server's). */
  token(audience: string | undefined, expirationSeconds: number): string;
  /** A downward-API field (`metadata.name`, `metadata.labels`, ...); undefined when unsupported. */
  field(fieldPath: string): string | undefined;
  clusterCA(): string;
}

export type VolumeContent = { files: VolumeFile[] } | { error: string };

const TOKEN_MODE = 0o600;

function keyedFiles(kind: 'configmap' | 'secret', name: string, data: KeyData, source: Extract<FileSource, { kind: 'configMap' | 'secret' }>, defaultMode: number): VolumeFile[] | { error: string } {
  if (!source.items) {
    const bad = Object.keys(data).find((k) => itemPathProblem(k) !== undefined || k.includes('/'));
    if (bad !== undefined) return { error: `${kind} ${JSON.stringify(name)} has key ${JSON.stringify(bad)}, which is not a valid file name` };
    return Object.keys(data).sort().map((k) => ({ path: k, data: data[k], mode: defaultMode }));
  }
  const out: VolumeFile[] = [];
  for (const item of source.items) {
    if (!Object.prototype.hasOwnProperty.call(data, item.key)) {
      if (source.optional) continue;
      return { error: `${kind} ${JSON.stringify(name)} references non-existent ${kind === 'secret' ? 'secret' : 'config'} key: ${item.key}` };
    }
    out.push({ path: item.path, data: data[item.key], mode: item.mode ?? defaultMode });
  }
  return out;
}

function sourceFiles(source: FileSource, lookups: ContentLookups, defaultMode: number): VolumeFile[] | { error: string } {
  switch (source.kind) {
    case 'serviceAccountToken':
      return [{ path: source.path, data: Buffer.from(lookups.token(source.audience, source.expirationSeconds)), mode: TOKEN_MODE }];
    case 'clusterCA':
      return [{ path: source.path, data: Buffer.from(lookups.clusterCA()), mode: defaultMode }];
    case 'downwardAPI': {
      const out: VolumeFile[] = [];
      for (const item of source.items) {
        const value = lookups.field(item.fieldPath);
        if (value === undefined) return { error: `downwardAPI field ${JSON.stringify(item.fieldPath)} is not supported by the local cluster` };
        out.push({ path: item.path, data: Buffer.from(value), mode: item.mode ?? defaultMode });
      }
      return out;
    }
    case 'configMap':
    case 'secret': {
      const kind = source.kind === 'configMap' ? 'configmap' : 'secret';
      const data = source.kind === 'configMap' ? lookups.configMap(source.name) : lookups.secret(source.name);
      if (!data) return source.optional ? [] : { error: `${kind} ${JSON.stringify(source.name)} not found` };
      return keyedFiles(kind, source.name, data, source, defaultMode);
    }
    default:
      return [];
  }
}

/** Every file of a `files` volume, or the first reason it cannot be written; paths must not collide. */
export function volumeContent(volume: Extract<VolumeSource, { kind: 'files' }>, lookups: ContentLookups): VolumeContent {
  const files: VolumeFile[] = [];
  for (const source of volume.sources) {
    const got = sourceFiles(source, lookups, volume.defaultMode);
    if ('error' in got) return got;
    files.push(...got);
  }
  const seen = new Set<string>();
  for (const f of files) {
    const clash = [...seen].find((p) => p === f.path || p.startsWith(`${f.path}/`) || f.path.startsWith(`${p}/`));
    if (clash !== undefined) return { error: `conflicting paths ${JSON.stringify(clash)} and ${JSON.stringify(f.path)} in the volume` };
    seen.add(f.path);
  }
  return { files };
}

/** Labels or annotations as the downward API writes them: `key="value"` lines, sorted. */
export function formatMap(map: Record<string, string> | undefined): string {
  return Object.keys(map ?? {}).sort().map((k) => `${k}=${JSON.stringify((map ?? {})[k])}`).join('\n');
}
