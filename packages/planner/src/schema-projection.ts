/**
 * Column projection of a dataset's schema.
 *
 * The projected columns follow the dataset's schema order, not the order of the
 * request (the convention of apache-arrow's `Table.select`); tickets carry the
 * columns in that order, so a worker selecting by name or by index produces the
 * same stream as the schema the planner announced.
 */
import type { Schema } from "apache-arrow";
import { quoteForMessage } from "./dataset-name.js";
import { PlannerError } from "./planner-error.js";

/** A projected schema and the column names a ticket carries (absent: every column). */
export interface Projection {
  readonly schema: Schema;
  readonly columns?: readonly string[] | undefined;
}

/**
 * Project `schema` onto `columns` (absent: every column, schema unchanged).
 *
 * @throws PlannerError `PLANNER_UNKNOWN_COLUMN` (INVALID_ARGUMENT) naming every unknown
 *   column of `dataset` and the columns it has.
 */
export function projectSchema(dataset: string, schema: Schema, columns?: readonly string[]): Projection {
  if (columns === undefined) return { schema };
  const known = new Set(schema.fields.map((field) => field.name));
  const unknown = columns.filter((column) => !known.has(column));
  if (unknown.length > 0) {
    const available = schema.fields.map((field) => field.name);
    const shown = available.slice(0, 20).map((name) => quoteForMessage(name, 40));
    const more = available.length > shown.length ? `, … (${available.length} in all)` : "";
    throw new PlannerError(
      "PLANNER_UNKNOWN_COLUMN",
      `dataset ${quoteForMessage(dataset)} has no column ${unknown
        .slice(0, 5)
        .map((name) => quoteForMessage(name, 40))
        .join(", ")}${unknown.length > 5 ? ", …" : ""}; its columns are ${shown.join(", ")}${more}`,
    );
  }
  const projected = schema.select([...columns]);
  return { schema: projected, columns: [...new Set(projected.fields.map((field) => field.name))] };
}
