/**
 * Copying Arrow buffers into an output body: bit ranges of bitmaps (re-aligned to bit 0)
 * and int32/int64 offsets (rebased to start at 0). Pure functions over typed arrays.
 */

const POPCOUNT = new Uint8Array(256).map((_, i) => {
  let n = 0;
  for (let v = i; v !== 0; v &= v - 1) n++;
  return n;
});

/** Number of set bits in bits [start, start + count) of `bitmap` (missing bytes count as 0). */
export function countSetBits(bitmap: Uint8Array, start: number, count: number): number {
  let set = 0;
  let i = start;
  const end = start + count;
  while (i < end && (i & 7) !== 0) {
    set += ((bitmap[i >> 3] ?? 0) >> (i & 7)) & 1;
    i++;
  }
  for (; i + 8 <= end; i += 8) set += POPCOUNT[bitmap[i >> 3] ?? 0]!;
  for (; i < end; i++) set += ((bitmap[i >> 3] ?? 0) >> (i & 7)) & 1;
  return set;
}

/** Copy `count` bits from `src` at bit `start` to byte `pos` of `out` (bit 0), zeroing trailing bits. */
export function copyBits(src: Uint8Array, start: number, count: number, out: Uint8Array, pos: number): void {
  const bytes = (count + 7) >> 3;
  const first = start >> 3;
  const shift = start & 7;
  if (shift === 0) {
    const available = Math.max(0, Math.min(bytes, src.length - first));
    out.set(src.subarray(first, first + available), pos);
    out.fill(0, pos + available, pos + bytes);
  } else {
    for (let i = 0; i < bytes; i++) {
      const low = src[first + i] ?? 0;
      const high = src[first + i + 1] ?? 0;
      out[pos + i] = ((low >> shift) | (high << (8 - shift))) & 0xff;
    }
  }
  const tail = count & 7;
  if (tail !== 0) out[pos + bytes - 1]! &= (1 << tail) - 1;
}

/** `values[index]` as a number (0 when absent). */
export function int64At(values: BigInt64Array | undefined, index: number): number {
  const v = values?.[index];
  return v === undefined ? 0 : Number(v);
}

/** Write `count` int32 offsets from `src` at index `start`, minus the first, at byte `at` of `out` (4-aligned). */
export function writeOffsets32(
  src: Int32Array | undefined,
  start: number,
  count: number,
  out: Uint8Array,
  at: number,
): void {
  const dst = new Int32Array(out.buffer, out.byteOffset + at, count);
  if (src === undefined || start + count > src.length) {
    const base = src?.[start] ?? 0;
    for (let j = 0; j < count; j++) dst[j] = (src?.[start + j] ?? base) - base;
    return;
  }
  const base = src[start]!;
  if (base === 0) {
    dst.set(src.subarray(start, start + count));
    return;
  }
  for (let j = 0; j < count; j++) dst[j] = src[start + j]! - base;
}

/** Write `count` int64 offsets from `src` at index `start`, minus the first, at byte `at` of `out` (8-aligned). */
export function writeOffsets64(
  src: BigInt64Array | undefined,
  start: number,
  count: number,
  out: Uint8Array,
  at: number,
): void {
  const dst = new Uint32Array(out.buffer, out.byteOffset + at, 2 * count);
  if (src === undefined || start + count > src.length) {
    const base = int64At(src, start);
    for (let j = 0; j < count; j++) {
      const v = (src?.[start + j] === undefined ? base : int64At(src, start + j)) - base;
      dst[2 * j] = v >>> 0;
      dst[2 * j + 1] = Math.floor(v / 2 ** 32);
    }
    return;
  }
  // Read the 64-bit offsets as (low, high) words to avoid a BigInt per value.
  const words = new Uint32Array(src.buffer, src.byteOffset + 8 * start, 2 * count);
  const base = words[0]! + words[1]! * 2 ** 32;
  for (let j = 0; j < count; j++) {
    const v = words[2 * j]! + words[2 * j + 1]! * 2 ** 32 - base;
    dst[2 * j] = v >>> 0;
    dst[2 * j + 1] = Math.floor(v / 2 ** 32);
  }
}
