/**
 * Errors across the worker-thread boundary: `{name, message, code, stack}` out, the
 * most specific class back in (FlightError by gRPC code, WorkerError by code, else
 * CpuTaskError carrying the original name and message).
 */
import { createFlightError, FlightError, type StatusCode } from "@flight-cluster/protocol";
import { CpuTaskError, type WorkerError, type WorkerErrorCode, workerErrorClasses } from "../worker-errors.js";
import type { SerializedError } from "./cpu-task.js";

/** Reduce anything thrown to a {@link SerializedError}. */
export function serializeError(error: unknown): SerializedError {
  if (error instanceof FlightError) {
    return { name: error.name, message: error.rawMessage, code: error.code, stack: error.stack };
  }
  if (error instanceof Error) {
    const code = (error as { code?: unknown }).code;
    return {
      name: error.name,
      message: error.message,
      code: typeof code === "string" || typeof code === "number" ? code : undefined,
      stack: error.stack,
    };
  }
  return { name: "Error", message: String(error), code: undefined, stack: undefined };
}

/** Rebuild an error received from a task; the thread's stack is kept as `cause`. */
export function deserializeError(error: SerializedError, task: string): Error {
  const cause = error.stack === undefined ? undefined : { threadStack: error.stack };
  if (typeof error.code === "number" && error.name.startsWith("Flight")) {
    return createFlightError(error.code as StatusCode, error.message, { cause });
  }
  if (typeof error.code === "string" && error.code in workerErrorClasses) {
    const Cls = workerErrorClasses[error.code as WorkerErrorCode];
    const rebuilt: WorkerError = new Cls(error.message);
    return rebuilt;
  }
  return new CpuTaskError(`${task} failed: ${error.name}: ${error.message}`, { cause });
}
