/** Generating the benchmark tables with pyarrow (py/generate_tables.py) and reading their manifests. */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import type { TableName } from "./bench-options.js";

/** A generated table file and what it holds. */
export interface GeneratedTable {
  readonly table: TableName;
  /** Path of the Arrow IPC file. */
  readonly path: string;
  /** True when an identical earlier file was reused. */
  readonly reused: boolean;
  readonly rows: number;
  readonly batches: number;
  readonly batchRows: number;
  /** Sum of the record-batch message bodies, bytes. */
  readonly bodyBytes: number;
  readonly fileBytes: number;
}

interface GeneratorLine {
  table: TableName;
  path: string;
  reused: boolean;
  manifest: { rows: number; batches: number; batchRows: number; bodyBytes: number; fileBytes: number };
}

/**
 * Runs the generator for `tables` (regenerating only files whose parameters changed).
 *
 * @param targetBytes Arrow body bytes per table.
 * @param signal aborts the generator process.
 * @throws Error with the generator's stderr when it fails.
 */
export function generateTables(options: {
  readonly python: string;
  readonly workDir: string;
  readonly tables: readonly TableName[];
  readonly targetBytes: number;
  readonly batchRows: number;
  readonly signal?: AbortSignal;
}): Promise<GeneratedTable[]> {
  const script = fileURLToPath(new URL("../../doget/py/generate_tables.py", import.meta.url));
  const args = [
    script,
    "--out-dir",
    options.workDir,
    "--target-bytes",
    String(options.targetBytes),
    "--batch-rows",
    String(options.batchRows),
    "--tables",
    options.tables.join(","),
  ];
  return new Promise((resolve, reject) => {
    execFile(options.python, args, { encoding: "utf8", signal: options.signal }, (error, stdout, stderr) => {
      if (error) {
        reject(new Error(`table generation failed (${options.python} ${script}): ${error.message}\n${stderr}`));
        return;
      }
      const tables = stdout
        .split("\n")
        .filter((line) => line.startsWith("{"))
        .map((line) => JSON.parse(line) as GeneratorLine)
        .map(
          (line): GeneratedTable => ({
            table: line.table,
            path: line.path,
            reused: line.reused,
            rows: line.manifest.rows,
            batches: line.manifest.batches,
            batchRows: line.manifest.batchRows,
            bodyBytes: line.manifest.bodyBytes,
            fileBytes: line.manifest.fileBytes,
          }),
        );
      if (tables.length !== options.tables.length) {
        reject(new Error(`table generation printed ${tables.length} tables, expected ${options.tables.length}`));
      } else {
        resolve(tables);
      }
    });
  });
}
