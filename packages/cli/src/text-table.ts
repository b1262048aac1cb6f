/** Plain-text tables for terminal output: a header row, a rule, aligned columns. */
import { escapeControlCharacters } from "./control-characters.js";

/** One column of a {@link formatTextTable}. */
export interface TextColumn {
  readonly header: string;
  /** Numbers read best right-aligned (default left). */
  readonly align?: "left" | "right";
}

/**
 * Format rows as an aligned table with two spaces between columns. Cells are
 * single-line: control characters are shown escaped so that names from a server
 * cannot break the layout. Returns the text with a trailing newline; with no rows
 * the header is followed by `(none)`.
 */
export function formatTextTable(columns: readonly TextColumn[], rows: ReadonlyArray<readonly string[]>): string {
  const clean = rows.map((row) => columns.map((_, i) => escapeControlCharacters(row[i] ?? "")));
  const widths = columns.map((column, i) => Math.max(column.header.length, ...clean.map((row) => row[i]?.length ?? 0)));
  const render = (cells: readonly string[]): string =>
    cells
      .map((cell, i) => {
        const width = widths[i] ?? 0;
        return columns[i]?.align === "right" ? cell.padStart(width) : cell.padEnd(width);
      })
      .join("  ")
      .trimEnd();
  const lines = [render(columns.map((c) => c.header)), render(widths.map((w) => "-".repeat(w)))];
  if (clean.length === 0) lines.push("(none)");
  for (const row of clean) lines.push(render(row));
  return `${lines.join("\n")}\n`;
}
