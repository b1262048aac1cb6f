/**
 * Internal errors of the worker.
 *
 * Every failure the worker raises on its own is a {@link WorkerError} with a stable
 * string `code` (listed in docs/errors.md, section "Worker") and `grpcCode`, the gRPC
 * status number the Flight edge answers with. Errors reaching a client are mapped in
 * one place, `worker-flight-error.ts`; internal causes go to the logs only.
 */

/** Stable codes of worker errors. Never renamed once published; see docs/errors.md. */
export const WorkerErrorCode = {
  /** Worker options are missing or out of range; the message names the option. */
  INVALID_OPTIONS: "WORKER_INVALID_OPTIONS",
  /** A shard id, dataset name or other identifier sent to the worker is malformed. */
  INVALID_ARGUMENT: "WORKER_INVALID_ARGUMENT",
  /** An incoming shard stream is not a valid Arrow IPC stream (bad message, schema change, size mismatch). */
  INVALID_STREAM: "WORKER_INVALID_STREAM",
  /** An incoming shard exceeds the worker's size limit for one shard. */
  SHARD_TOO_LARGE: "WORKER_SHARD_TOO_LARGE",
  /** The worker does not hold the shard asked for. */
  SHARD_NOT_HELD: "WORKER_SHARD_NOT_HELD",
  /** A shard with this id is already stored (or being stored) on this worker. */
  SHARD_EXISTS: "WORKER_SHARD_EXISTS",
  /** A stored shard file does not parse (truncated, overwritten, or not written by a worker). */
  SHARD_FILE_CORRUPT: "WORKER_SHARD_FILE_CORRUPT",
  /** `manifest.json` cannot be read or parsed; the worker refuses to start rather than forget shards. */
  MANIFEST_CORRUPT: "WORKER_MANIFEST_CORRUPT",
  /** A copied shard's digest differs from the digest the catalog records. */
  DIGEST_MISMATCH: "WORKER_DIGEST_MISMATCH",
  /** `shard.commit` names an upload still pending in the registry, or shards held for another dataset, version or upload. */
  COMMIT_REFUSED: "WORKER_COMMIT_REFUSED",
  /** A newer process registered with this worker id; this one is fenced and refuses writes. */
  FENCED: "WORKER_FENCED",
  /** The worker is draining or stopped and takes no new work. */
  NOT_SERVING: "WORKER_NOT_SERVING",
  /** A task in the CPU pool failed (the message carries the task's own error). */
  CPU_TASK_FAILED: "WORKER_CPU_TASK_FAILED",
  /** The CPU pool was closed. */
  CPU_POOL_CLOSED: "WORKER_CPU_POOL_CLOSED",
} as const;

/** A worker error code string. */
export type WorkerErrorCode = (typeof WorkerErrorCode)[keyof typeof WorkerErrorCode];

/** gRPC status numbers (fixed by the gRPC specification). */
const Grpc = {
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
} as const;

const grpcByCode: Readonly<Record<WorkerErrorCode, number>> = {
  WORKER_INVALID_OPTIONS: Grpc.INVALID_ARGUMENT,
  WORKER_INVALID_ARGUMENT: Grpc.INVALID_ARGUMENT,
  WORKER_INVALID_STREAM: Grpc.INVALID_ARGUMENT,
  WORKER_SHARD_TOO_LARGE: Grpc.RESOURCE_EXHAUSTED,
  WORKER_SHARD_NOT_HELD: Grpc.FAILED_PRECONDITION,
  WORKER_SHARD_EXISTS: Grpc.ALREADY_EXISTS,
  WORKER_SHARD_FILE_CORRUPT: Grpc.DATA_LOSS,
  WORKER_MANIFEST_CORRUPT: Grpc.DATA_LOSS,
  WORKER_DIGEST_MISMATCH: Grpc.DATA_LOSS,
  WORKER_COMMIT_REFUSED: Grpc.FAILED_PRECONDITION,
  WORKER_FENCED: Grpc.FAILED_PRECONDITION,
  WORKER_NOT_SERVING: Grpc.UNAVAILABLE,
  WORKER_CPU_TASK_FAILED: Grpc.INTERNAL,
  WORKER_CPU_POOL_CLOSED: Grpc.UNAVAILABLE,
};

const brand = Symbol.for("flight-cluster.WorkerError");

/** Options accepted by every worker error constructor. */
export interface WorkerErrorOptions {
  /** The underlying error (for logs; never sent to Flight clients). */
  readonly cause?: unknown;
}

/**
 * Base class of every worker error. `instanceof` holds across duplicate copies of the
 * package and for errors re-created from a worker thread, because it checks a
 * registered symbol and the `code`, not the prototype chain.
 */
export class WorkerError extends Error {
  /** Stable machine-readable code, e.g. `WORKER_SHARD_NOT_HELD`. */
  readonly code: WorkerErrorCode;
  /** The gRPC status number the Flight edge reports for this error. */
  readonly grpcCode: number;

  constructor(code: WorkerErrorCode, message: string, options: WorkerErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = grpcByCode[code];
    Object.defineProperty(this, brand, { value: true });
  }

  override get name(): string {
    return "WorkerError";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || !(brand in value)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    if (this === WorkerError) return true;
    // biome-ignore lint/complexity/noThisInStatic: as above.
    const expected = (this as unknown as { readonly code?: WorkerErrorCode }).code;
    return expected !== undefined && (value as unknown as WorkerError).code === expected;
  }
}

function subclass<N extends string>(name: N, code: WorkerErrorCode) {
  const Sub = class extends WorkerError {
    static readonly code = code;
    constructor(message: string, options: WorkerErrorOptions = {}) {
      super(code, message, options);
    }
    override get name(): string {
      return name;
    }
  };
  Object.defineProperty(Sub, "name", { value: name });
  return Sub;
}

/** `WORKER_INVALID_OPTIONS`: a worker option is missing or out of range. */
export const WorkerOptionsError = subclass("WorkerOptionsError", WorkerErrorCode.INVALID_OPTIONS);
export type WorkerOptionsError = InstanceType<typeof WorkerOptionsError>;
/** `WORKER_INVALID_ARGUMENT`: an identifier or request body is malformed. */
export const WorkerInvalidArgumentError = subclass("WorkerInvalidArgumentError", WorkerErrorCode.INVALID_ARGUMENT);
export type WorkerInvalidArgumentError = InstanceType<typeof WorkerInvalidArgumentError>;
/** `WORKER_INVALID_STREAM`: an incoming shard stream is not a valid Arrow IPC stream. */
export const InvalidShardStreamError = subclass("InvalidShardStreamError", WorkerErrorCode.INVALID_STREAM);
export type InvalidShardStreamError = InstanceType<typeof InvalidShardStreamError>;
/** `WORKER_SHARD_TOO_LARGE`: an incoming shard exceeds the per-shard size limit. */
export const ShardTooLargeError = subclass("ShardTooLargeError", WorkerErrorCode.SHARD_TOO_LARGE);
export type ShardTooLargeError = InstanceType<typeof ShardTooLargeError>;
/** `WORKER_SHARD_NOT_HELD`: the shard is not stored on this worker. */
export const ShardNotHeldError = subclass("ShardNotHeldError", WorkerErrorCode.SHARD_NOT_HELD);
export type ShardNotHeldError = InstanceType<typeof ShardNotHeldError>;
/** `WORKER_SHARD_EXISTS`: the shard id is already stored or being stored here. */
export const ShardExistsError = subclass("ShardExistsError", WorkerErrorCode.SHARD_EXISTS);
export type ShardExistsError = InstanceType<typeof ShardExistsError>;
/** `WORKER_SHARD_FILE_CORRUPT`: a shard file does not parse. */
export const ShardFileCorruptError = subclass("ShardFileCorruptError", WorkerErrorCode.SHARD_FILE_CORRUPT);
export type ShardFileCorruptError = InstanceType<typeof ShardFileCorruptError>;
/** `WORKER_MANIFEST_CORRUPT`: manifest.json cannot be read. */
export const ManifestCorruptError = subclass("ManifestCorruptError", WorkerErrorCode.MANIFEST_CORRUPT);
export type ManifestCorruptError = InstanceType<typeof ManifestCorruptError>;
/** `WORKER_DIGEST_MISMATCH`: a copied shard does not match the catalog's digest. */
export const DigestMismatchError = subclass("DigestMismatchError", WorkerErrorCode.DIGEST_MISMATCH);
export type DigestMismatchError = InstanceType<typeof DigestMismatchError>;
/** `WORKER_COMMIT_REFUSED`: a `shard.commit` notice contradicts the registry or the manifest; nothing was marked. */
export const ShardCommitRefusedError = subclass("ShardCommitRefusedError", WorkerErrorCode.COMMIT_REFUSED);
export type ShardCommitRefusedError = InstanceType<typeof ShardCommitRefusedError>;
/** `WORKER_FENCED`: a newer registration of this worker id exists. */
export const WorkerFencedError = subclass("WorkerFencedError", WorkerErrorCode.FENCED);
export type WorkerFencedError = InstanceType<typeof WorkerFencedError>;
/** `WORKER_NOT_SERVING`: the worker is draining or stopped. */
export const WorkerNotServingError = subclass("WorkerNotServingError", WorkerErrorCode.NOT_SERVING);
export type WorkerNotServingError = InstanceType<typeof WorkerNotServingError>;
/** `WORKER_CPU_TASK_FAILED`: a CPU pool task failed. */
export const CpuTaskError = subclass("CpuTaskError", WorkerErrorCode.CPU_TASK_FAILED);
export type CpuTaskError = InstanceType<typeof CpuTaskError>;
/** `WORKER_CPU_POOL_CLOSED`: the CPU pool was closed. */
export const CpuPoolClosedError = subclass("CpuPoolClosedError", WorkerErrorCode.CPU_POOL_CLOSED);
export type CpuPoolClosedError = InstanceType<typeof CpuPoolClosedError>;

/** Every worker error class, keyed by code (used by the docs completeness test). */
export const workerErrorClasses: Readonly<Record<WorkerErrorCode, new (message: string) => WorkerError>> = {
  WORKER_INVALID_OPTIONS: WorkerOptionsError,
  WORKER_INVALID_ARGUMENT: WorkerInvalidArgumentError,
  WORKER_INVALID_STREAM: InvalidShardStreamError,
  WORKER_SHARD_TOO_LARGE: ShardTooLargeError,
  WORKER_SHARD_NOT_HELD: ShardNotHeldError,
  WORKER_SHARD_EXISTS: ShardExistsError,
  WORKER_SHARD_FILE_CORRUPT: ShardFileCorruptError,
  WORKER_MANIFEST_CORRUPT: ManifestCorruptError,
  WORKER_DIGEST_MISMATCH: DigestMismatchError,
  WORKER_COMMIT_REFUSED: ShardCommitRefusedError,
  WORKER_FENCED: WorkerFencedError,
  WORKER_NOT_SERVING: WorkerNotServingError,
  WORKER_CPU_TASK_FAILED: CpuTaskError,
  WORKER_CPU_POOL_CLOSED: CpuPoolClosedError,
};
