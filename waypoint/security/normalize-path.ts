// Request path normalization before L7 authorization and routing, in the mesh's configured mode
// (Istio's meshConfig.pathNormalization, as Envoy applies it): the normalized path is what
// policies match and what the backend receives, so a request cannot look like one path to the
// waypoint and another to the application. Pure.
//
// Input: the path part of the request target (the caller has cut the query at the first '?' and
// the fragment at the first '#'). Steps, in Istio's order:
//   DECODE_AND_MERGE_SLASHES: %2F/%2f → '/', %5C/%5c → '\' (percent-encoded control characters
//     %00–%1F and %7F are refused here), then MERGE_SLASHES.
//   MERGE_SLASHES: BASE, then every run of '/' becomes one.
//   BASE (RFC 3986 + Envoy's normalize_path): '\' → '/'; percent-encoded unreserved characters
//     (ALPHA DIGIT - . _ ~) decoded, every other valid escape's hex upper-cased, invalid escapes
//     ("%zz", a trailing "%") left as they are; then dot segments removed, never above the root.
//   NONE: unchanged.
// Decoding happens once (never twice: "%252F" stays "%252F"). In every mode a path that does not
// start with '/', contains a raw control character, or contains "%00" is refused (Istio answers
// 400 to "%00" whatever the mode).

import type { PathNormalization } from '../../pkg/api/waypoint-security-types';

export type NormalizeResult = { readonly ok: true; readonly path: string } | { readonly ok: false; readonly why: string };

// eslint-disable-next-line no-control-regex
const RAW_CONTROL = /[\u0000-\u001f\u007f]/;
const ENCODED_NUL = /%00/;
const ENCODED_CONTROL = /%(?:[01][0-9a-fA-F]|7[fF])/;
const ENCODED_SLASH = /%2[fF]/g;
const ENCODED_BACKSLASH = /%5[cC]/g;
const ESCAPE = /%([0-9a-fA-F]{2})/g;
const UNRESERVED = /^[A-Za-z0-9\-._~]$/;
const SLASH_RUN = /\/{2,}/g;

function refuse(why: string): NormalizeResult {
  return { ok: false, why };
}

/** Percent-encoded unreserved characters decoded, other escapes' hex upper-cased (one pass). */
function canonicalEscapes(path: string): string {
  if (!path.includes('%')) return path;
  return path.replace(ESCAPE, (_whole, hex: string) => {
    const ch = String.fromCharCode(parseInt(hex, 16));
    return UNRESERVED.test(ch) ? ch : `%${hex.toUpperCase()}`;
  });
}

/** RFC 3986 §5.2.4 for an absolute path: "." and ".." segments resolved, ".." stops at the root. */
export function removeDotSegments(path: string): string {
  if (!path.includes('.')) return path;
  const segments = path.slice(1).split('/');
  const out: string[] = [];
  const last = segments.length - 1;
  for (let i = 0; i <= last; i++) {
    const seg = segments[i] ?? '';
    if (seg === '.' || seg === '..') {
      if (seg === '..') out.pop();
      if (i === last) out.push(''); // "/a/b/.." → "/a/": the path still names a directory
      continue;
    }
    out.push(seg);
  }
  return `/${out.join('/')}`;
}

function base(path: string): string {
  const slashed = path.includes('\\') ? path.replaceAll('\\', '/') : path;
  return removeDotSegments(canonicalEscapes(slashed));
}

/** Normalizes a request path per `mode`; refuses paths no mode can make safe. */
export function normalizePath(rawPath: string, mode: PathNormalization): NormalizeResult {
  if (!rawPath.startsWith('/')) return refuse('the path must start with "/"');
  if (RAW_CONTROL.test(rawPath)) return refuse('the path contains a control character');
  if (ENCODED_NUL.test(rawPath)) return refuse('the path contains an encoded NUL (%00)');
  switch (mode) {
    case 'NONE':
      return { ok: true, path: rawPath };
    case 'BASE':
      return { ok: true, path: base(rawPath) };
    case 'MERGE_SLASHES':
      return { ok: true, path: base(rawPath).replace(SLASH_RUN, '/') };
    case 'DECODE_AND_MERGE_SLASHES': {
      if (ENCODED_CONTROL.test(rawPath)) return refuse('the path contains an encoded control character');
      const decoded = rawPath.replace(ENCODED_SLASH, '/').replace(ENCODED_BACKSLASH, '\\');
      return { ok: true, path: base(decoded).replace(SLASH_RUN, '/') };
    }
    default:
      return refuse(`unknown path normalization ${JSON.stringify(String(mode))}`);
  }
}
