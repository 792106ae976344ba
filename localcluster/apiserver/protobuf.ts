// Decoding of Kubernetes protobuf request bodies (what kubectl's typed clients send): the `k8s\0`
// magic, the runtime.Unknown envelope naming apiVersion/kind, then the object, driven by the
// declarative field tables of protobuf-schemas.ts into the same plain JSON the JSON path gives.
// Hostile input is a 400: work is linear in the body, nesting and value counts are bounded.
// Kinds without a table are refused with 415 so the user is told to send JSON/YAML instead.

import { badRequest, unsupportedMediaType } from './errors';
import { setOwn } from './json-values';
import { envelopeTypeMeta } from './protobuf-meta-schemas';
import type { Field, Message, ValueType } from './protobuf-schema';
import { PROTOBUF_KINDS } from './protobuf-schemas';
import { WireReader, WireType } from './protobuf-wire';
import { isRecord } from './types';

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

/** Message nesting deeper than this is refused (the built-in tables are far shallower). */
export const MAX_PROTOBUF_DEPTH = 64;
/** At most this many decoded values (fields, list items, map entries) per body. */
export const MAX_PROTOBUF_VALUES = 1_000_000;

export interface DecodeLimits {
  maxDepth?: number;
  maxValues?: number;
}

type Json = Record<string, unknown>;

class Decoder {
  private values = 0;
  constructor(private readonly maxDepth: number, private readonly maxValues: number) {}

  private count(): void {
    if (++this.values > this.maxValues) throw badRequest(`protobuf body has more than ${this.maxValues} values`);
  }

  message(buf: Buffer, spec: Message, depth: number): Json {
    if (depth > this.maxDepth) throw badRequest(`protobuf body is nested deeper than ${this.maxDepth} levels`);
    const out: Json = {};
    const r = new WireReader(buf);
    while (!r.done) {
      const { field: number, wire } = r.tag();
      const field = Object.prototype.hasOwnProperty.call(spec, number) ? spec[number] : undefined;
      if (!field) { r.skip(wire); continue; }
      this.count();
      this.field(r, wire, field, out, depth);
    }
    return out;
  }

  private field(r: WireReader, wire: number, field: Field, out: Json, depth: number): void {
    switch (field.card) {
      case 'repeated': {
        const items = Array.isArray(out[field.name]) ? out[field.name] as unknown[] : [];
        if (wire === WireType.Bytes && (field.type === 'int' || field.type === 'bool')) {
          const packed = new WireReader(r.bytes());
          while (!packed.done) { this.count(); items.push(field.type === 'int' ? packed.int64() : packed.bool()); }
        } else {
          const v = this.value(r, wire, field, depth);
          if (v !== undefined) items.push(v);
        }
        setOwn(out, field.name, items);
        return;
      }
      case 'map': {
        expectWire(field, wire, WireType.Bytes);
        const entry = this.message(r.bytes(), entrySpec(field), depth + 1);
        const target = isRecord(out[field.name]) ? out[field.name] as Json : {};
        setOwn(target, String(entry.key ?? ''), entry.value ?? zeroOf(field.type));
        setOwn(out, field.name, target);
        return;
      }
      case 'inline': {
        const inner = this.value(r, wire, field, depth);
        if (isRecord(inner)) for (const k of Object.keys(inner)) setOwn(out, k, inner[k]);
        return;
      }
      default: {
        const v = this.value(r, wire, field, depth);
        // Go always writes non-pointer fields; their zero values mean "not set" in JSON.
        if (v === undefined || (field.card === 'one' && (v === '' || v === 0 || v === false))) return;
        setOwn(out, field.name, v);
      }
    }
  }

  private value(r: WireReader, wire: number, field: Field, depth: number): unknown {
    const type = field.type;
    if (type === 'int' || type === 'bool') {
      expectWire(field, wire, WireType.Varint);
      return type === 'int' ? r.int64() : r.bool();
    }
    expectWire(field, wire, WireType.Bytes);
    const bytes = r.bytes();
    switch (type) {
      case 'string': return bytes.toString('utf8');
      case 'bytes': return bytes.toString('base64');
      case 'time': return timeValue(this.message(bytes, TIME, depth + 1));
      case 'quantity': return String(this.message(bytes, QUANTITY, depth + 1).string ?? '');
      case 'intOrString': {
        const v = this.message(bytes, INT_OR_STRING, depth + 1);
        return v.type === 1 ? String(v.strVal ?? '') : Number(v.intVal ?? 0);
      }
      case 'rawExtension': return rawExtension(this.message(bytes, RAW_EXTENSION, depth + 1).raw);
      default: return this.message(bytes, type, depth + 1);
    }
  }
}

const TIME: Message = { 1: { name: 'seconds', type: 'int', card: 'optional' }, 2: { name: 'nanos', type: 'int', card: 'optional' } };
const QUANTITY: Message = { 1: { name: 'string', type: 'string', card: 'optional' } };
const INT_OR_STRING: Message = {
  1: { name: 'type', type: 'int', card: 'optional' }, 2: { name: 'intVal', type: 'int', card: 'optional' },
  3: { name: 'strVal', type: 'string', card: 'optional' },
};
const RAW_EXTENSION: Message = { 1: { name: 'raw', type: 'bytes', card: 'optional' } };

const ENTRY_SPECS = new WeakMap<Field, Message>();

/** The map<string, T> entry message of a map field (key 1, value 2), built once per field. */
function entrySpec(field: Field): Message {
  let spec = ENTRY_SPECS.get(field);
  if (!spec) {
    spec = { 1: { name: 'key', type: 'string', card: 'optional' }, 2: { name: 'value', type: field.type, card: 'optional' } };
    ENTRY_SPECS.set(field, spec);
  }
  return spec;
}

function expectWire(field: Field, wire: number, want: number): void {
  if (wire !== want) throw badRequest(`protobuf field ${field.name || '(embedded)'} has wire type ${wire}, expected ${want}`);
}

function zeroOf(type: ValueType): unknown {
  if (type === 'int') return 0;
  if (type === 'bool') return false;
  return typeof type === 'string' ? '' : {};
}

/** Earliest and latest instants Kubernetes' Time accepts (0001-01-01 .. 9999-12-31). */
const MIN_SECONDS = -62135596800;
const MAX_SECONDS = 253402300799;

/** metav1.Time → RFC 3339 at second precision, as Kubernetes' JSON has it; an empty Time is unset. */
function timeValue(t: Json): string | undefined {
  if (t.seconds === undefined) return undefined;
  const seconds = Number(t.seconds);
  if (!Number.isSafeInteger(seconds) || seconds < MIN_SECONDS || seconds > MAX_SECONDS) {
    throw badRequest(`protobuf body has a timestamp out of range (${String(t.seconds)} seconds)`);
  }
  return `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z`;
}

/** runtime.RawExtension: its raw bytes are the embedded object's JSON. */
function rawExtension(raw: unknown): unknown {
  if (typeof raw !== 'string' || raw === '') return undefined;
  const text = Buffer.from(raw, 'base64').toString('utf8');
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw badRequest('protobuf body has an embedded object (RawExtension) that is not JSON');
  }
}

/** One message by a field table; for tests and callers that know the message type. */
export function decodeProtobufMessage(buf: Buffer, spec: Message, limits: DecodeLimits = {}): Record<string, unknown> {
  return new Decoder(limits.maxDepth ?? MAX_PROTOBUF_DEPTH, limits.maxValues ?? MAX_PROTOBUF_VALUES).message(buf, spec, 0);
}

interface Envelope { apiVersion: string; kind: string; raw: Buffer; contentEncoding: string }

/** runtime.Unknown, read field by field so `raw` stays a Buffer. */
function readEnvelope(buf: Buffer): Envelope {
  const env: Envelope = { apiVersion: '', kind: '', raw: Buffer.alloc(0), contentEncoding: '' };
  const r = new WireReader(buf);
  while (!r.done) {
    const { field, wire } = r.tag();
    if ((field === 1 || field === 2 || field === 3) && wire !== WireType.Bytes) {
      throw badRequest(`protobuf envelope field ${field} has wire type ${wire}, expected ${WireType.Bytes}`);
    }
    if (field === 1) {
      const typeMeta = decodeProtobufMessage(r.bytes(), envelopeTypeMeta);
      env.apiVersion = String(typeMeta.apiVersion ?? '');
      env.kind = String(typeMeta.kind ?? '');
    } else if (field === 2) env.raw = r.bytes();
    else if (field === 3) env.contentEncoding = r.bytes().toString('utf8');
    else r.skip(wire);
  }
  return env;
}

/** A `k8s\0`-framed protobuf body as a plain object (with apiVersion and kind), or 400/415. */
export function decodeProtobufObject(body: Buffer, limits: DecodeLimits = {}): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) {
    throw badRequest('protobuf body does not start with the Kubernetes magic prefix');
  }
  const env = readEnvelope(body.subarray(MAGIC.length));
  if (env.contentEncoding !== '') throw unsupportedMediaType(`protobuf bodies with content encoding ${JSON.stringify(env.contentEncoding)} are not supported`);
  const key = `${env.apiVersion}/${env.kind}`;
  const spec = Object.prototype.hasOwnProperty.call(PROTOBUF_KINDS, key) ? PROTOBUF_KINDS[key] : undefined;
  if (!spec) {
    throw unsupportedMediaType(`protobuf bodies are supported only for ${Object.keys(PROTOBUF_KINDS).join(', ')}; send ${env.kind || 'this object'} as JSON or YAML (for example with kubectl apply)`);
  }
  return { apiVersion: env.apiVersion, kind: env.kind, ...decodeProtobufMessage(env.raw, spec, limits) };
}
