/**
 * Descriptors the planner understands (docs/architecture.md):
 * - `PATH [dataset]`: the whole dataset. Several path components are joined with `/`,
 *   so `for_path("events", "2026")` and `for_path("events/2026")` name the same dataset.
 * - `CMD` with a UTF-8 JSON object `{"dataset": "sales", "columns": ["id", "amount"]}`:
 *   a projection. `columns` is optional; unknown fields are rejected.
 *
 * Parsing is strict and bounded: the descriptor's size is checked before anything
 * else, so a huge descriptor costs nothing but the check.
 */
import type { FlightDescriptor } from "@flight-cluster/protocol";
import { quoteForMessage, validateDatasetName } from "./dataset-name.js";
import { PlannerError } from "./planner-error.js";

/** Default limit for one descriptor (CMD bytes, or the UTF-8 bytes of all PATH components): 64 KiB. */
export const DEFAULT_MAX_DESCRIPTOR_BYTES = 64 * 1024;

/** What a descriptor asks the planner for. */
export interface DatasetRequest {
  /** The validated dataset name. */
  readonly dataset: string;
  /** The projection, without duplicates, in the order given; absent means every column. */
  readonly columns?: readonly string[] | undefined;
}

/** Options of {@link parseDatasetDescriptor}. */
export interface ParseDescriptorOptions {
  /** Largest descriptor accepted, in bytes (default {@link DEFAULT_MAX_DESCRIPTOR_BYTES}). */
  readonly maxBytes?: number;
  /** Reject a `columns` field (DoPut descriptors name a whole dataset). Default false. */
  readonly forbidColumns?: boolean;
}

const utf8 = new TextEncoder();
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });
const ALLOWED_FIELDS = new Set(["dataset", "columns"]);

function invalid(message: string): never {
  throw new PlannerError("PLANNER_INVALID_DESCRIPTOR", message);
}

function tooLarge(size: number, limit: number): never {
  throw new PlannerError(
    "PLANNER_REQUEST_TOO_LARGE",
    `descriptor is ${size} bytes; the limit is ${limit} bytes (maxDescriptorBytes)`,
  );
}

/**
 * Parse a PATH or CMD descriptor into a {@link DatasetRequest}.
 *
 * @throws PlannerError `PLANNER_REQUEST_TOO_LARGE` (RESOURCE_EXHAUSTED) over `maxBytes`;
 *   `PLANNER_INVALID_DESCRIPTOR` (INVALID_ARGUMENT) for an empty path, invalid UTF-8,
 *   malformed JSON, a non-object, wrong field types, unknown fields, empty or duplicate
 *   columns; `PLANNER_INVALID_DATASET_NAME` (INVALID_ARGUMENT) for a bad dataset name.
 */
export function parseDatasetDescriptor(
  descriptor: FlightDescriptor,
  options: ParseDescriptorOptions = {},
): DatasetRequest {
  const maxBytes = options.maxBytes ?? DEFAULT_MAX_DESCRIPTOR_BYTES;
  if (descriptor.type === "path") return parsePath(descriptor.path, maxBytes);
  if (descriptor.cmd.byteLength > maxBytes) tooLarge(descriptor.cmd.byteLength, maxBytes);
  return parseCommand(descriptor.cmd, options.forbidColumns ?? false);
}

function parsePath(path: readonly string[], maxBytes: number): DatasetRequest {
  if (path.length === 0) invalid("PATH descriptor has no components; expected [dataset]");
  let size = 0;
  for (const component of path) {
    // UTF-8 takes at least one byte per UTF-16 unit: reject huge components before encoding them.
    size += (component.length > maxBytes ? component.length : utf8.encode(component).byteLength) + 1;
    if (size > maxBytes) tooLarge(size, maxBytes);
  }
  path.forEach((component, index) => {
    if (component === "") invalid(`PATH descriptor component ${index + 1} is empty`);
  });
  return { dataset: validateDatasetName(path.join("/")) };
}

function parseCommand(cmd: Uint8Array, forbidColumns: boolean): DatasetRequest {
  let text: string;
  try {
    text = strictUtf8.decode(cmd);
  } catch {
    return invalid('CMD descriptor is not valid UTF-8; expected JSON like {"dataset": "sales"}');
  }
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    return invalid(`CMD descriptor is not valid JSON (${detail}); expected {"dataset": "sales", "columns": [...]}`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    invalid(`CMD descriptor must be a JSON object, got ${Array.isArray(value) ? "an array" : typeof value}`);
  }
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (key === "op") {
      invalid(`CMD descriptor field "op" is for workers (put-shard); the planner takes {"dataset", "columns"}`);
    }
    if (!ALLOWED_FIELDS.has(key)) {
      invalid(`CMD descriptor has unknown field ${quoteForMessage(key)}; allowed fields are "dataset" and "columns"`);
    }
  }
  if (!("dataset" in fields)) invalid('CMD descriptor lacks the "dataset" field');
  if (typeof fields["dataset"] !== "string") invalid(`CMD descriptor field "dataset" must be a string`);
  const dataset = validateDatasetName(fields["dataset"]);
  if (!("columns" in fields)) return { dataset };
  if (forbidColumns) invalid(`CMD descriptor field "columns" is not allowed here (uploads take whole datasets)`);
  return { dataset, columns: parseColumns(fields["columns"]) };
}

function parseColumns(value: unknown): readonly string[] {
  if (!Array.isArray(value)) invalid(`CMD descriptor field "columns" must be an array of strings`);
  const columns = value as unknown[];
  if (columns.length === 0) invalid(`CMD descriptor field "columns" is empty; omit it to read every column`);
  const seen = new Set<string>();
  columns.forEach((column, index) => {
    if (typeof column !== "string") invalid(`CMD descriptor field "columns"[${index}] must be a string`);
    if (column === "") invalid(`CMD descriptor field "columns"[${index}] is empty`);
    if (seen.has(column)) invalid(`CMD descriptor field "columns" lists ${quoteForMessage(column)} twice`);
    seen.add(column);
  });
  return [...seen];
}
