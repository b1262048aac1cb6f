/** Validating the numeric command-line arguments of the benchmark processes. */

/**
 * Parses an optional integer argument that must be positive.
 *
 * @returns undefined when `text` is undefined.
 * @throws Error naming `flag` when `text` is not a positive integer.
 */
export function parsePositiveInt(text: string | undefined, flag: string): number | undefined {
  if (text === undefined) return undefined;
  const value = Number(text);
  if (text.trim() === "" || !Number.isSafeInteger(value) || value <= 0) {
    throw new Error(`${flag} must be a positive integer, got "${text}"`);
  }
  return value;
}

/**
 * Parses a required integer argument that must be >= 0.
 *
 * @throws Error naming `flag` when `text` is missing or not a non-negative integer.
 */
export function parseCount(text: string | undefined, flag: string): number {
  const value = Number(text);
  if (text === undefined || text.trim() === "" || !Number.isSafeInteger(value) || value < 0) {
    throw new Error(`${flag} must be a non-negative integer, got "${text ?? ""}"`);
  }
  return value;
}
