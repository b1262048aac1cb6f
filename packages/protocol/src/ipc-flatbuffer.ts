/**
 * A bounds-checked flatbuffer reader for Arrow IPC metadata.
 *
 * Every offset, vtable and vector read from untrusted bytes is checked against the
 * buffer before use, so a corrupt or hostile header yields a FlightError INVALID_ARGUMENT
 * instead of garbage, a RangeError or a loop over a forged count. Tables are plain
 * numbers (byte positions), so reading allocates nothing.
 */

import { FlightInvalidArgumentError } from "./flight-error.js";

const TWO_POW_32 = 2 ** 32;

/** Reads tables, scalars, vectors and strings of one flatbuffer, checking every access. */
export class FlatbufferReader {
  /** The flatbuffer bytes. */
  readonly bytes: Uint8Array;
  /** Size of the flatbuffer in bytes. */
  readonly size: number;
  private readonly view: DataView;
  private readonly what: string;

  /**
   * @param bytes - the flatbuffer (any alignment).
   * @param what - names the buffer in error messages, e.g. "IPC message header".
   */
  constructor(bytes: Uint8Array, what: string) {
    this.bytes = bytes;
    this.size = bytes.length;
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.what = what;
  }

  /** A FlightError INVALID_ARGUMENT naming this buffer and the problem. */
  error(problem: string): FlightInvalidArgumentError {
    return new FlightInvalidArgumentError(`invalid ${this.what}: ${problem}`);
  }

  /** Position of the root table. @throws FlightError INVALID_ARGUMENT */
  root(): number {
    if (this.size < 8) throw this.error(`${this.size} bytes is too short for a flatbuffer`);
    return this.checkTable(this.view.getUint32(0, true), "root table");
  }

  /** Validate the table at `pos` (its vtable and extent); returns `pos`. */
  private checkTable(pos: number, name: string): number {
    if (pos < 0 || pos + 4 > this.size || pos % 4 !== 0) throw this.error(`${name} offset ${pos} is out of bounds`);
    const vtable = pos - this.view.getInt32(pos, true);
    if (vtable < 0 || vtable + 4 > this.size || vtable % 2 !== 0) {
      throw this.error(`${name} has its vtable out of bounds`);
    }
    const vtableSize = this.view.getUint16(vtable, true);
    const tableSize = this.view.getUint16(vtable + 2, true);
    if (vtableSize < 4 || vtableSize % 2 !== 0 || vtable + vtableSize > this.size) {
      throw this.error(`${name} has a vtable of invalid size ${vtableSize}`);
    }
    if (tableSize < 4 || pos + tableSize > this.size) throw this.error(`${name} extends past the end`);
    return pos;
  }

  /**
   * Position of field `id` of the table at `table`, or 0 when absent. Checks that a field
   * of `width` bytes lies inside the table.
   */
  field(table: number, id: number, width: number): number {
    const vtable = table - this.view.getInt32(table, true);
    const slot = 4 + 2 * id;
    if (slot + 2 > this.view.getUint16(vtable, true)) return 0;
    const offset = this.view.getUint16(vtable + slot, true);
    if (offset === 0) return 0;
    if (offset < 4 || offset + width > this.view.getUint16(vtable + 2, true)) {
      throw this.error(`field ${id} lies outside its table`);
    }
    return table + offset;
  }

  /** Unsigned 8-bit field (also used for bool and union type tags). */
  uint8(table: number, id: number, fallback: number): number {
    const p = this.field(table, id, 1);
    return p === 0 ? fallback : this.view.getUint8(p);
  }

  /** Signed 8-bit field. */
  int8(table: number, id: number, fallback: number): number {
    const p = this.field(table, id, 1);
    return p === 0 ? fallback : this.view.getInt8(p);
  }

  /** Boolean field. */
  bool(table: number, id: number, fallback: boolean): boolean {
    const p = this.field(table, id, 1);
    return p === 0 ? fallback : this.view.getUint8(p) !== 0;
  }

  /** Signed 16-bit field. */
  int16(table: number, id: number, fallback: number): number {
    const p = this.field(table, id, 2);
    return p === 0 ? fallback : this.view.getInt16(p, true);
  }

  /** Signed 32-bit field. */
  int32(table: number, id: number, fallback: number): number {
    const p = this.field(table, id, 4);
    return p === 0 ? fallback : this.view.getInt32(p, true);
  }

  /**
   * Signed 64-bit field as a number. @throws FlightError INVALID_ARGUMENT when the value
   * is not a safe integer (|v| >= 2^53), naming `name`.
   */
  int64(table: number, id: number, fallback: number, name: string): number {
    const p = this.field(table, id, 8);
    return p === 0 ? fallback : this.int64At(p, name);
  }

  /** Signed 64-bit value at byte `pos` (already bounds-checked by the caller). */
  int64At(pos: number, name: string): number {
    const low = this.view.getUint32(pos, true);
    const high = this.view.getInt32(pos + 4, true);
    if (high > 0x1fffff || high < -0x200000) throw this.error(`${name} ${this.bigint64At(pos)} is out of range`);
    return high * TWO_POW_32 + low;
  }

  private bigint64At(pos: number): bigint {
    return this.view.getBigInt64(pos, true);
  }

  /** Child table referenced by field `id`, or 0 when absent. */
  table(table: number, id: number, name: string): number {
    const p = this.field(table, id, 4);
    if (p === 0) return 0;
    return this.checkTable(p + this.view.getUint32(p, true), name);
  }

  /**
   * Vector referenced by field `id` whose elements are `elementSize` bytes: the position of
   * its first element, or -1 when absent. Its length is then {@link vectorLength}.
   */
  vector(table: number, id: number, elementSize: number, name: string): number {
    const p = this.field(table, id, 4);
    if (p === 0) return -1;
    const lengthPos = p + this.view.getUint32(p, true);
    if (lengthPos + 4 > this.size || lengthPos % 4 !== 0) throw this.error(`${name} vector is out of bounds`);
    const length = this.view.getUint32(lengthPos, true);
    if (length * elementSize > this.size - lengthPos - 4) {
      throw this.error(`${name} vector claims ${length} elements but the buffer holds fewer`);
    }
    return lengthPos + 4;
  }

  /** Number of elements of the vector whose first element is at `elements` (from {@link vector}). */
  vectorLength(elements: number): number {
    return elements < 0 ? 0 : this.view.getUint32(elements - 4, true);
  }

  /** Table at index `index` of a vector of tables (from {@link vector} with element size 4). */
  tableAt(elements: number, index: number, name: string): number {
    const p = elements + 4 * index;
    return this.checkTable(p + this.view.getUint32(p, true), name);
  }

  /** Signed 32-bit element `index` of a vector. */
  int32At(elements: number, index: number): number {
    return this.view.getInt32(elements + 4 * index, true);
  }

  /** String field `id` (UTF-8, invalid sequences replaced), or null when absent. */
  string(table: number, id: number, name: string): string | null {
    const elements = this.vector(table, id, 1, name);
    if (elements < 0) return null;
    const length = this.vectorLength(elements);
    return textDecoder.decode(this.bytes.subarray(elements, elements + length));
  }
}

const textDecoder = new TextDecoder("utf-8");
