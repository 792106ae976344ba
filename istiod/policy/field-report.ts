// The problems and warnings a policy conversion reports, each naming the field it is about with a
// path such as `spec.rules[0].from[1].source.ipBlocks[2]`, plus the small readers the converters
// use to walk untrusted Kubernetes objects (`unknown` in, typed values or a problem out; own
// properties only, bounded lists and strings). Pure.

export interface FieldProblem {
  /** Where: `spec.rules[0].to[0].operation.ports[1]`, `metadata.annotations["istio.io/dry-run"]`. */
  readonly field: string;
  /** Why, for a person. */
  readonly reason: string;
}

/** At most this many problems (and as many warnings) are kept; the rest are summed up in one line. */
export const MAX_REPORTED = 64;

/** The longest string value accepted anywhere in a policy (the wire format's limit). */
export const MAX_STRING_BYTES = 1024;

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** `base.key`, or `base["odd key"]` when the key is not a plain identifier. */
export function fieldPath(base: string, key: string): string {
  if (!IDENTIFIER.test(key)) return `${base}[${show(key)}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** A value quoted for a message, cut to a readable length. */
export function show(value: string): string {
  return JSON.stringify(value.length > 80 ? `${value.slice(0, 80)}...` : value);
}

class Bounded {
  readonly items: FieldProblem[] = [];
  dropped = 0;

  add(field: string, reason: string): void {
    if (this.items.length < MAX_REPORTED) this.items.push(Object.freeze({ field, reason }));
    else this.dropped++;
  }

  finish(what: string): readonly FieldProblem[] {
    const out = [...this.items];
    if (this.dropped > 0) out.push(Object.freeze({ field: '', reason: `${this.dropped} more ${what} not shown` }));
    return Object.freeze(out);
  }
}

/** Collects what a conversion finds: problems reject the resource, warnings do not. */
export class FieldReport {
  private readonly problemList = new Bounded();
  private readonly warningList = new Bounded();

  problem(field: string, reason: string): void {
    this.problemList.add(field, reason);
  }

  warn(field: string, reason: string): void {
    this.warningList.add(field, reason);
  }

  get hasProblems(): boolean {
    return this.problemList.items.length > 0;
  }

  problems(): readonly FieldProblem[] {
    return this.problemList.finish('problems');
  }

  warnings(): readonly FieldProblem[] {
    return this.warningList.finish('warnings');
  }
}

export type JsonObject = Readonly<Record<string, unknown>>;

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An own property (a hostile key such as `__proto__` never reads the prototype). */
export function own(obj: JsonObject, key: string): unknown {
  return Object.hasOwn(obj, key) ? obj[key] : undefined;
}

/** Reports every key of `obj` not in `known` as an unknown field. */
export function checkKnownFields(obj: JsonObject, known: readonly string[], path: string, report: FieldReport): void {
  for (const key of Object.keys(obj)) {
    if (!known.includes(key)) report.problem(fieldPath(path, key), `unknown field (known: ${known.join(', ')})`);
  }
}

/** An optional object: undefined/null → undefined; anything but an object → a problem. */
export function readObject(value: unknown, path: string, report: FieldReport): JsonObject | undefined {
  if (value === undefined || value === null) return undefined;
  if (!isObject(value)) {
    report.problem(path, `must be an object, found ${describe(value)}`);
    return undefined;
  }
  return value;
}

/** Absent, null or an empty list: a list field that is not set (anything else is set, valid or not). */
export function isUnsetList(value: unknown): boolean {
  return value === undefined || value === null || (Array.isArray(value) && value.length === 0);
}

/** An optional list of at most `max` entries: undefined/null → undefined. */
export function readList(value: unknown, path: string, report: FieldReport, max: number): readonly unknown[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) {
    report.problem(path, `must be a list, found ${describe(value)}`);
    return undefined;
  }
  if (value.length > max) {
    report.problem(path, `${value.length} entries (at most ${max})`);
    return undefined;
  }
  return value;
}

/** Why a string value is unusable (empty, too long, control characters), or undefined. */
export function stringValueProblem(value: string): string | undefined {
  if (value.length === 0) return 'must not be empty';
  const bytes = Buffer.byteLength(value);
  if (bytes > MAX_STRING_BYTES) return `${bytes} bytes (at most ${MAX_STRING_BYTES})`;
  if (CONTROL.test(value)) return `${show(value)} contains control characters`;
  return undefined;
}

/** An optional string; `allowEmpty` lets "" through (annotations, label values). */
export function readString(value: unknown, path: string, report: FieldReport, allowEmpty = false): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== 'string') {
    report.problem(path, `must be a string, found ${describe(value)}`);
    return undefined;
  }
  if (allowEmpty && value === '') return value;
  const why = stringValueProblem(value);
  if (why) {
    report.problem(path, why);
    return undefined;
  }
  return value;
}

/**
 * An optional list of non-empty strings. Entries that fail are reported and become undefined, so
 * positions (and the field paths of later problems) stay those of the input.
 */
export function readStringList(value: unknown, path: string, report: FieldReport, max: number): readonly (string | undefined)[] | undefined {
  const list = readList(value, path, report, max);
  if (!list) return undefined;
  return list.map((item, i) => {
    const s = readString(item, `${path}[${i}]`, report);
    if (s === undefined && (item === null || item === undefined)) report.problem(`${path}[${i}]`, 'must not be null');
    return s;
  });
}

/** An optional string → string map (labels, annotations). */
export function readStringMap(value: unknown, path: string, report: FieldReport, max: number): Readonly<Record<string, string>> | undefined {
  const obj = readObject(value, path, report);
  if (!obj) return undefined;
  const keys = Object.keys(obj);
  if (keys.length > max) {
    report.problem(path, `${keys.length} entries (at most ${max})`);
    return undefined;
  }
  const out: Record<string, string> = {};
  for (const key of keys) {
    const v = readString(obj[key], fieldPath(path, key), report, true);
    if (v !== undefined) Object.defineProperty(out, key, { value: v, enumerable: true, writable: false, configurable: false });
  }
  return out;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (value === null) return 'null';
  if (typeof value === 'string') return `the string ${show(value)}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}
