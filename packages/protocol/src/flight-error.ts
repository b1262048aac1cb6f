/**
 * The one error type that crosses the wire.
 *
 * Every failure a Flight call can report is a {@link FlightError} carrying a gRPC
 * status code. Subclasses exist for the codes that pyarrow maps to its own
 * exception classes, so a Python user calling our server sees the exception they
 * expect, and a TypeScript user calling any server can `catch` by class.
 *
 * This file knows nothing of grpc-js: the codes are the numbers of the gRPC
 * specification. The mapping to and from grpc-js status objects lives in the
 * grpc adapter.
 */

/** gRPC status codes (numbers fixed by the gRPC specification). */
export const StatusCode = {
  OK: 0,
  CANCELLED: 1,
  UNKNOWN: 2,
  INVALID_ARGUMENT: 3,
  DEADLINE_EXCEEDED: 4,
  NOT_FOUND: 5,
  ALREADY_EXISTS: 6,
  PERMISSION_DENIED: 7,
  RESOURCE_EXHAUSTED: 8,
  FAILED_PRECONDITION: 9,
  ABORTED: 10,
  OUT_OF_RANGE: 11,
  UNIMPLEMENTED: 12,
  INTERNAL: 13,
  UNAVAILABLE: 14,
  DATA_LOSS: 15,
  UNAUTHENTICATED: 16,
} as const;

/** A gRPC status code number. */
export type StatusCode = (typeof StatusCode)[keyof typeof StatusCode];

const codeNames = new Map<number, string>(Object.entries(StatusCode).map(([name, code]) => [code, name]));

/** The name of a status code (`"NOT_FOUND"`), or `"CODE_<n>"` for numbers outside the spec. */
export function statusCodeName(code: number): string {
  return codeNames.get(code) ?? `CODE_${code}`;
}

/** Metadata attached to an error: header/trailer name to value(s). Binary keys end in `-bin`. */
export type ErrorMetadata = Readonly<Record<string, string | Uint8Array | ReadonlyArray<string | Uint8Array>>>;

/** Options for constructing a {@link FlightError}. */
export interface FlightErrorOptions {
  /** Trailers to send with (or received with) the error. */
  readonly metadata?: ErrorMetadata;
  /** The underlying error. Logged by servers, never sent to clients. */
  readonly cause?: unknown;
}

const brand = Symbol.for("flight-cluster.FlightError");

/**
 * A failed Flight call, with the gRPC status `code` it travels as.
 *
 * `instanceof FlightError` holds for errors created by another copy of this
 * package (duplicate installs, worker threads re-hydrating an error) because it
 * checks a registered symbol rather than the prototype chain.
 */
export class FlightError extends Error {
  /** The gRPC status code. */
  readonly code: StatusCode;
  /** Trailers sent or received with the error. */
  readonly metadata: ErrorMetadata;
  /** The message without the `[CODE]` prefix. */
  readonly rawMessage: string;

  constructor(code: StatusCode, message: string, options: FlightErrorOptions = {}) {
    super(`[${statusCodeName(code)}] ${message}`, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.rawMessage = message;
    this.metadata = options.metadata ?? {};
    Object.defineProperty(this, brand, { value: true });
  }

  override get name(): string {
    return "FlightError";
  }

  static override [Symbol.hasInstance](value: unknown): boolean {
    if (typeof value !== "object" || value === null || !(brand in value)) return false;
    // `FlightError` itself matches every branded error; subclasses match their own code.
    // biome-ignore lint/complexity/noThisInStatic: `this` is the subclass being tested against.
    if (this === FlightError) return true;
    // biome-ignore lint/complexity/noThisInStatic: as above.
    const expected = (this as unknown as { readonly statusCode?: StatusCode }).statusCode;
    return expected !== undefined && (value as unknown as FlightError).code === expected;
  }

  /**
   * Turn anything thrown into a FlightError. FlightErrors pass through;
   * `AbortError`s become CANCELLED; anything else becomes INTERNAL with a
   * generic message (the original is kept as `cause` for logs only).
   */
  static from(value: unknown, fallbackCode: StatusCode = StatusCode.INTERNAL): FlightError {
    if (value instanceof FlightError) return value;
    if (value instanceof Error && (value.name === "AbortError" || value.name === "TimeoutError")) {
      const code = value.name === "TimeoutError" ? StatusCode.DEADLINE_EXCEEDED : StatusCode.CANCELLED;
      return createFlightError(code, value.message || "operation aborted", { cause: value });
    }
    const message = fallbackCode === StatusCode.INTERNAL ? "internal error" : String(value);
    return createFlightError(fallbackCode, message, { cause: value });
  }
}

/** Declares a subclass bound to one status code. */
function subclass<N extends string>(name: N, code: StatusCode) {
  const Sub = class extends FlightError {
    static readonly statusCode = code;
    constructor(message: string, options: FlightErrorOptions = {}) {
      super(code, message, options);
    }
    override get name(): string {
      return name;
    }
  };
  Object.defineProperty(Sub, "name", { value: name });
  return Sub;
}

/** CANCELLED: the call was cancelled (pyarrow: `FlightCancelledError`). */
export const FlightCancelledError = subclass("FlightCancelledError", StatusCode.CANCELLED);
export type FlightCancelledError = InstanceType<typeof FlightCancelledError>;
/** DEADLINE_EXCEEDED: the deadline passed (pyarrow: `FlightTimedOutError`). */
export const FlightTimedOutError = subclass("FlightTimedOutError", StatusCode.DEADLINE_EXCEEDED);
export type FlightTimedOutError = InstanceType<typeof FlightTimedOutError>;
/** UNAVAILABLE: the server could not be reached or is draining (pyarrow: `FlightUnavailableError`). */
export const FlightUnavailableError = subclass("FlightUnavailableError", StatusCode.UNAVAILABLE);
export type FlightUnavailableError = InstanceType<typeof FlightUnavailableError>;
/** UNAUTHENTICATED: no or bad credentials (pyarrow: `FlightUnauthenticatedError`). */
export const FlightUnauthenticatedError = subclass("FlightUnauthenticatedError", StatusCode.UNAUTHENTICATED);
export type FlightUnauthenticatedError = InstanceType<typeof FlightUnauthenticatedError>;
/** PERMISSION_DENIED: authenticated but not allowed (pyarrow: `FlightUnauthorizedError`). */
export const FlightUnauthorizedError = subclass("FlightUnauthorizedError", StatusCode.PERMISSION_DENIED);
export type FlightUnauthorizedError = InstanceType<typeof FlightUnauthorizedError>;
/** INTERNAL: a bug or unexpected failure on the server (pyarrow: `FlightInternalError`). */
export const FlightInternalError = subclass("FlightInternalError", StatusCode.INTERNAL);
export type FlightInternalError = InstanceType<typeof FlightInternalError>;
/** INVALID_ARGUMENT: the request is malformed (pyarrow: `ArrowInvalid`). */
export const FlightInvalidArgumentError = subclass("FlightInvalidArgumentError", StatusCode.INVALID_ARGUMENT);
export type FlightInvalidArgumentError = InstanceType<typeof FlightInvalidArgumentError>;
/** NOT_FOUND: the named thing does not exist (pyarrow: `KeyError`/`ArrowKeyError`). */
export const FlightNotFoundError = subclass("FlightNotFoundError", StatusCode.NOT_FOUND);
export type FlightNotFoundError = InstanceType<typeof FlightNotFoundError>;
/** ALREADY_EXISTS: the thing to create exists already. */
export const FlightAlreadyExistsError = subclass("FlightAlreadyExistsError", StatusCode.ALREADY_EXISTS);
export type FlightAlreadyExistsError = InstanceType<typeof FlightAlreadyExistsError>;
/** UNIMPLEMENTED: the server does not offer this RPC or action (pyarrow: `NotImplementedError`). */
export const FlightUnimplementedError = subclass("FlightUnimplementedError", StatusCode.UNIMPLEMENTED);
export type FlightUnimplementedError = InstanceType<typeof FlightUnimplementedError>;
/** RESOURCE_EXHAUSTED: a size or rate limit was exceeded. */
export const FlightResourceExhaustedError = subclass("FlightResourceExhaustedError", StatusCode.RESOURCE_EXHAUSTED);
export type FlightResourceExhaustedError = InstanceType<typeof FlightResourceExhaustedError>;
/** FAILED_PRECONDITION: the system is not in a state to perform the call. */
export const FlightFailedPreconditionError = subclass("FlightFailedPreconditionError", StatusCode.FAILED_PRECONDITION);
export type FlightFailedPreconditionError = InstanceType<typeof FlightFailedPreconditionError>;

const classByCode = new Map<number, new (message: string, options?: FlightErrorOptions) => FlightError>([
  [StatusCode.CANCELLED, FlightCancelledError],
  [StatusCode.DEADLINE_EXCEEDED, FlightTimedOutError],
  [StatusCode.UNAVAILABLE, FlightUnavailableError],
  [StatusCode.UNAUTHENTICATED, FlightUnauthenticatedError],
  [StatusCode.PERMISSION_DENIED, FlightUnauthorizedError],
  [StatusCode.INTERNAL, FlightInternalError],
  [StatusCode.INVALID_ARGUMENT, FlightInvalidArgumentError],
  [StatusCode.NOT_FOUND, FlightNotFoundError],
  [StatusCode.ALREADY_EXISTS, FlightAlreadyExistsError],
  [StatusCode.UNIMPLEMENTED, FlightUnimplementedError],
  [StatusCode.RESOURCE_EXHAUSTED, FlightResourceExhaustedError],
  [StatusCode.FAILED_PRECONDITION, FlightFailedPreconditionError],
]);

/**
 * Create the most specific FlightError for `code`: a subclass where one exists,
 * else a plain FlightError. Use this when rebuilding errors received from the wire.
 */
export function createFlightError(code: StatusCode, message: string, options: FlightErrorOptions = {}): FlightError {
  const Cls = classByCode.get(code);
  return Cls ? new Cls(message, options) : new FlightError(code, message, options);
}
