/** Loading the demo dataset into a fresh cluster (`flight-cluster up`). */
import { connect, FlightDescriptor } from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import { DEMO_DATASET_NAME, DEMO_SCHEMA, demoSalesBatches } from "./demo-dataset.js";
import { createProgressReporter, type ProgressStream } from "./progress-reporter.js";

/** Options of {@link loadDemoDataset}. */
export interface DemoLoadOptions {
  readonly registry: Registry;
  readonly plannerUri: string;
  /** Rows to load (> 0). */
  readonly rows: number;
  readonly signal: AbortSignal;
  /** Where progress goes. */
  readonly stderr: ProgressStream;
}

/**
 * Upload the demo dataset through the planner's DoPut, unless a complete copy survived
 * from an earlier run on the same data directories (found after rebuilding the catalog
 * from the workers' announcements).
 * @returns the rows the dataset has and whether they were loaded now.
 * @throws FlightError when the upload fails (nothing becomes visible then).
 */
export async function loadDemoDataset(options: DemoLoadOptions): Promise<{ rows: number; loaded: boolean }> {
  await options.registry.rebuildFromAnnouncements(true, options.signal);
  const existing = await options.registry.getDataset(DEMO_DATASET_NAME, undefined, options.signal);
  if (existing !== null && existing.totalRows === options.rows) return { rows: existing.totalRows, loaded: false };
  const client = connect(options.plannerUri);
  const progress = createProgressReporter(options.stderr, {
    label: `loading ${DEMO_DATASET_NAME}`,
    totalRows: options.rows,
  });
  try {
    const { writer } = client.doPut(FlightDescriptor.forPath(DEMO_DATASET_NAME), DEMO_SCHEMA, {
      signal: options.signal,
    });
    let rows = 0;
    let bytes = 0;
    for (const batch of demoSalesBatches(options.rows)) {
      await writer.write(batch);
      rows += batch.numRows;
      bytes += batch.data.byteLength;
      progress.update(rows, bytes);
    }
    await writer.close();
    return { rows, loaded: true };
  } finally {
    progress.finish();
    client.close();
  }
}
