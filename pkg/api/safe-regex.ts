// Admission of regular expressions that come from config (HTTPRoute / VirtualService matches): the
// waypoint runs them with JavaScript's backtracking engine on every request, so a pattern must be
// short, compile as a plain (non-`u`) JS RegExp, and use none of the features that make matching
// cost unbounded or that RE2 (Istio's engine) does not have: backreferences and lookaround.
// Pure: no I/O, never throws.

/** The longest pattern accepted, in UTF-16 code units. */
export const MAX_REGEX_LENGTH = 1024;

/** The first feature of a pattern that is refused (with its offset), or undefined. */
function refusedFeature(pattern: string): string | undefined {
  let inClass = false;
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i];
    if (c === '\\') {
      const next = pattern[i + 1] ?? '';
      if (!inClass && next >= '1' && next <= '9') {
        const digits = /^[0-9]+/.exec(pattern.slice(i + 1))?.[0] ?? next;
        return `a backreference (\\${digits} at offset ${i})`;
      }
      if (!inClass && next === 'k' && pattern[i + 2] === '<') return `a named backreference (\\k<...> at offset ${i})`;
      i++; // skip the escaped character
      continue;
    }
    if (inClass) {
      if (c === ']') inClass = false;
      continue;
    }
    if (c === '[') {
      inClass = true;
      continue;
    }
    if (c === '(' && pattern[i + 1] === '?') {
      const a = pattern[i + 2];
      const b = pattern[i + 3];
      if (a === '=') return `a lookahead ((?=...) at offset ${i})`;
      if (a === '!') return `a negative lookahead ((?!...) at offset ${i})`;
      if (a === '<' && b === '=') return `a lookbehind ((?<=...) at offset ${i})`;
      if (a === '<' && b === '!') return `a negative lookbehind ((?<!...) at offset ${i})`;
    }
  }
  return undefined;
}

/**
 * Why a configured regex is refused, or undefined when it may be used. The waypoint matches it
 * anchored (the whole value), as Envoy does.
 */
export function regexProblem(pattern: string): string | undefined {
  if (typeof pattern !== 'string') return 'not a string';
  if (pattern.length === 0) return 'empty regex';
  if (pattern.length > MAX_REGEX_LENGTH) return `regex of ${pattern.length} characters (max ${MAX_REGEX_LENGTH})`;
  try {
    new RegExp(pattern);
  } catch (err) {
    return `regex does not compile (${err instanceof Error ? err.message : String(err)})`;
  }
  const feature = refusedFeature(pattern);
  if (feature) return `regex uses ${feature}; backreferences and lookaround are not allowed`;
  return undefined;
}
