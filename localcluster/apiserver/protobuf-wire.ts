// The protobuf wire format, read-only and bounds-checked: varints (unsigned and two's-complement
// int64), length-delimited fields as zero-copy slices, fixed32/64 and skipping of unknown fields.
// Every malformed input (truncation, overlong varint, length past the end, group wire types)
// becomes a 400 ApiError; nothing here allocates more than the input it was given.

import { badRequest } from './errors';

export const WireType = { Varint: 0, Fixed64: 1, Bytes: 2, StartGroup: 3, EndGroup: 4, Fixed32: 5 } as const;

const truncated = (): Error => badRequest('protobuf body is truncated');

/** Largest field number protobuf allows (2^29 - 1). */
const MAX_FIELD_NUMBER = 0x1fffffff;

export class WireReader {
  private pos = 0;

  constructor(private readonly buf: Buffer) {}

  get done(): boolean {
    return this.pos >= this.buf.length;
  }

  /** A varint as a number when below 2^49, otherwise as a bigint (at most 10 bytes). */
  private varint(): number | bigint {
    const start = this.pos;
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 7; i++) {
      if (this.pos >= this.buf.length) throw truncated();
      const b = this.buf[this.pos++];
      value += (b & 0x7f) * scale;
      if ((b & 0x80) === 0) return value;
      scale *= 128;
    }
    // Rare: 8 to 10 bytes (negative numbers, huge int64s). Re-read exactly with bigint.
    this.pos = start;
    let big = 0n;
    for (let shift = 0n; shift < 70n; shift += 7n) {
      if (this.pos >= this.buf.length) throw truncated();
      const b = this.buf[this.pos++];
      big |= BigInt(b & 0x7f) << shift;
      if ((b & 0x80) === 0) return BigInt.asUintN(64, big);
    }
    throw badRequest('protobuf body has an overlong varint');
  }

  /** A non-negative varint that must fit a safe integer (lengths, tags). */
  private smallVarint(what: string): number {
    const v = this.varint();
    if (typeof v !== 'number') throw badRequest(`protobuf body has an out-of-range ${what}`);
    return v;
  }

  /** The next field's number and wire type. */
  tag(): { field: number; wire: number } {
    const v = this.smallVarint('field tag');
    const field = Math.floor(v / 8);
    if (field < 1 || field > MAX_FIELD_NUMBER) throw badRequest(`protobuf body has an invalid field number ${field}`);
    return { field, wire: v % 8 };
  }

  /** An int32/int64 varint, two's complement (negative values use all ten bytes). */
  int64(): number {
    const v = this.varint();
    return typeof v === 'number' ? v : Number(BigInt.asIntN(64, v));
  }

  bool(): boolean {
    const v = this.varint();
    return v !== 0 && v !== 0n;
  }

  /** A length-delimited field's contents (a view into the input, not a copy). */
  bytes(): Buffer {
    const len = this.smallVarint('length');
    if (len > this.buf.length - this.pos) throw badRequest('protobuf body has a length past its end');
    const out = this.buf.subarray(this.pos, this.pos + len);
    this.pos += len;
    return out;
  }

  private advance(n: number): void {
    if (n > this.buf.length - this.pos) throw truncated();
    this.pos += n;
  }

  /** Skips a field of an unknown number. */
  skip(wire: number): void {
    switch (wire) {
      case WireType.Varint: this.varint(); return;
      case WireType.Fixed64: this.advance(8); return;
      case WireType.Bytes: this.bytes(); return;
      case WireType.Fixed32: this.advance(4); return;
      default: throw badRequest(`protobuf body has an unsupported wire type ${wire}`);
    }
  }
}
