/**
 * Cutting an incoming record-batch stream into shards of a target size.
 *
 * Size is counted in Arrow body bytes (the IPC message bodies as received). Batches
 * are never split to fill a shard: a batch that would overflow the current shard
 * starts the next one. Only a batch larger than a whole shard is sliced by rows into
 * pieces of about the target size. So shards hold at most the target, except when a
 * single row is larger than the target.
 *
 * A batch that needs no slicing is forwarded as its original FlightData frame (no
 * re-encoding, no copy) when the frame is within the message limit and the stream
 * has no dictionaries; otherwise it is handed back for re-encoding by the shard's
 * FlightDataEncoder, which slices under the message limit and emits dictionaries
 * before the batches that use them.
 */
import type { FlightDataFrame } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";

/** One instruction for the shard being written. */
export type CutStep =
  /** Forward this frame as is. */
  | { readonly kind: "frame"; readonly frame: FlightDataFrame; readonly rows: number }
  /** Encode this batch (or slice) with the shard's encoder. */
  | { readonly kind: "batch"; readonly batch: RecordBatch; readonly rows: number }
  /** Close the current shard; what follows goes to a new shard. */
  | { readonly kind: "break" };

/** Options of {@link ShardCutter}. */
export interface ShardCutterOptions {
  /** Target shard size in Arrow body bytes (> 0). */
  readonly targetBytes: number;
  /** Largest FlightData message that may be forwarded unchanged, in bytes. */
  readonly maxMessageBytes: number;
  /** False when the stream has dictionary-encoded fields: every batch is then re-encoded. */
  readonly forwardFrames: boolean;
}

/** Room for the protobuf tags, lengths and alignment padding around header and body. */
const FRAME_OVERHEAD_BYTES = 64;

/** Decides where shard boundaries fall. Stateful: one per upload. */
export class ShardCutter {
  readonly #options: ShardCutterOptions;
  #currentBytes = 0;
  #currentHasBatches = false;

  constructor(options: ShardCutterOptions) {
    if (!(options.targetBytes > 0)) throw new RangeError(`targetBytes must be > 0, got ${options.targetBytes}`);
    this.#options = options;
  }

  /** Body bytes counted into the current shard so far. */
  get currentBytes(): number {
    return this.#currentBytes;
  }

  /**
   * Steps for one decoded record batch that arrived as `frame`.
   * A "break" is only ever emitted between batches, never first or last in an upload.
   */
  batch(batch: RecordBatch, frame: FlightDataFrame): CutStep[] {
    const { targetBytes, maxMessageBytes, forwardFrames } = this.#options;
    const size = frame.body.byteLength;
    const rows = batch.numRows;
    const steps: CutStep[] = [];
    const startShard = (): void => {
      if (this.#currentHasBatches) steps.push({ kind: "break" });
      this.#currentBytes = 0;
      this.#currentHasBatches = false;
    };
    if (size <= targetBytes || rows <= 1) {
      if (this.#currentHasBatches && this.#currentBytes + size > targetBytes) startShard();
      const fits = forwardFrames && frame.header.byteLength + size + FRAME_OVERHEAD_BYTES <= maxMessageBytes;
      steps.push(fits ? { kind: "frame", frame, rows } : { kind: "batch", batch, rows });
      this.#currentBytes += size;
      this.#currentHasBatches = true;
      return steps;
    }
    const pieces = Math.min(rows, Math.ceil(size / targetBytes));
    const rowsPerPiece = Math.ceil(rows / pieces);
    for (let start = 0; start < rows; start += rowsPerPiece) {
      startShard();
      const end = Math.min(rows, start + rowsPerPiece);
      steps.push({ kind: "batch", batch: batch.slice(start, end), rows: end - start });
      this.#currentBytes = Math.ceil((size * (end - start)) / rows);
      this.#currentHasBatches = true;
    }
    return steps;
  }
}
