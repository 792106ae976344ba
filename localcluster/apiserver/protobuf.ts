// Decoding of the Kubernetes protobuf wire format for the few request bodies kubectl sends that
// way (`kubectl create namespace|configmap|secret|serviceaccount|token`, DeleteOptions): the
// `k8s\0` + runtime.Unknown envelope, then the object by a small field table into plain JSON.
// Anything else is refused with 415 so the user is told to use JSON/YAML (e.g. `kubectl apply`).

import { badRequest, unsupportedMediaType } from './errors';
import { setOwn } from './json-values';

type Scalar = 'string' | 'bytes' | 'int' | 'bool' | 'time';
interface Field { name: string; type: Scalar | 'stringMap' | 'bytesMap' | Message; repeated?: boolean }
interface Message { [fieldNumber: number]: Field }

const f = (name: string, type: Field['type'], repeated = false): Field => ({ name, type, repeated });

const ownerReference: Message = { 1: f('kind', 'string'), 3: f('name', 'string'), 4: f('uid', 'string'), 5: f('apiVersion', 'string'), 6: f('controller', 'bool'), 7: f('blockOwnerDeletion', 'bool') };
const objectMeta: Message = {
  1: f('name', 'string'), 2: f('generateName', 'string'), 3: f('namespace', 'string'), 5: f('uid', 'string'),
  6: f('resourceVersion', 'string'), 7: f('generation', 'int'), 8: f('creationTimestamp', 'time'),
  9: f('deletionTimestamp', 'time'), 10: f('deletionGracePeriodSeconds', 'int'), 11: f('labels', 'stringMap'),
  12: f('annotations', 'stringMap'), 13: f('ownerReferences', ownerReference, true), 14: f('finalizers', 'string', true),
};
const meta = f('metadata', objectMeta);

const deleteOptions: Message = {
  1: f('gracePeriodSeconds', 'int'), 2: f('preconditions', { 1: f('uid', 'string'), 2: f('resourceVersion', 'string') }),
  3: f('orphanDependents', 'bool'), 4: f('propagationPolicy', 'string'), 5: f('dryRun', 'string', true),
};

/** Field tables by `apiVersion/kind`. */
const KINDS: Readonly<Record<string, Message>> = {
  'v1/Namespace': { 1: meta, 2: f('spec', { 1: f('finalizers', 'string', true) }), 3: f('status', { 1: f('phase', 'string') }) },
  'v1/ConfigMap': { 1: meta, 2: f('data', 'stringMap'), 3: f('binaryData', 'bytesMap'), 4: f('immutable', 'bool') },
  'v1/Secret': { 1: meta, 2: f('data', 'bytesMap'), 3: f('type', 'string'), 4: f('stringData', 'stringMap'), 5: f('immutable', 'bool') },
  'v1/ServiceAccount': { 1: meta, 3: f('imagePullSecrets', { 1: f('name', 'string') }, true), 4: f('automountServiceAccountToken', 'bool') },
  'authentication.k8s.io/v1/TokenRequest': {
    1: meta,
    2: f('spec', {
      1: f('audiences', 'string', true), 4: f('expirationSeconds', 'int'),
      3: f('boundObjectRef', { 1: f('kind', 'string'), 2: f('apiVersion', 'string'), 3: f('name', 'string'), 4: f('uid', 'string') }),
    }),
  },
  'v1/DeleteOptions': deleteOptions,
  'meta.k8s.io/v1/DeleteOptions': deleteOptions,
};

const MAGIC = Buffer.from([0x6b, 0x38, 0x73, 0x00]);

class Reader {
  pos = 0;
  constructor(private readonly buf: Buffer) {}
  get done(): boolean { return this.pos >= this.buf.length; }

  varint(): bigint {
    let result = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw badRequest('protobuf body is truncated');
      const b = this.buf[this.pos++];
      result |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return result;
    }
    throw badRequest('protobuf body has an overlong varint');
  }

  bytes(): Buffer {
    const len = Number(this.varint());
    if (len > this.buf.length - this.pos) throw badRequest('protobuf body is truncated');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  skip(wire: number): void {
    if (wire === 0) this.varint();
    else if (wire === 2) this.bytes();
    else if (wire === 1 || wire === 5) this.pos += wire === 1 ? 8 : 4;
    else throw badRequest(`protobuf body has an unsupported wire type ${wire}`);
  }
}

const toInt = (v: bigint): number => Number(BigInt.asIntN(64, v));

function decodeMessage(buf: Buffer, spec: Message): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  const r = new Reader(buf);
  while (!r.done) {
    const tag = Number(r.varint());
    const wire = tag & 7;
    const field = spec[tag >>> 3];
    if (!field) { r.skip(wire); continue; }
    const value = decodeField(r, wire, field);
    // Go writes every non-pointer field; its zero values mean "not set" in JSON.
    if (value === undefined || (!field.repeated && (value === '' || value === 0))) continue;
    if (field.type === 'stringMap' || field.type === 'bytesMap') {
      const [k, v] = value as [string, string];
      const map = (out[field.name] ?? {}) as Record<string, unknown>;
      setOwn(map, k, v);
      out[field.name] = map;
    } else if (field.repeated) {
      const list = (out[field.name] ?? []) as unknown[];
      list.push(value);
      out[field.name] = list;
    } else {
      setOwn(out, field.name, value);
    }
  }
  return out;
}

function decodeField(r: Reader, wire: number, field: Field): unknown {
  const want = field.type === 'int' || field.type === 'bool' ? 0 : 2;
  if (wire !== want) throw badRequest(`protobuf field ${field.name} has wire type ${wire}, expected ${want}`);
  switch (field.type) {
    case 'int': return toInt(r.varint());
    case 'bool': return r.varint() !== 0n;
    case 'string': return r.bytes().toString('utf8');
    case 'bytes': return r.bytes().toString('base64');
    case 'time': {
      const seconds = Number(decodeMessage(r.bytes(), { 1: f('seconds', 'int'), 2: f('nanos', 'int') }).seconds ?? 0);
      return seconds > 0 ? `${new Date(seconds * 1000).toISOString().slice(0, 19)}Z` : undefined;
    }
    case 'stringMap':
    case 'bytesMap': {
      const entry = decodeMessage(r.bytes(), { 1: f('key', 'string'), 2: f('value', field.type === 'stringMap' ? 'string' : 'bytes') });
      return [String(entry.key ?? ''), entry.value ?? ''];
    }
    default: return decodeMessage(r.bytes(), field.type);
  }
}

/** A `k8s\0`-framed protobuf body as a plain object (with apiVersion and kind), or 400/415. */
export function decodeProtobufObject(body: Buffer): Record<string, unknown> {
  if (body.length < MAGIC.length || !body.subarray(0, MAGIC.length).equals(MAGIC)) throw badRequest('protobuf body does not start with the Kubernetes magic prefix');
  const envelope = decodeMessage(body.subarray(MAGIC.length), {
    1: f('typeMeta', { 1: f('apiVersion', 'string'), 2: f('kind', 'string') }), 2: f('raw', 'bytes'),
  });
  const typeMeta = (envelope.typeMeta ?? {}) as Record<string, unknown>;
  const apiVersion = String(typeMeta.apiVersion ?? '');
  const kind = String(typeMeta.kind ?? '');
  const spec = KINDS[`${apiVersion}/${kind}`];
  if (!Object.prototype.hasOwnProperty.call(KINDS, `${apiVersion}/${kind}`) || !spec) {
    throw unsupportedMediaType(`protobuf bodies are supported only for ${Object.keys(KINDS).join(', ')}; send ${kind || 'this object'} as JSON or YAML (for example with kubectl apply)`);
  }
  const raw = Buffer.from(String(envelope.raw ?? ''), 'base64');
  return { apiVersion, kind, ...decodeMessage(raw, spec) };
}
