// A small, safe evaluator for the JSONPath subset CRD additionalPrinterColumns use: fields
// (`.spec.replicas`, `['a.b']`, `\.` escapes), array indexes (`[0]`, `[-1]`), wildcards (`[*]`,
// `.*`) and filters comparing a relative path with a literal (`[?(@.type=="Ready")]`). Paths are
// parsed once into steps; evaluation only walks plain JSON data, with a cap on the results.

export type Literal = string | number | boolean;
export type Op = '==' | '!=' | '<' | '<=' | '>' | '>=';

export type Step =
  | { kind: 'field'; name: string }
  | { kind: 'index'; index: number }
  | { kind: 'all' }
  | { kind: 'filter'; path: Step[]; op?: Op; value?: Literal };

const MAX_PATH_LENGTH = 1024;
const MAX_RESULTS = 10_000;

class Scanner {
  pos = 0;
  constructor(readonly text: string) {}
  get done(): boolean { return this.pos >= this.text.length; }
  peek(n = 0): string { return this.text[this.pos + n] ?? ''; }
  fail(why: string): never { throw new Error(`invalid JSONPath ${JSON.stringify(this.text)} at ${this.pos}: ${why}`); }
  skipSpace(): void { while (this.peek() === ' ') this.pos++; }
  expect(s: string): void {
    if (!this.text.startsWith(s, this.pos)) this.fail(`expected ${JSON.stringify(s)}`);
    this.pos += s.length;
  }
}

/** A dotted field name, up to the next unescaped '.', '[', space or operator character. */
function fieldName(sc: Scanner): string {
  let name = '';
  while (!sc.done) {
    const ch = sc.peek();
    if (ch === '\\' && sc.peek(1) === '.') { name += '.'; sc.pos += 2; continue; }
    if ('.[]() =!<>&|'.includes(ch)) break;
    name += ch;
    sc.pos++;
  }
  if (name === '') sc.fail('expected a field name');
  return name;
}

function quoted(sc: Scanner): string {
  const quote = sc.peek();
  sc.pos++;
  let out = '';
  while (!sc.done && sc.peek() !== quote) {
    if (sc.peek() === '\\' && sc.pos + 1 < sc.text.length) sc.pos++;
    out += sc.peek();
    sc.pos++;
  }
  if (sc.done) sc.fail('unterminated string');
  sc.pos++;
  return out;
}

function literal(sc: Scanner): Literal {
  sc.skipSpace();
  const ch = sc.peek();
  if (ch === '"' || ch === "'") return quoted(sc);
  const m = /^(-?\d+(?:\.\d+)?(?:[eE][-+]?\d+)?|true|false)/.exec(sc.text.slice(sc.pos));
  if (!m) return sc.fail('expected a literal');
  sc.pos += m[0].length;
  if (m[0] === 'true' || m[0] === 'false') return m[0] === 'true';
  return Number(m[0]);
}

function filter(sc: Scanner): Step {
  sc.expect('?(');
  sc.skipSpace();
  sc.expect('@');
  const path = steps(sc, true);
  sc.skipSpace();
  const m = /^(==|!=|<=|>=|<|>)/.exec(sc.text.slice(sc.pos));
  let step: Step = { kind: 'filter', path };
  if (m) {
    sc.pos += m[0].length;
    step = { kind: 'filter', path, op: m[0] as Op, value: literal(sc) };
  }
  sc.skipSpace();
  sc.expect(')');
  return step;
}

function bracket(sc: Scanner): Step {
  sc.expect('[');
  sc.skipSpace();
  let step: Step;
  const ch = sc.peek();
  if (ch === '*') { sc.pos++; step = { kind: 'all' }; }
  else if (ch === '"' || ch === "'") step = { kind: 'field', name: quoted(sc) };
  else if (ch === '?') step = filter(sc);
  else {
    const m = /^-?\d+/.exec(sc.text.slice(sc.pos));
    if (!m) sc.fail('expected an index, *, a quoted name or a filter');
    sc.pos += m[0].length;
    step = { kind: 'index', index: Number(m[0]) };
  }
  sc.skipSpace();
  sc.expect(']');
  return step;
}

function steps(sc: Scanner, inFilter: boolean): Step[] {
  const out: Step[] = [];
  while (!sc.done) {
    const ch = sc.peek();
    if (ch === '.') {
      sc.pos++;
      if (sc.peek() === '.') sc.fail('recursive descent (..) is not supported');
      if (sc.peek() === '*') { sc.pos++; out.push({ kind: 'all' }); } else out.push({ kind: 'field', name: fieldName(sc) });
    } else if (ch === '[') {
      out.push(bracket(sc));
    } else if (inFilter) {
      break;
    } else {
      sc.fail(`unexpected ${JSON.stringify(ch)}`);
    }
  }
  return out;
}

/** Parses a printer-column path (`.status.x`, optionally `{...}` and/or `$`-prefixed); throws on bad syntax. */
export function parseJsonPath(text: string): Step[] {
  if (text.length > MAX_PATH_LENGTH) throw new Error(`JSONPath longer than ${MAX_PATH_LENGTH} characters`);
  let body = text.trim();
  if (body.startsWith('{') && body.endsWith('}')) body = body.slice(1, -1).trim();
  if (body.startsWith('$')) body = body.slice(1);
  return steps(new Scanner(body), false);
}

const isObject = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);

function compare(a: unknown, op: Op, b: Literal): boolean {
  if (op === '==') return a === b;
  if (op === '!=') return a !== b;
  if (typeof a !== typeof b || (typeof a !== 'number' && typeof a !== 'string')) return false;
  const x = a as number | string;
  const y = b as number | string;
  return op === '<' ? x < y : op === '<=' ? x <= y : op === '>' ? x > y : x >= y;
}

function children(v: unknown): unknown[] {
  if (Array.isArray(v)) return v;
  if (isObject(v)) return Object.values(v);
  return [];
}

/** All values the path selects in `data`, in document order (missing keys select nothing). */
export function evaluateJsonPath(path: Step[], data: unknown): unknown[] {
  let current: unknown[] = [data];
  for (const step of path) {
    const next: unknown[] = [];
    for (const v of current) {
      switch (step.kind) {
        case 'field':
          if (isObject(v) && Object.prototype.hasOwnProperty.call(v, step.name)) next.push(v[step.name]);
          break;
        case 'index':
          if (Array.isArray(v)) {
            const i = step.index < 0 ? v.length + step.index : step.index;
            if (i >= 0 && i < v.length) next.push(v[i]);
          }
          break;
        case 'all':
          next.push(...children(v));
          break;
        case 'filter':
          for (const item of children(v)) {
            const found = evaluateJsonPath(step.path, item);
            const keep = step.op === undefined ? found.length > 0 : found.some((f) => compare(f, step.op as Op, step.value as Literal));
            if (keep) next.push(item);
          }
          break;
      }
      if (next.length > MAX_RESULTS) next.length = MAX_RESULTS;
    }
    current = next;
  }
  return current;
}
