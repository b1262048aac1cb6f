/** Loading the benchmark table that every server serves. */
import { readFileSync } from "node:fs";
import type { Table } from "apache-arrow";
import { tableFromIPC } from "apache-arrow";

/**
 * Reads an Arrow IPC file (or stream) fully into memory and returns its table. The record
 * batches are views of the one file buffer (apache-arrow decodes 8-aligned bodies without
 * copying), as a server holding a table in memory would have them.
 *
 * @param path the IPC file written by `py/generate_tables.py`.
 * @throws Error when the file cannot be read or is not Arrow IPC, or holds no record batch.
 */
export function loadTableFile(path: string): Table {
  const bytes = readFileSync(path);
  const table = tableFromIPC(bytes);
  if (table.batches.length === 0) throw new Error(`${path} holds no record batch`);
  return table;
}
