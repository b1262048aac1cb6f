/** Render Arrow values as short single-line strings for terminal tables. */

const MAX_CELL = 48;

/** One cell: null, numbers, bigints, dates (ISO), strings, bytes (hex) and nested values (JSON). */
export function formatCell(value: unknown): string {
  const text = render(value);
  return text.length > MAX_CELL ? `${text.slice(0, MAX_CELL - 1)}…` : text;
}

function render(value: unknown): string {
  if (value === null || value === undefined) return "null";
  if (typeof value === "string") return value;
  if (typeof value === "number" || typeof value === "bigint" || typeof value === "boolean") return String(value);
  if (value instanceof Date) return value.toISOString();
  if (value instanceof Uint8Array) return Buffer.from(value).toString("hex");
  if (typeof value === "object" && "toJSON" in value && typeof value.toJSON === "function") {
    return JSON.stringify(value.toJSON(), (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v));
  }
  return JSON.stringify(value, (_key, v: unknown) => (typeof v === "bigint" ? v.toString() : v)) ?? String(value);
}
