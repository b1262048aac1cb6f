/**
 * Errors raised by the registry.
 *
 * Every failure is a {@link RegistryError} with a stable string `code`
 * (listed in docs/errors.md) and `grpcCode`, the gRPC status number a Flight
 * server should answer with when the error reaches a client. The registry does
 * not depend on the protocol package, so it only carries the number; planner and
 * worker turn it into a FlightError at their edge.
 */

/** Stable codes of registry errors. Never renamed once published; see docs/errors.md. */
export const RegistryErrorCode = {
  /** An argument is malformed (bad name, negative TTL, duplicate shard index, ...). */
  INVALID_ARGUMENT: "REGISTRY_INVALID_ARGUMENT",
  /** A newer registration of the same worker id exists; the caller is a stale process. */
  STALE_EPOCH: "REGISTRY_STALE_EPOCH",
  /** The worker has no live registration (never registered, expired, deregistered, or data lost). */
  WORKER_NOT_REGISTERED: "REGISTRY_WORKER_NOT_REGISTERED",
  /** No pending upload has this id (never begun, committed, aborted or cleaned up). */
  UPLOAD_NOT_FOUND: "REGISTRY_UPLOAD_NOT_FOUND",
  /** The pending upload outlived its TTL and can no longer be committed. */
  UPLOAD_EXPIRED: "REGISTRY_UPLOAD_EXPIRED",
  /** A newer version of the dataset was committed first; committing this one would go back in time. */
  VERSION_SUPERSEDED: "REGISTRY_VERSION_SUPERSEDED",
  /** A shard id in the commit already belongs to another committed dataset version. */
  SHARD_CONFLICT: "REGISTRY_SHARD_CONFLICT",
  /** No committed shard has this id. */
  SHARD_NOT_FOUND: "REGISTRY_SHARD_NOT_FOUND",
  /** No live ticket has this id (unknown, expired or cancelled). */
  TICKET_NOT_FOUND: "REGISTRY_TICKET_NOT_FOUND",
  /** The lock lease lapsed or another holder took the lock. */
  LOCK_LOST: "REGISTRY_LOCK_LOST",
  /** The backing store cannot be reached or timed out. */
  UNAVAILABLE: "REGISTRY_UNAVAILABLE",
  /** A stored record could not be decoded (written by an incompatible version, or tampered with). */
  CORRUPT: "REGISTRY_CORRUPT",
  /** The registry was closed. */
  CLOSED: "REGISTRY_CLOSED",
  /** The caller's AbortSignal fired before the operation finished. */
  ABORTED: "REGISTRY_ABORTED",
} as const;

/** A registry error code string. */
export type RegistryErrorCode = (typeof RegistryErrorCode)[keyof typeof RegistryErrorCode];

/** gRPC status numbers used by {@link RegistryError.grpcCode} (fixed by the gRPC specification). */
const Grpc = {
  CANCELLED: 1,
  INVALID_ARGUMENT: 3,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  INTERNAL: 13,
  UNAVAILABLE: 14,
} as const;

const grpcByCode: Readonly<Record<RegistryErrorCode, number>> = {
  REGISTRY_INVALID_ARGUMENT: Grpc.INVALID_ARGUMENT,
  REGISTRY_STALE_EPOCH: Grpc.FAILED_PRECONDITION,
  REGISTRY_WORKER_NOT_REGISTERED: Grpc.FAILED_PRECONDITION,
  REGISTRY_UPLOAD_NOT_FOUND: Grpc.NOT_FOUND,
  REGISTRY_UPLOAD_EXPIRED: Grpc.FAILED_PRECONDITION,
  REGISTRY_VERSION_SUPERSEDED: Grpc.ABORTED,
  REGISTRY_SHARD_CONFLICT: Grpc.ALREADY_EXISTS,
  REGISTRY_SHARD_NOT_FOUND: Grpc.NOT_FOUND,
  REGISTRY_TICKET_NOT_FOUND: Grpc.NOT_FOUND,
  REGISTRY_LOCK_LOST: Grpc.FAILED_PRECONDITION,
  REGISTRY_UNAVAILABLE: Grpc.UNAVAILABLE,
  REGISTRY_CORRUPT: Grpc.INTERNAL,
  REGISTRY_CLOSED: Grpc.UNAVAILABLE,
  REGISTRY_ABORTED: Grpc.CANCELLED,
};

const brand = Symbol.for("flight-cluster.RegistryError");

/** Options accepted by every registry error constructor. */
export interface RegistryErrorOptions {
  /** The underlying error (for logs; never sent to Flight clients). */
  readonly cause?: unknown;
}

/**
 * Base class of every registry error.
 *
 * `instanceof RegistryError` (and of each subclass) holds across duplicate copies
 * of this package because it checks a registered symbol and the `code`, not the
 * prototype chain.
 */
export class RegistryError extends Error {
  /** Stable machine-readable code, e.g. `REGISTRY_STALE_EPOCH`. */
  readonly code: RegistryErrorCode;
  /** The gRPC status number a Flight server should report for this error. */
  readonly grpcCode: number;

  constructor(code: RegistryErrorCode, message: string, options: RegistryErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.grpcCode = grpcByCode[code];
    Object.defineProperty(this, brand, { value: true });
  }

  override get name(): string {
    return "RegistryError";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || !(brand in value)) return false;
    // biome-ignore lint/complexity/noThisInStatic: `this` is the class being tested against.
    if (this === RegistryError) return true;
    // biome-ignore lint/complexity/noThisInStatic: as above.
    const expected = (this as unknown as { readonly code?: RegistryErrorCode }).code;
    return expected !== undefined && (value as unknown as RegistryError).code === expected;
  }
}

/** Declares a subclass bound to one code. */
function subclass<N extends string>(name: N, code: RegistryErrorCode) {
  const Sub = class extends RegistryError {
    static readonly code = code;
    constructor(message: string, options: RegistryErrorOptions = {}) {
      super(code, message, options);
    }
    override get name(): string {
      return name;
    }
  };
  Object.defineProperty(Sub, "name", { value: name });
  return Sub;
}

/** `REGISTRY_INVALID_ARGUMENT`: an argument is malformed; the message names it. */
export const RegistryInvalidArgumentError = subclass(
  "RegistryInvalidArgumentError",
  RegistryErrorCode.INVALID_ARGUMENT,
);
export type RegistryInvalidArgumentError = InstanceType<typeof RegistryInvalidArgumentError>;

/**
 * `REGISTRY_STALE_EPOCH`: the worker id was registered again with a newer epoch, so
 * this caller is a stale process and must stop acting for that id.
 */
export const StaleEpochError = subclass("StaleEpochError", RegistryErrorCode.STALE_EPOCH);
export type StaleEpochError = InstanceType<typeof StaleEpochError>;

/**
 * `REGISTRY_WORKER_NOT_REGISTERED`: the worker has no live registration (its TTL
 * ran out, it deregistered, it never registered, or the store lost its data).
 * The worker must call `registerWorker` again (getting a new epoch) and re-announce its shards.
 */
export const WorkerNotRegisteredError = subclass("WorkerNotRegisteredError", RegistryErrorCode.WORKER_NOT_REGISTERED);
export type WorkerNotRegisteredError = InstanceType<typeof WorkerNotRegisteredError>;

/** `REGISTRY_UPLOAD_NOT_FOUND`: no pending upload has this id. */
export const UploadNotFoundError = subclass("UploadNotFoundError", RegistryErrorCode.UPLOAD_NOT_FOUND);
export type UploadNotFoundError = InstanceType<typeof UploadNotFoundError>;

/** `REGISTRY_UPLOAD_EXPIRED`: the pending upload outlived its TTL; abort it and start again. */
export const UploadExpiredError = subclass("UploadExpiredError", RegistryErrorCode.UPLOAD_EXPIRED);
export type UploadExpiredError = InstanceType<typeof UploadExpiredError>;

/** `REGISTRY_VERSION_SUPERSEDED`: a newer version of the dataset was committed before this one. */
export const VersionSupersededError = subclass("VersionSupersededError", RegistryErrorCode.VERSION_SUPERSEDED);
export type VersionSupersededError = InstanceType<typeof VersionSupersededError>;

/** `REGISTRY_SHARD_CONFLICT`: a shard id is already used by a committed dataset version. */
export const ShardConflictError = subclass("ShardConflictError", RegistryErrorCode.SHARD_CONFLICT);
export type ShardConflictError = InstanceType<typeof ShardConflictError>;

/** `REGISTRY_SHARD_NOT_FOUND`: no committed shard has this id. */
export const ShardNotFoundError = subclass("ShardNotFoundError", RegistryErrorCode.SHARD_NOT_FOUND);
export type ShardNotFoundError = InstanceType<typeof ShardNotFoundError>;

/** `REGISTRY_TICKET_NOT_FOUND`: no live ticket has this id (unknown, expired or cancelled). */
export const TicketNotFoundError = subclass("TicketNotFoundError", RegistryErrorCode.TICKET_NOT_FOUND);
export type TicketNotFoundError = InstanceType<typeof TicketNotFoundError>;

/** `REGISTRY_LOCK_LOST`: the lock lease lapsed or another holder took the lock; stop the guarded work. */
export const LockLostError = subclass("LockLostError", RegistryErrorCode.LOCK_LOST);
export type LockLostError = InstanceType<typeof LockLostError>;

/** `REGISTRY_UNAVAILABLE`: the backing store cannot be reached or did not answer in time. */
export const RegistryUnavailableError = subclass("RegistryUnavailableError", RegistryErrorCode.UNAVAILABLE);
export type RegistryUnavailableError = InstanceType<typeof RegistryUnavailableError>;

/** `REGISTRY_CORRUPT`: a stored record could not be decoded. */
export const RegistryCorruptError = subclass("RegistryCorruptError", RegistryErrorCode.CORRUPT);
export type RegistryCorruptError = InstanceType<typeof RegistryCorruptError>;

/** `REGISTRY_CLOSED`: the registry was used after `close()`. */
export const RegistryClosedError = subclass("RegistryClosedError", RegistryErrorCode.CLOSED);
export type RegistryClosedError = InstanceType<typeof RegistryClosedError>;

/** `REGISTRY_ABORTED`: the caller's AbortSignal fired before the operation finished. */
export const RegistryAbortedError = subclass("RegistryAbortedError", RegistryErrorCode.ABORTED);
export type RegistryAbortedError = InstanceType<typeof RegistryAbortedError>;

/** Every registry error class, keyed by code (used by the docs completeness test). */
export const registryErrorClasses: Readonly<Record<RegistryErrorCode, new (message: string) => RegistryError>> = {
  REGISTRY_INVALID_ARGUMENT: RegistryInvalidArgumentError,
  REGISTRY_STALE_EPOCH: StaleEpochError,
  REGISTRY_WORKER_NOT_REGISTERED: WorkerNotRegisteredError,
  REGISTRY_UPLOAD_NOT_FOUND: UploadNotFoundError,
  REGISTRY_UPLOAD_EXPIRED: UploadExpiredError,
  REGISTRY_VERSION_SUPERSEDED: VersionSupersededError,
  REGISTRY_SHARD_CONFLICT: ShardConflictError,
  REGISTRY_SHARD_NOT_FOUND: ShardNotFoundError,
  REGISTRY_TICKET_NOT_FOUND: TicketNotFoundError,
  REGISTRY_LOCK_LOST: LockLostError,
  REGISTRY_UNAVAILABLE: RegistryUnavailableError,
  REGISTRY_CORRUPT: RegistryCorruptError,
  REGISTRY_CLOSED: RegistryClosedError,
  REGISTRY_ABORTED: RegistryAbortedError,
};
