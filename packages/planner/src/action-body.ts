/**
 * Strict parsing of JSON DoAction bodies: size-limited, valid UTF-8, a JSON object
 * with only the fields the action takes, each of the right type. Every failure is a
 * `PLANNER_INVALID_ACTION_BODY` (INVALID_ARGUMENT) naming the action and the field.
 */
import { quoteForMessage } from "./dataset-name.js";
import { PlannerError } from "./planner-error.js";

const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/** A parsed JSON object body with typed field readers. */
export interface ActionFields {
  /** A required string field (non-empty). */
  string(name: string): string;
  /** A required integer field in [min, max]. */
  integer(name: string, min: number, max: number): number;
  /** An optional integer field in [min, max]. */
  optionalInteger(name: string, min: number, max: number): number | undefined;
  /** A required array field (elements unchecked), at most `maxLength` long. */
  array(name: string, maxLength: number): unknown[];
}

function invalid(action: string, message: string): never {
  throw new PlannerError("PLANNER_INVALID_ACTION_BODY", `${action}: ${message}`);
}

/**
 * Decode a body as UTF-8 text.
 * @throws PlannerError `PLANNER_REQUEST_TOO_LARGE` over `maxBytes`, `PLANNER_INVALID_ACTION_BODY` for invalid UTF-8.
 */
export function actionText(action: string, body: Uint8Array, maxBytes: number): string {
  if (body.byteLength > maxBytes) {
    throw new PlannerError(
      "PLANNER_REQUEST_TOO_LARGE",
      `${action}: body is ${body.byteLength} bytes; the limit is ${maxBytes} bytes (maxActionBodyBytes)`,
    );
  }
  try {
    return strictUtf8.decode(body);
  } catch {
    return invalid(action, "body is not valid UTF-8");
  }
}

/**
 * Parse a JSON object body with exactly the `allowed` fields (each optional here; the
 * readers enforce presence).
 * @throws PlannerError as {@link actionText}, and `PLANNER_INVALID_ACTION_BODY` for malformed JSON,
 *   a non-object or an unknown field.
 */
export function parseActionFields(
  action: string,
  body: Uint8Array,
  maxBytes: number,
  allowed: readonly string[],
): ActionFields {
  const text = actionText(action, body, maxBytes);
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return invalid(action, `body is not valid JSON (${error instanceof Error ? error.message : String(error)})`);
  }
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    return invalid(action, `body must be a JSON object with fields ${allowed.map((f) => `"${f}"`).join(", ")}`);
  }
  const fields = value as Record<string, unknown>;
  for (const key of Object.keys(fields)) {
    if (!allowed.includes(key)) {
      invalid(
        action,
        `unknown field ${quoteForMessage(key)}; allowed fields are ${allowed.map((f) => `"${f}"`).join(", ")}`,
      );
    }
  }
  const has = (name: string) => Object.hasOwn(fields, name);
  const integer = (name: string, min: number, max: number): number => {
    if (!has(name)) invalid(action, `field "${name}" is required`);
    const v = fields[name];
    if (typeof v !== "number" || !Number.isSafeInteger(v) || v < min || v > max) {
      invalid(action, `field "${name}" must be an integer in ${min}..${max}`);
    }
    return v as number;
  };
  return {
    string(name) {
      if (!has(name)) invalid(action, `field "${name}" is required`);
      const v = fields[name];
      if (typeof v !== "string" || v.length === 0) invalid(action, `field "${name}" must be a non-empty string`);
      return v as string;
    },
    integer,
    optionalInteger(name, min, max) {
      return has(name) ? integer(name, min, max) : undefined;
    },
    array(name, maxLength) {
      if (!has(name)) invalid(action, `field "${name}" is required`);
      const v = fields[name];
      if (!Array.isArray(v)) invalid(action, `field "${name}" must be an array`);
      const list = v as unknown[];
      if (list.length > maxLength)
        invalid(action, `field "${name}" has ${list.length} entries; the limit is ${maxLength}`);
      return list;
    },
  };
}

/**
 * A plain-text dataset name body (`describe`, `drop`), or the same as JSON `{"dataset": name}`.
 * @throws PlannerError as {@link parseActionFields}; the name itself is validated by the caller.
 */
export function datasetNameBody(action: string, body: Uint8Array, maxBytes: number): string {
  const text = actionText(action, body, maxBytes);
  if (text.trimStart().startsWith("{")) return parseActionFields(action, body, maxBytes, ["dataset"]).string("dataset");
  return text;
}
