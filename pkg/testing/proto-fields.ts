// Test-only readers of raw protobuf bytes: the field numbers of a message's top-level fields and
// the payload of one length-delimited field, so tests can check wire layout (field numbers)
// independently of the codec under test.

import * as protobuf from 'protobufjs';

/** Field numbers of the top-level fields of a message, in wire order. */
export function tags(buf: Uint8Array): number[] {
  const r = protobuf.Reader.create(buf);
  const out: number[] = [];
  while (r.pos < r.len) {
    const tag = r.uint32();
    out.push(tag >>> 3);
    r.skipType(tag & 7);
  }
  return out;
}

/** The payload of the (first) length-delimited field `wanted`. */
export function field(buf: Uint8Array, wanted: number): Uint8Array {
  const r = protobuf.Reader.create(buf);
  while (r.pos < r.len) {
    const tag = r.uint32();
    if (tag >>> 3 === wanted && (tag & 7) === 2) return r.bytes();
    r.skipType(tag & 7);
  }
  throw new Error(`field ${wanted} not found`);
}
