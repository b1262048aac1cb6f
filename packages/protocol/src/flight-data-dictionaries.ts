/**
 * Which dictionary batches an outgoing stream must send before a record batch.
 *
 * The encoder remembers, per dictionary id, the dictionary it sent last. For a new batch:
 * the same Vector -> nothing; a Vector that extends the sent one (its chunks start with
 * the sent chunks, as after `Vector.concat`, or, for dictionaries up to
 * {@link MAX_COMPARED_ENTRIES} entries, its first values equal the sent values) -> a delta
 * with the new entries; an equal one -> nothing; anything else -> a replacement.
 */

import { type Data, type DataType, Type, type Vector } from "apache-arrow";
import { FlightInvalidArgumentError } from "./flight-error.js";

/** Dictionaries longer than this are compared by chunk identity only, not value by value. */
export const MAX_COMPARED_ENTRIES = 65_536;

/** Dictionary batches to send for one id: the chunks of values and whether the first one is a delta. */
export interface DictionaryUpdate {
  readonly id: number;
  readonly isDelta: boolean;
  readonly chunks: readonly Data[];
}

/**
 * Collect the dictionaries used by `data` (typed by the stream schema's `type`, whose ids
 * win over the data's own type ids) into `found`, by id.
 * @throws FlightError INVALID_ARGUMENT when one id maps to two different dictionaries.
 */
export function collectDictionaries(type: DataType, data: Data, found: Map<number, Vector>): void {
  if (type.typeId === Type.Dictionary) {
    const id = (type as unknown as { readonly id: number }).id;
    const dictionary = data.dictionary;
    if (dictionary === undefined) throw new FlightInvalidArgumentError(`dictionary column ${id} has no dictionary`);
    const known = found.get(id);
    if (known !== undefined && known !== dictionary) {
      throw new FlightInvalidArgumentError(`dictionary id ${id} has two different dictionaries in one batch`);
    }
    found.set(id, dictionary);
    return;
  }
  const children = type.children;
  if (children === null || children === undefined) return;
  for (let i = 0; i < children.length; i++) {
    const child = data.children[i];
    if (child !== undefined) collectDictionaries(children[i]!.type, child, found);
  }
}

function valuesEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (a instanceof Uint8Array && b instanceof Uint8Array) {
    return a.length === b.length && a.every((v, i) => v === b[i]);
  }
  return false;
}

/** Tracks the dictionaries sent on one stream. */
export class DictionaryTracker {
  private readonly sent = new Map<number, Vector>();

  /** What to send so that the receiver's dictionary `id` equals `current`; undefined when it already does. */
  update(id: number, current: Vector): DictionaryUpdate | undefined {
    const previous = this.sent.get(id);
    if (previous === current) return undefined;
    this.sent.set(id, current);
    if (previous === undefined) return { id, isDelta: false, chunks: current.data };
    const shared = sharedChunks(previous, current);
    if (shared === previous.data.length) {
      return current.length === previous.length ? undefined : { id, isDelta: true, chunks: current.data.slice(shared) };
    }
    if (
      current.length >= previous.length &&
      previous.length <= MAX_COMPARED_ENTRIES &&
      prefixEqual(previous, current)
    ) {
      if (current.length === previous.length) return undefined;
      return { id, isDelta: true, chunks: current.slice(previous.length).data };
    }
    return { id, isDelta: false, chunks: current.data };
  }
}

function sharedChunks(previous: Vector, current: Vector): number {
  const a = previous.data;
  const b = current.data;
  let i = 0;
  while (i < a.length && i < b.length && a[i] === b[i]) i++;
  return i;
}

function prefixEqual(previous: Vector, current: Vector): boolean {
  const nested =
    previous.type.children !== null && previous.type.children !== undefined && previous.type.children.length > 0;
  if (nested) return false;
  for (let i = 0; i < previous.length; i++) {
    if (!valuesEqual(previous.get(i), current.get(i))) return false;
  }
  return true;
}
