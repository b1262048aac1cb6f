/**
 * Where a parallel upload's shard boundaries fall. The rule is the cluster's (the same
 * one the planner applies to a DoPut through it, docs/client.md "Cutting shards"), so the
 * same input gives the same shards, byte for byte, whichever path uploads it:
 *
 * - sizes are counted in Arrow body bytes of the record batch messages as encoded for the
 *   wire (batches already sliced under the message limit);
 * - a message that would take the current shard past the target starts the next shard;
 *   messages are never split to fill a shard;
 * - a message larger than the target on its own (and with more than one row) is sliced
 *   by rows into `ceil(size / target)` pieces of `ceil(rows / pieces)` rows, each starting
 *   a shard and counted as its share of the message's bytes;
 * - a message is sent unchanged when the stream has no dictionaries and it fits the
 *   message limit with 64 bytes to spare; otherwise its batch is re-encoded by the shard's
 *   own encoder (which sends the dictionaries each shard needs).
 */
import type { FlightDataFrame } from "@flight-cluster/protocol";
import type { RecordBatch } from "apache-arrow";

/** What to do with one piece of input. */
export type UploadStep =
  /** Send this message as it is. */
  | { readonly kind: "frame"; readonly frame: FlightDataFrame; readonly rows: number }
  /** Encode this batch with the shard's encoder. */
  | { readonly kind: "batch"; readonly batch: RecordBatch; readonly rows: number }
  /** The current shard is complete; what follows goes to the next one. */
  | { readonly kind: "break" };

/** Options of {@link UploadCutter}. */
export interface UploadCutterOptions {
  /** Target shard size, Arrow body bytes (> 0). */
  readonly targetBytes: number;
  /** Message limit, bytes. */
  readonly maxMessageBytes: number;
  /** False when the schema has dictionary-encoded fields. */
  readonly forwardFrames: boolean;
}

/** Bytes left for protobuf framing and padding around a forwarded message. */
const FRAMING_SLACK = 64;

/** Cuts one upload into shards. Stateful. */
export class UploadCutter {
  readonly #target: number;
  readonly #maxMessageBytes: number;
  readonly #forwardFrames: boolean;
  #bytes = 0;
  #nonEmpty = false;

  constructor(options: UploadCutterOptions) {
    if (!(options.targetBytes > 0)) throw new RangeError(`targetBytes must be > 0, got ${options.targetBytes}`);
    this.#target = options.targetBytes;
    this.#maxMessageBytes = options.maxMessageBytes;
    this.#forwardFrames = options.forwardFrames;
  }

  /** Steps for one record batch message (`batch` decoded from `frame`). Never starts or ends with a break. */
  next(batch: RecordBatch, frame: FlightDataFrame): UploadStep[] {
    const size = frame.body.byteLength;
    const rows = batch.numRows;
    const out: UploadStep[] = [];
    if (size > this.#target && rows > 1) {
      const pieces = Math.min(rows, Math.ceil(size / this.#target));
      const perPiece = Math.ceil(rows / pieces);
      for (let start = 0; start < rows; start += perPiece) {
        const end = Math.min(rows, start + perPiece);
        this.#newShard(out);
        out.push({ kind: "batch", batch: batch.slice(start, end), rows: end - start });
        this.#bytes = Math.ceil((size * (end - start)) / rows);
        this.#nonEmpty = true;
      }
      return out;
    }
    if (this.#nonEmpty && this.#bytes + size > this.#target) this.#newShard(out);
    const unchanged = this.#forwardFrames && frame.header.byteLength + size + FRAMING_SLACK <= this.#maxMessageBytes;
    out.push(unchanged ? { kind: "frame", frame, rows } : { kind: "batch", batch, rows });
    this.#bytes += size;
    this.#nonEmpty = true;
    return out;
  }

  #newShard(out: UploadStep[]): void {
    if (this.#nonEmpty) out.push({ kind: "break" });
    this.#bytes = 0;
    this.#nonEmpty = false;
  }
}
