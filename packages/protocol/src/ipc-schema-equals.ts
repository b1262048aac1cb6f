/**
 * Structural equality of apache-arrow schemas and types, for "is this the same stream
 * schema" checks. Unlike apache-arrow's `compareTo`, it does not depend on which
 * subclass constructed a type (`new Int(true, 64)` equals `new Int64()`).
 */

import type { DataType, Field, Schema } from "apache-arrow";
import { Type } from "apache-arrow";

/** What {@link schemasEqual} compares besides names and types. */
export interface SchemaEqualityOptions {
  /** Compare field nullability. */
  readonly nullability: boolean;
  /** Compare dictionary ids. */
  readonly dictionaryIds: boolean;
}

/** True when `a` and `b` have the same field names and types (and, per `options`, nullability and dictionary ids). */
export function schemasEqual(a: Schema, b: Schema, options: SchemaEqualityOptions): boolean {
  return a === b || fieldsEqual(a.fields, b.fields, options, true);
}

function fieldsEqual(
  a: readonly Field[],
  b: readonly Field[],
  options: SchemaEqualityOptions,
  names: boolean,
): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) {
    const x = a[i]!;
    const y = b[i]!;
    if (names && x.name !== y.name) return false;
    if (options.nullability && x.nullable !== y.nullable) return false;
    if (!typesEqual(x.type, y.type, options)) return false;
  }
  return true;
}

/** The parameters of apache-arrow types, read by typeId. */
interface TypeParameters {
  readonly bitWidth?: number;
  readonly isSigned?: boolean;
  readonly precision?: number;
  readonly scale?: number;
  readonly unit?: number;
  readonly timezone?: string | null;
  readonly byteWidth?: number;
  readonly listSize?: number;
  readonly keysSorted?: boolean;
  readonly mode?: number;
  readonly typeIds: Int32Array;
  readonly id?: number;
  readonly isOrdered?: boolean;
  readonly indices?: DataType;
  readonly dictionary?: DataType;
}

/** Structural equality of two types (child names compared except for list-like element fields). */
export function typesEqual(a: DataType, b: DataType, options: SchemaEqualityOptions): boolean {
  if (a === b) return true;
  if (a.typeId !== b.typeId) return false;
  const x = a as unknown as TypeParameters;
  const y = b as unknown as TypeParameters;
  switch (a.typeId) {
    case Type.Int:
      return x.bitWidth === y.bitWidth && x.isSigned === y.isSigned;
    case Type.Float:
      return x.precision === y.precision;
    case Type.Decimal:
      return x.scale === y.scale && x.precision === y.precision && x.bitWidth === y.bitWidth;
    case Type.Date:
    case Type.Interval:
    case Type.Duration:
      return x.unit === y.unit;
    case Type.Time:
      return x.unit === y.unit && x.bitWidth === y.bitWidth;
    case Type.Timestamp:
      return x.unit === y.unit && (x.timezone || null) === (y.timezone || null);
    case Type.FixedSizeBinary:
      return x.byteWidth === y.byteWidth;
    case Type.List:
    case Type.LargeList:
      return fieldsEqual(a.children, b.children, options, false);
    case Type.FixedSizeList:
      return x.listSize === y.listSize && fieldsEqual(a.children, b.children, options, false);
    case Type.Map:
      return x.keysSorted === y.keysSorted && fieldsEqual(a.children, b.children, options, false);
    case Type.Struct:
      return fieldsEqual(a.children, b.children, options, true);
    case Type.Union:
      return (
        x.mode === y.mode &&
        x.typeIds.length === y.typeIds.length &&
        x.typeIds.every((id, i) => id === y.typeIds[i]) &&
        fieldsEqual(a.children, b.children, options, true)
      );
    case Type.Dictionary:
      return (
        (!options.dictionaryIds || x.id === y.id) &&
        x.isOrdered === y.isOrdered &&
        typesEqual(x.indices as DataType, y.indices as DataType, options) &&
        typesEqual(x.dictionary as DataType, y.dictionary as DataType, options)
      );
    default:
      return true;
  }
}
