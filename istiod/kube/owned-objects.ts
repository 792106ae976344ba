// Whether an object istiod owns needs an update: the desired object is compared as a subset of the
// live one (the API server adds defaults, status and bookkeeping that istiod never sets), so
// re-applying an unchanged waypoint template writes nothing.

const IGNORED_METADATA = new Set(['resourceVersion', 'uid', 'generation', 'creationTimestamp', 'managedFields']);

function isRecord(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

/** True when `desired` (as a pattern) is not contained in `live`. */
function differs(live: unknown, desired: unknown): boolean {
  if (Array.isArray(desired)) {
    if (!Array.isArray(live) || live.length !== desired.length) return true;
    return desired.some((d, i) => differs(live[i], d));
  }
  if (isRecord(desired)) {
    if (!isRecord(live)) return true;
    return Object.entries(desired).some(([k, v]) => differs(live[k], v));
  }
  return live !== desired;
}

/** Does applying `desired` over `live` change anything (metadata bookkeeping and status ignored)? */
export function ownedDiffers(live: Readonly<Record<string, unknown>>, desired: Readonly<Record<string, unknown>>): boolean {
  for (const [key, value] of Object.entries(desired)) {
    if (key === 'status' || key === 'apiVersion' || key === 'kind') continue;
    if (key === 'metadata' && isRecord(value)) {
      const liveMeta = isRecord(live.metadata) ? live.metadata : {};
      for (const [mk, mv] of Object.entries(value)) {
        if (!IGNORED_METADATA.has(mk) && differs(liveMeta[mk], mv)) return true;
      }
      continue;
    }
    if (differs(live[key], value)) return true;
  }
  return false;
}
