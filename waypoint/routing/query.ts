// Query-string lookups for route matching and consistent hashing: the first value of a parameter,
// compared by decoded name (percent-decoding, '+' as space, as browsers send forms). Scans the raw
// query in place; allocates only when a name or value needs decoding.

/** Percent-decodes `s` ('+' → space); a malformed escape leaves the text as it was. */
export function decodeQueryComponent(s: string): string {
  const hasPlus = s.includes('+');
  if (!hasPlus && !s.includes('%')) return s;
  const spaced = hasPlus ? s.replace(/\+/g, ' ') : s;
  try {
    return decodeURIComponent(spaced);
  } catch {
    return spaced;
  }
}

/**
 * The decoded first value of parameter `name` in `query` (raw, without '?'); `''` for a bare
 * `name` or `name=`; undefined when absent.
 */
export function queryParam(query: string, name: string): string | undefined {
  const len = query.length;
  let start = 0;
  while (start <= len && len > 0) {
    let end = query.indexOf('&', start);
    if (end === -1) end = len;
    if (end > start) {
      const eq = query.indexOf('=', start);
      const nameEnd = eq === -1 || eq > end ? end : eq;
      const rawName = query.slice(start, nameEnd);
      if (decodeQueryComponent(rawName) === name) {
        return nameEnd === end ? '' : decodeQueryComponent(query.slice(nameEnd + 1, end));
      }
    }
    start = end + 1;
  }
  return undefined;
}
