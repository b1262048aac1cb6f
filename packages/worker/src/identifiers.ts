/**
 * Validation of the identifiers a worker receives (shard ids, upload ids, dataset
 * names, versions), so that bad input fails with a message naming the problem and
 * nothing derived from it ever reaches a file path unchecked.
 */
import { WorkerInvalidArgumentError } from "./worker-errors.js";

const SHARD_ID = /^[A-Za-z0-9._:@-]{1,128}$/;
const UPLOAD_ID = /^[A-Za-z0-9_-]{1,128}$/;
const SEGMENT = /^[A-Za-z0-9._-]+$/;

function show(value: unknown): string {
  const text = typeof value === "string" ? value : String(JSON.stringify(value));
  return JSON.stringify(text.length > 80 ? `${text.slice(0, 80)}…` : text);
}

/**
 * A shard id: 1..128 characters of `[A-Za-z0-9._:@-]`, not `.` or `..` (it names a file).
 * @throws WorkerInvalidArgumentError otherwise.
 */
export function checkShardId(value: unknown): string {
  if (typeof value !== "string" || !SHARD_ID.test(value) || value === "." || value === "..") {
    throw new WorkerInvalidArgumentError(
      `invalid shard id ${show(value)}: expected 1-128 characters of [A-Za-z0-9._:@-], not '.' or '..'`,
    );
  }
  return value;
}

/**
 * An upload id: 1..128 characters of `[A-Za-z0-9_-]` (base64url).
 * @throws WorkerInvalidArgumentError otherwise.
 */
export function checkUploadId(value: unknown): string {
  if (typeof value !== "string" || !UPLOAD_ID.test(value)) {
    throw new WorkerInvalidArgumentError(
      `invalid upload id ${show(value)}: expected 1-128 characters of [A-Za-z0-9_-]`,
    );
  }
  return value;
}

/**
 * A dataset name: 1..200 characters of `[A-Za-z0-9._-]` in `/`-separated segments,
 * no empty, `.` or `..` segment (docs/architecture.md).
 * @throws WorkerInvalidArgumentError naming what is wrong.
 */
export function checkDatasetName(value: unknown): string {
  if (typeof value !== "string" || value.length === 0 || value.length > 200) {
    throw new WorkerInvalidArgumentError(`invalid dataset name ${show(value)}: expected 1-200 characters`);
  }
  for (const segment of value.split("/")) {
    if (segment === "" || segment === "." || segment === ".." || !SEGMENT.test(segment)) {
      throw new WorkerInvalidArgumentError(
        `invalid dataset name ${show(value)}: segments must be non-empty [A-Za-z0-9._-], not '.' or '..'`,
      );
    }
  }
  return value;
}

/**
 * A non-negative safe integer named `what` (at least `min`).
 * @throws WorkerInvalidArgumentError otherwise.
 */
export function checkInteger(value: unknown, what: string, min = 0): number {
  if (typeof value !== "number" || !Number.isSafeInteger(value) || value < min) {
    throw new WorkerInvalidArgumentError(`invalid ${what} ${show(value)}: expected an integer >= ${min}`);
  }
  return value;
}
