/**
 * Parsing and answering the JSON bodies of the worker's actions (`shard.delete`,
 * `shard.copy_from`, `shard.commit`): size-limited, strict UTF-8, a JSON object, and
 * field checks whose WorkerInvalidArgumentError becomes INVALID_ARGUMENT naming the action.
 */
import { type Action, FlightInvalidArgumentError, type Result } from "@flight-cluster/protocol";
import { WorkerInvalidArgumentError } from "./worker-errors.js";

const utf8 = new TextEncoder();

/** One action result whose body is `value` as UTF-8 JSON. */
export function jsonResult(value: unknown): Result {
  return { body: utf8.encode(JSON.stringify(value)) };
}

/**
 * The action's body as a JSON object.
 * @param maxBytes largest body accepted, in bytes.
 * @throws FlightInvalidArgumentError when the body is too large, not UTF-8 JSON, or not an object.
 */
export function parseActionBody(action: Action, maxBytes: number): Record<string, unknown> {
  if (action.body.byteLength > maxBytes) {
    throw new FlightInvalidArgumentError(`${action.type} body of ${action.body.byteLength} bytes exceeds ${maxBytes}`);
  }
  let value: unknown;
  try {
    value = JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(action.body));
  } catch {
    throw new FlightInvalidArgumentError(`${action.type} body is not JSON`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw new FlightInvalidArgumentError(`${action.type} body must be a JSON object`);
  }
  return value as Record<string, unknown>;
}

/**
 * Run one field check of action `actionType`.
 * @throws FlightInvalidArgumentError `<actionType>: <problem>` when the check throws
 *   WorkerInvalidArgumentError; other errors pass through.
 */
export function checkField<T>(actionType: string, check: () => T): T {
  try {
    return check();
  } catch (error) {
    if (error instanceof WorkerInvalidArgumentError)
      throw new FlightInvalidArgumentError(`${actionType}: ${error.message}`);
    throw error;
  }
}
