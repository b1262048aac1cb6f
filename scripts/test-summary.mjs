// Prints the closing line of a test run ("tests: N passed, N failed") from vitest's JSON report.
import { readFileSync } from "node:fs";

const path = process.argv[2] ?? ".cache/vitest.json";
let report;
try {
  report = JSON.parse(readFileSync(path, "utf8"));
} catch (error) {
  console.error(`no test report at ${path}: ${error.message}`);
  process.exit(1);
}
const passed = report.numPassedTests ?? 0;
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0);
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0);
console.log(
  skipped
    ? `tests: ${passed} passed, ${failed} failed, ${skipped} skipped`
    : `tests: ${passed} passed, ${failed} failed`,
);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
