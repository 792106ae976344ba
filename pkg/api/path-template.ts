// Istio's AuthorizationPolicy path templates ("/a/{*}/b/{**}"): recognising, parsing (with Istio's
// rules: a leading '/', {*} and {**} only as whole segments, {**} only last, literal segments of
// RFC 3986 path characters without braces or '*') and matching a normalized request path against
// the parsed form. Pure; shared by istiod (conversion, validation) and the waypoint (matching).

export type TemplateSegment = { kind: 'literal'; text: string } | { kind: 'one' } | { kind: 'rest' };

export type ParsedPathTemplate =
  | { ok: true; segments: readonly TemplateSegment[] }
  | { ok: false; why: string };

const MATCH_ONE = '{*}';
const MATCH_REST = '{**}';
/** RFC 3986 pchar (unreserved, pct-encoded, sub-delims, ':' and '@') minus '*': Istio's literal rule. */
const LITERAL = /^[A-Za-z0-9\-._~%!$&'()+,;:@=]*$/;

/** True when the value is meant as a template (it contains a brace). */
export function isPathTemplate(value: string): boolean {
  return value.includes('{');
}

function show(s: string): string {
  return JSON.stringify(s.length > 64 ? `${s.slice(0, 64)}...` : s);
}

/**
 * The segments of a template (split on '/', after the leading one). A literal segment may be
 * empty only as the last one (a template ending in '/'), never after {**}.
 */
export function parsePathTemplate(value: string): ParsedPathTemplate {
  if (typeof value !== 'string') return { ok: false, why: 'not a string' };
  if (!value.startsWith('/')) return { ok: false, why: `template ${show(value)} does not start with "/"` };
  const parts = value.slice(1).split('/');
  const segments: TemplateSegment[] = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const last = i === parts.length - 1;
    if (segments.length > 0 && segments[segments.length - 1]?.kind === 'rest') {
      return { ok: false, why: `template ${show(value)}: {**} must be the last segment` };
    }
    if (part === MATCH_ONE) segments.push({ kind: 'one' });
    else if (part === MATCH_REST) segments.push({ kind: 'rest' });
    else if (part.includes('{') || part.includes('}')) {
      return { ok: false, why: `template ${show(value)}: segment ${show(part)} has a brace outside a whole {*} or {**} segment` };
    } else if (part.includes('*')) {
      return { ok: false, why: `template ${show(value)}: segment ${show(part)} mixes a "*" wildcard with a template` };
    } else if (part === '' && !last) {
      return { ok: false, why: `template ${show(value)} has an empty segment ("//")` };
    } else if (!LITERAL.test(part)) {
      return { ok: false, why: `template ${show(value)}: segment ${show(part)} has a character not allowed in a path` };
    } else segments.push({ kind: 'literal', text: part });
  }
  return { ok: true, segments };
}

/**
 * Whether a path (normalized, without query or fragment) matches the template: {*} is exactly one
 * non-empty segment, {**} any remaining characters ('/' included, possibly none), literals compare
 * exactly (case-sensitive).
 */
export function matchPathTemplate(segments: readonly TemplateSegment[], path: string): boolean {
  let pos = 0;
  for (const segment of segments) {
    if (path.charCodeAt(pos) !== 0x2f /* '/' */) return false;
    pos += 1;
    if (segment.kind === 'rest') return true;
    const slash = path.indexOf('/', pos);
    const end = slash < 0 ? path.length : slash;
    const piece = path.slice(pos, end);
    if (segment.kind === 'one' ? piece.length === 0 : piece !== segment.text) return false;
    pos = end;
  }
  return pos === path.length;
}
