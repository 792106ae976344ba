// The vocabulary of the declarative protobuf field tables: a message maps field numbers to a JSON
// name, a value type and a cardinality. New kinds are added as data (protobuf-*-schemas.ts); the
// decoder (protobuf.ts) is the only code that interprets these tables.

/**
 * Value types. Scalars map to JSON directly (`bytes` as base64); the Kubernetes wrapper
 * messages map to their JSON forms: Time → RFC 3339, IntOrString → number or string,
 * Quantity → string, RawExtension → the embedded JSON value.
 */
export type ScalarType = 'string' | 'bytes' | 'int' | 'bool';
export type WrapperType = 'time' | 'intOrString' | 'quantity' | 'rawExtension';
export type ValueType = ScalarType | WrapperType | Message;

/**
 * How often a field occurs and how Go's zero values are treated:
 * - `one`: a Go non-pointer field, always written; '', 0 and false mean "unset" and are dropped.
 * - `optional`: a Go pointer field, written only when set; zero values are kept.
 * - `repeated`: a list; `map`: map<string, type> entries; `inline`: an embedded Go struct whose
 *   fields appear in the parent's JSON (e.g. LocalObjectReference in ConfigMapKeySelector).
 */
export type Cardinality = 'one' | 'optional' | 'repeated' | 'map' | 'inline';

export interface Field {
  readonly name: string;
  readonly type: ValueType;
  readonly card: Cardinality;
}

export interface Message {
  readonly [fieldNumber: number]: Field;
}

export const one = (name: string, type: ValueType): Field => ({ name, type, card: 'one' });
export const opt = (name: string, type: ValueType): Field => ({ name, type, card: 'optional' });
export const list = (name: string, type: ValueType): Field => ({ name, type, card: 'repeated' });
export const map = (name: string, valueType: ValueType): Field => ({ name, type: valueType, card: 'map' });
export const inline = (type: Message): Field => ({ name: '', type, card: 'inline' });

/** Shorthands for the most common field shapes. */
export const str = (name: string): Field => one(name, 'string');
export const int = (name: string): Field => one(name, 'int');
export const bool = (name: string): Field => one(name, 'bool');
export const strings = (name: string): Field => list(name, 'string');
export const labels = (name: string): Field => map(name, 'string');
