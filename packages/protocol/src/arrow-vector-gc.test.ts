/**
 * apache-arrow 21 is patched (patches/apache-arrow@21.2.0.patch) so that a Vector's accessor
 * closures are allocated in V8's young generation. Unpatched, they are allocated old and keep
 * every received FlightData message alive until a full GC: our DoGet client then ran ~25
 * Mark-Compacts per 512 MiB against 0 for a bare grpc-js client (benchmarks/results/doget-analysis.md).
 * This checks the patch is in effect, with V8's own predicate, in a child process.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";

const script = `
  const { makeVector, tableFromArrays } = await import("apache-arrow");
  const single = makeVector(new Float64Array(16));
  const child = tableFromArrays({ x: new Int32Array(8) }).batches[0].getChildAt(0);
  console.log(JSON.stringify([single.get, single.isValid, single.set, single.indexOf, child.get].map((f) => %InYoungGeneration(f))));
`;

describe("apache-arrow Vector allocation (patched)", () => {
  it("allocates a Vector's accessor closures in the young generation", async () => {
    const cwd = fileURLToPath(new URL("..", import.meta.url));
    const { stdout } = await promisify(execFile)(
      process.execPath,
      ["--allow-natives-syntax", "--input-type=module", "-e", script],
      { cwd },
    );
    expect(JSON.parse(stdout.trim())).toEqual([true, true, true, true, true]);
  });
});
