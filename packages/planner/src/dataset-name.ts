/**
 * Dataset names (docs/architecture.md, "Descriptors the planner understands"):
 * 1-200 characters of `[A-Za-z0-9._-]` in `/`-separated segments, with no empty,
 * `.` or `..` segment. So `sales` and `events/2026` are names; `/etc`, `a//b`,
 * `../x`, `a\b` and anything with a control character are not.
 *
 * Names become Redis keys and worker file names (through shard ids), so the rules
 * are strict and checked in one place.
 */
import { PlannerError } from "./planner-error.js";

/** Longest dataset name accepted, in characters. */
export const MAX_DATASET_NAME_LENGTH = 200;

const SEGMENT_CHAR = /^[A-Za-z0-9._-]$/;

/**
 * Quote a user-supplied string for an error message: JSON-escaped (so control
 * characters are visible and cannot forge log lines) and cut to `max` characters.
 */
export function quoteForMessage(value: string, max = 64): string {
  const cut = value.length > max ? `${value.slice(0, max)}…` : value;
  return JSON.stringify(cut);
}

function describeChar(char: string): string {
  const hex = (char.codePointAt(0) ?? 0).toString(16).toUpperCase().padStart(4, "0");
  return `U+${hex}`;
}

/**
 * Check a dataset name and return it unchanged.
 *
 * @throws PlannerError `PLANNER_INVALID_DATASET_NAME` (INVALID_ARGUMENT) whose message
 *   names the rule broken and where: empty, too long, leading `/`, backslash,
 *   control character, character outside `[A-Za-z0-9._-]`, empty, `.` or `..` segment.
 */
export function validateDatasetName(name: unknown): string {
  const fail = (problem: string): never => {
    throw new PlannerError("PLANNER_INVALID_DATASET_NAME", `invalid dataset name: ${problem}`);
  };
  if (typeof name !== "string") return fail(`expected a string, got ${name === null ? "null" : typeof name}`);
  if (name.length === 0) return fail("the name is empty");
  if (name.length > MAX_DATASET_NAME_LENGTH) {
    return fail(
      `${quoteForMessage(name, 32)} is ${name.length} characters long; the limit is ${MAX_DATASET_NAME_LENGTH}`,
    );
  }
  const quoted = quoteForMessage(name);
  let position = 0;
  for (const char of name) {
    const code = char.codePointAt(0) ?? 0;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) {
      fail(`${quoted} contains the control character ${describeChar(char)} at position ${position}`);
    }
    if (char === "\\") fail(`${quoted} contains a backslash at position ${position}; segments are separated by '/'`);
    if (char !== "/" && !SEGMENT_CHAR.test(char)) {
      fail(
        `${quoted} contains ${JSON.stringify(char)} (${describeChar(char)}) at position ${position}; ` +
          "allowed are A-Z a-z 0-9 . _ - and '/' between segments",
      );
    }
    position += char.length;
  }
  if (name.startsWith("/")) fail(`${quoted} starts with '/'; names are relative, like "events/2026"`);
  const segments = name.split("/");
  segments.forEach((segment, index) => {
    if (segment === "") fail(`${quoted} has an empty segment (segment ${index + 1}: '//' or a trailing '/')`);
    if (segment === "." || segment === "..") fail(`${quoted} has a '${segment}' segment (segment ${index + 1})`);
  });
  return name;
}

/** True when {@link validateDatasetName} would accept `name`. */
export function isValidDatasetName(name: unknown): name is string {
  try {
    validateDatasetName(name);
    return true;
  } catch {
    return false;
  }
}
