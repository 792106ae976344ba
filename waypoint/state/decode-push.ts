// Decoding one xDS push of one type as a whole before anything is applied: every resource decoded,
// its name checked against its content, every problem collected into one bounded NACK message.
// Pure; the store and the authorization holder use it for their types.

import type { XdsResource } from '../../pkg/xds/types';

/** The longest NACK message sent back to istiod (the first problems kept, the rest counted). */
export const MAX_NACK_MESSAGE_CHARS = 4096;
const MAX_NAME_SHOWN = 200;

export type Update = { readonly resources: readonly XdsResource[]; readonly removed: readonly string[] };

/** How one type's resources decode and which name each must carry. */
export interface PushDecoder<T> {
  readonly typeUrl: string;
  decode(bytes: Uint8Array): { readonly ok: true; readonly value: T } | { readonly ok: false; readonly error: string };
  /** Why `name` is not the name `value` must have (undefined: it is). */
  misnamed(value: T, name: string): string | undefined;
}

export interface DecodedResource<T> {
  readonly name: string;
  readonly version: string;
  readonly value: T;
}

export type DecodedResources<T> =
  | { readonly ok: true; readonly upserts: readonly DecodedResource<T>[]; readonly removed: readonly string[] }
  | { readonly ok: false; readonly error: string; readonly problems: readonly string[] };

export function shownName(name: string): string {
  return JSON.stringify(name.length > MAX_NAME_SHOWN ? `${name.slice(0, MAX_NAME_SHOWN)}...` : name);
}

/** Joins problems with "; ", keeping the message under `max` characters ("... and N more"). */
export function joinProblems(problems: readonly string[], max: number = MAX_NACK_MESSAGE_CHARS): string {
  let out = '';
  for (let i = 0; i < problems.length; i++) {
    const next = out ? `${out}; ${problems[i]}` : (problems[i] as string);
    const suffix = i + 1 < problems.length ? `; ... and ${problems.length - i - 1} more` : '';
    if (next.length + suffix.length > max) {
      const more = `... and ${problems.length - i} more`;
      return out ? `${out}; ${more}` : `${(problems[i] as string).slice(0, Math.max(0, max - more.length - 2))}; ${more}`;
    }
    out = next;
  }
  return out;
}

/** Decodes a whole push, or collects every problem (nameless, repeated, wrongly typed, undecodable, misnamed). */
export function decodePush<T>(update: Update, decoder: PushDecoder<T>): DecodedResources<T> {
  const problems: string[] = [];
  const upserts: DecodedResource<T>[] = [];
  const seen = new Set<string>();
  for (const r of update.resources) {
    const name = r.name;
    if (typeof name !== 'string' || name === '') {
      problems.push('a resource has no name');
      continue;
    }
    if (seen.has(name)) {
      problems.push(`${shownName(name)}: sent twice in one response`);
      continue;
    }
    seen.add(name);
    if (r.resource.typeUrl !== decoder.typeUrl) {
      problems.push(`${shownName(name)}: type ${JSON.stringify(r.resource.typeUrl)} is not ${decoder.typeUrl}`);
      continue;
    }
    const decoded = decoder.decode(r.resource.value);
    if (!decoded.ok) {
      problems.push(`${shownName(name)}: ${decoded.error}`);
      continue;
    }
    const misnamed = decoder.misnamed(decoded.value, name);
    if (misnamed !== undefined) {
      problems.push(`${shownName(name)}: ${misnamed}`);
      continue;
    }
    upserts.push({ name, version: r.version, value: decoded.value });
  }
  for (const name of update.removed) {
    if (seen.has(name)) problems.push(`${shownName(name)}: both updated and removed in one response`);
  }
  if (problems.length) return { ok: false, error: joinProblems(problems), problems };
  return { ok: true, upserts, removed: [...new Set(update.removed)] };
}
