// Label and field selectors: parses the `labelSelector` / `fieldSelector` query strings and
// `metav1.LabelSelector` objects into predicates. Syntax errors are ApiError 400; malformed
// selector objects are ApiError 422 naming the field.

import { ApiError, StatusReason, badRequest } from './errors';
import { hasOwn, ownValue } from './json-values';
import { isRecord, type KubeObject } from './types';

export type LabelPredicate = (labels: Record<string, string> | undefined) => boolean;
export type ObjectPredicate = (obj: KubeObject) => boolean;

// ---------------------------------------------------------------------------------------------
// Keys and values

const NAME_RE = /^[A-Za-z0-9]([-A-Za-z0-9_.]*[A-Za-z0-9])?$/;
const DNS_LABEL_RE = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `key` is not a valid label key (optional DNS-subdomain prefix + "/" + name), or undefined. */
export function labelKeyProblem(key: string): string | undefined {
  const slash = key.indexOf('/');
  const name = slash >= 0 ? key.slice(slash + 1) : key;
  if (slash >= 0) {
    const prefix = key.slice(0, slash);
    if (prefix.length === 0) return 'prefix part must be non-empty';
    if (prefix.length > 253) return 'prefix part must be no more than 253 characters';
    if (!prefix.split('.').every((l) => DNS_LABEL_RE.test(l) && l.length <= 63)) {
      return 'prefix part must be a lowercase RFC 1123 subdomain';
    }
  }
  if (name.length === 0) return 'name part must be non-empty';
  if (name.length > 63) return 'name part must be no more than 63 characters';
  if (!NAME_RE.test(name)) {
    return "name part must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

/** Why `value` is not a valid label value (≤ 63 chars, may be empty), or undefined. */
export function labelValueProblem(value: string): string | undefined {
  if (value.length > 63) return 'must be no more than 63 characters';
  if (value !== '' && !NAME_RE.test(value)) {
    return "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character";
  }
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Requirements (shared by the string and object forms)

const Operator = {
  Equals: 'Equals', NotEquals: 'NotEquals', In: 'In', NotIn: 'NotIn',
  Exists: 'Exists', DoesNotExist: 'DoesNotExist', GreaterThan: 'Gt', LessThan: 'Lt',
} as const;
type Operator = (typeof Operator)[keyof typeof Operator];

interface Requirement {
  key: string;
  op: Operator;
  values: string[];
}

function matches(req: Requirement, labels: Record<string, string>): boolean {
  const present = hasOwn(labels, req.key);
  const value = present ? labels[req.key] : undefined;
  switch (req.op) {
    case Operator.Equals:
    case Operator.In:
      return value !== undefined && req.values.includes(value);
    case Operator.NotEquals:
    case Operator.NotIn:
      return value === undefined || !req.values.includes(value);
    case Operator.Exists: return present;
    case Operator.DoesNotExist: return !present;
    case Operator.GreaterThan:
    case Operator.LessThan: {
      if (value === undefined || !/^-?[0-9]+$/.test(value)) return false;
      const n = Number(value);
      const bound = Number(req.values[0]);
      return req.op === Operator.GreaterThan ? n > bound : n < bound;
    }
  }
}

function predicateOf(reqs: Requirement[]): LabelPredicate {
  return (labels) => reqs.every((r) => matches(r, labels ?? {}));
}

// ---------------------------------------------------------------------------------------------
// The string form: `a=b,c!=d,e in (f,g),!h`

type Token =
  | { kind: 'id'; text: string }
  | { kind: 'op'; text: '!' | '=' | '==' | '!=' | '(' | ')' | ',' | '<' | '>' }
  | { kind: 'end' };

function tokenize(text: string, fail: (why: string) => ApiError): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (/\s/.test(c)) { i++; continue; }
    const two = text.slice(i, i + 2);
    if (two === '==' || two === '!=') { tokens.push({ kind: 'op', text: two }); i += 2; continue; }
    if (c === '!' || c === '=' || c === '(' || c === ')' || c === ',' || c === '<' || c === '>') {
      tokens.push({ kind: 'op', text: c });
      i++;
      continue;
    }
    let j = i;
    while (j < text.length && !/[\s!=(),<>]/.test(text[j])) j++;
    if (j === i) throw fail(`unexpected character ${JSON.stringify(c)}`);
    tokens.push({ kind: 'id', text: text.slice(i, j) });
    i = j;
  }
  tokens.push({ kind: 'end' });
  return tokens;
}

const describe = (t: Token): string => (t.kind === 'end' ? 'end of string' : `'${t.text}'`);

export function parseLabelSelector(text: string): LabelPredicate {
  const fail = (why: string): ApiError => badRequest(`unable to parse requirement: ${why} (in selector ${JSON.stringify(text)})`);
  const tokens = tokenize(text, fail);
  let pos = 0;
  const next = (): Token => tokens[Math.min(pos++, tokens.length - 1)];
  const peek = (): Token => tokens[Math.min(pos, tokens.length - 1)];
  const isOp = (t: Token, op: string): boolean => t.kind === 'op' && t.text === op;
  const isKeyword = (t: Token): boolean => t.kind === 'id' && (t.text === 'in' || t.text === 'notin');
  const reqs: Requirement[] = [];
  if (peek().kind === 'end') return () => true;

  const identifier = (what: string): string => {
    const t = next();
    if (t.kind !== 'id' || isKeyword(t)) throw fail(`found ${describe(t)}, expected: ${what}`);
    return t.text;
  };
  const checkKey = (key: string): void => {
    const problem = labelKeyProblem(key);
    if (problem) throw fail(`invalid label key ${JSON.stringify(key)}: ${problem}`);
  };
  const checkValue = (value: string): void => {
    const problem = labelValueProblem(value);
    if (problem) throw fail(`invalid label value ${JSON.stringify(value)}: ${problem}`);
  };
  const exactValue = (): string => {
    const t = peek();
    if (t.kind === 'end' || isOp(t, ',')) return '';
    const value = identifier('value');
    checkValue(value);
    return value;
  };
  const valueSet = (): string[] => {
    if (!isOp(next(), '(')) throw fail(`found ${describe(tokens[pos - 1])}, expected: '('`);
    const values: string[] = [];
    if (isOp(peek(), ')')) throw fail('for \'in\', \'notin\' operators, values set can\'t be empty');
    for (;;) {
      const t = peek();
      const value = isOp(t, ',') || isOp(t, ')') ? '' : identifier('value');
      checkValue(value);
      values.push(value);
      const sep = next();
      if (isOp(sep, ')')) return values;
      if (!isOp(sep, ',')) throw fail(`found ${describe(sep)}, expected: ',' or ')'`);
    }
  };

  for (;;) {
    if (isOp(peek(), '!')) {
      next();
      const key = identifier('identifier');
      checkKey(key);
      reqs.push({ key, op: Operator.DoesNotExist, values: [] });
    } else {
      const key = identifier('identifier');
      checkKey(key);
      const t = peek();
      if (t.kind === 'end' || isOp(t, ',')) {
        reqs.push({ key, op: Operator.Exists, values: [] });
      } else if (isOp(t, '=') || isOp(t, '==') || isOp(t, '!=')) {
        next();
        reqs.push({ key, op: isOp(t, '!=') ? Operator.NotEquals : Operator.Equals, values: [exactValue()] });
      } else if (isOp(t, '<') || isOp(t, '>')) {
        next();
        const bound = identifier('integer value');
        if (!/^-?[0-9]+$/.test(bound)) throw fail(`for 'Gt', 'Lt' operators, the value must be an integer: ${JSON.stringify(bound)}`);
        reqs.push({ key, op: isOp(t, '<') ? Operator.LessThan : Operator.GreaterThan, values: [bound] });
      } else if (isKeyword(t)) {
        next();
        reqs.push({ key, op: t.kind === 'id' && t.text === 'in' ? Operator.In : Operator.NotIn, values: valueSet() });
      } else {
        throw fail(`found ${describe(t)}, expected: '=', '!=', '==', 'in', 'notin'`);
      }
    }
    const sep = next();
    if (sep.kind === 'end') break;
    if (!isOp(sep, ',')) throw fail(`found ${describe(sep)}, expected: ','`);
  }
  return predicateOf(reqs);
}

// ---------------------------------------------------------------------------------------------
// The object form: metav1.LabelSelector

/** Predicate of a `{matchLabels, matchExpressions}` object; `fieldPath` names it in errors. */
export function labelSelectorFromObject(sel: unknown, fieldPath = 'selector'): LabelPredicate {
  if (sel === undefined || sel === null) return () => true;
  const fail = (field: string, why: string): ApiError => {
    const message = `${field}: Invalid value: ${why}`;
    return new ApiError(422, StatusReason.Invalid, message, { causes: [{ reason: 'FieldValueInvalid', message: why, field }] });
  };
  if (!isRecord(sel)) throw fail(fieldPath, 'must be an object');
  const reqs: Requirement[] = [];
  const matchLabels = ownValue(sel, 'matchLabels');
  if (matchLabels !== undefined && matchLabels !== null) {
    if (!isRecord(matchLabels)) throw fail(`${fieldPath}.matchLabels`, 'must be a map of strings');
    for (const [key, value] of Object.entries(matchLabels)) {
      const field = `${fieldPath}.matchLabels`;
      const keyProblem = labelKeyProblem(key);
      if (keyProblem) throw fail(field, `${JSON.stringify(key)}: ${keyProblem}`);
      if (typeof value !== 'string') throw fail(`${field}.${key}`, 'must be a string');
      const valueProblem = labelValueProblem(value);
      if (valueProblem) throw fail(`${field}.${key}`, `${JSON.stringify(value)}: ${valueProblem}`);
      reqs.push({ key, op: Operator.Equals, values: [value] });
    }
  }
  const expressions = ownValue(sel, 'matchExpressions');
  if (expressions !== undefined && expressions !== null) {
    if (!Array.isArray(expressions)) throw fail(`${fieldPath}.matchExpressions`, 'must be a list');
    expressions.forEach((expr: unknown, i) => reqs.push(expressionRequirement(expr, `${fieldPath}.matchExpressions[${i}]`, fail)));
  }
  return predicateOf(reqs);
}

const expressionOperators: Readonly<Record<string, Operator>> = {
  In: Operator.In, NotIn: Operator.NotIn, Exists: Operator.Exists, DoesNotExist: Operator.DoesNotExist,
};

function expressionRequirement(expr: unknown, field: string, fail: (field: string, why: string) => ApiError): Requirement {
  if (!isRecord(expr)) throw fail(field, 'must be an object');
  const key = ownValue(expr, 'key');
  if (typeof key !== 'string') throw fail(`${field}.key`, 'must be a string');
  const keyProblem = labelKeyProblem(key);
  if (keyProblem) throw fail(`${field}.key`, `${JSON.stringify(key)}: ${keyProblem}`);
  const opName = ownValue(expr, 'operator');
  if (typeof opName !== 'string' || !hasOwn(expressionOperators, opName)) {
    throw fail(`${field}.operator`, `${JSON.stringify(opName)}: not a valid selector operator (In, NotIn, Exists, DoesNotExist)`);
  }
  const op = expressionOperators[opName];
  const rawValues = ownValue(expr, 'values') ?? [];
  if (!Array.isArray(rawValues) || !rawValues.every((v) => typeof v === 'string')) {
    throw fail(`${field}.values`, 'must be a list of strings');
  }
  const values: string[] = rawValues;
  if ((op === Operator.In || op === Operator.NotIn) && values.length === 0) {
    throw fail(`${field}.values`, 'must be specified when `operator` is \'In\' or \'NotIn\'');
  }
  if ((op === Operator.Exists || op === Operator.DoesNotExist) && values.length > 0) {
    throw fail(`${field}.values`, 'may not be specified when `operator` is \'Exists\' or \'DoesNotExist\'');
  }
  values.forEach((v, j) => {
    const problem = labelValueProblem(v);
    if (problem) throw fail(`${field}.values[${j}]`, `${JSON.stringify(v)}: ${problem}`);
  });
  return { key, op, values };
}

// ---------------------------------------------------------------------------------------------
// Field selectors: `metadata.name=web,status.phase!=Running`

export function parseFieldSelector(text: string): ObjectPredicate {
  const terms: Array<{ path: string[]; negate: boolean; value: string }> = [];
  for (const term of splitUnescaped(text)) {
    if (term.trim() === '') continue;
    const fail = (why: string): ApiError => badRequest(`invalid field selector: '${text}'; ${why} in '${term}'`);
    const m = /^([^=!]*)(!=|==|=)(.*)$/s.exec(term);
    if (!m) throw fail('expected one of =, ==, !=');
    const path = m[1].trim();
    if (!/^[A-Za-z0-9_-]+(\.[A-Za-z0-9_-]+)*$/.test(path)) throw fail(`invalid field path '${path}'`);
    terms.push({ path: path.split('.'), negate: m[2] === '!=', value: unescapeFieldValue(m[3], fail) });
  }
  return (obj) => terms.every((t) => (fieldText(obj, t.path) === t.value) !== t.negate);
}

/** Splits on commas that are not escaped by a backslash. */
function splitUnescaped(text: string): string[] {
  const parts: string[] = [];
  let start = 0;
  for (let i = 0; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === ',') { parts.push(text.slice(start, i)); start = i + 1; }
  }
  parts.push(text.slice(start));
  return parts;
}

function unescapeFieldValue(raw: string, fail: (why: string) => ApiError): string {
  let out = '';
  for (let i = 0; i < raw.length; i++) {
    const c = raw[i];
    if (c === '\\') {
      const n = raw[i + 1];
      if (n !== '\\' && n !== ',' && n !== '=') throw fail(`invalid escape sequence '\\${n ?? ''}'`);
      out += n;
      i++;
    } else if (c === '=' || c === ',') {
      throw fail(`unescaped '${c}' in value`);
    } else {
      out += c;
    }
  }
  return out;
}

/** The field at `path` as text; a missing field (or an object) reads as the empty string. */
function fieldText(obj: unknown, path: string[]): string {
  let cur: unknown = obj;
  for (const segment of path) {
    if (!isRecord(cur)) return '';
    cur = ownValue(cur, segment);
  }
  if (typeof cur === 'string') return cur;
  if (typeof cur === 'number' || typeof cur === 'boolean') return String(cur);
  return '';
}
