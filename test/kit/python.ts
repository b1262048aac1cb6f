/**
 * Locates the Python interpreter that has pyarrow, for interop tests and benchmarks.
 *
 * The interpreter is `$FLIGHT_CLUSTER_PYTHON`, else `<repo>/.venv/bin/python`
 * (created by `npm test` through `scripts/lib.sh`).
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";

/** The repository root (two levels above this file). */
export const REPO_ROOT = fileURLToPath(new URL("../../", import.meta.url));

/** The pyarrow version the project pins (scripts/lib.sh). */
export const PINNED_PYARROW_VERSION = "26.0.1";

/** Path of the interpreter to use: `$FLIGHT_CLUSTER_PYTHON`, else `<repo>/.venv/bin/python`. */
export function pythonPath(): string {
  const fromEnv = process.env["FLIGHT_CLUSTER_PYTHON"];
  return fromEnv !== undefined && fromEnv !== "" ? fromEnv : `${REPO_ROOT}.venv/bin/python`;
}

/** A Python interpreter known to import pyarrow and pyarrow.flight. */
export interface PythonWithPyarrow {
  /** Path of the interpreter. */
  readonly python: string;
  /** `pyarrow.__version__`. */
  readonly pyarrowVersion: string;
}

/**
 * Check that the interpreter runs and imports pyarrow.flight (bounded by `timeoutMs`, default 60 s).
 *
 * @throws Error naming the interpreter, the failure, and how to fix it (`npm test`
 *   creates `.venv` through scripts/lib.sh; `FLIGHT_CLUSTER_PYTHON` picks another interpreter).
 */
export async function requirePyarrow(timeoutMs = 60_000): Promise<PythonWithPyarrow> {
  const python = pythonPath();
  const script = "import pyarrow, pyarrow.flight; print(pyarrow.__version__)";
  const result = await new Promise<{ stdout: string; error: Error | null; stderr: string }>((resolve) => {
    execFile(python, ["-c", script], { timeout: timeoutMs, encoding: "utf8" }, (error, stdout, stderr) => {
      resolve({ stdout, stderr, error });
    });
  });
  if (result.error) {
    throw new Error(
      `pyarrow is not importable with ${python}: ${result.error.message.split("\n")[0]}\n` +
        `${result.stderr.trim()}\n` +
        "Run `npm test` once (it creates .venv with pyarrow " +
        `${PINNED_PYARROW_VERSION} through scripts/lib.sh, ensure_pyarrow), ` +
        "or set FLIGHT_CLUSTER_PYTHON to an interpreter that has pyarrow.",
    );
  }
  return { python, pyarrowVersion: result.stdout.trim() };
}
