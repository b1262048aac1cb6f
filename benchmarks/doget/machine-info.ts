/** Describing the machine and software of a benchmark run. */
import { execFileSync } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { cpus, release, totalmem, type } from "node:os";
import { dirname, join } from "node:path";
import type { MachineInfo } from "./bench-result.js";

/** Version of an installed package, found by walking up from its resolved entry point; "unknown" if not found. */
function packageVersion(name: string): string {
  try {
    let dir = dirname(createRequire(import.meta.url).resolve(name));
    for (;;) {
      const file = join(dir, "package.json");
      if (existsSync(file)) {
        const json = JSON.parse(readFileSync(file, "utf8")) as { name?: string; version?: string };
        if (json.name === name && json.version) return json.version;
      }
      const parent = dirname(dir);
      if (parent === dir) return "unknown";
      dir = parent;
    }
  } catch {
    return "unknown";
  }
}

function run(command: string, args: string[], cwd: string): string {
  try {
    return execFileSync(command, args, { cwd, encoding: "utf8", stdio: ["ignore", "pipe", "ignore"] }).trim();
  } catch {
    return "unknown";
  }
}

/**
 * Collects CPU, memory, OS, Node/grpc-js/apache-arrow versions, the Python and pyarrow
 * versions of `python`, and the repository's git revision.
 */
export function machineInfo(python: string, repoRoot: string): MachineInfo {
  const [pythonVersion = "unknown", pyarrowVersion = "unknown"] = run(
    python,
    ["-c", "import sys, pyarrow; print(sys.version.split()[0], pyarrow.__version__)"],
    repoRoot,
  ).split(" ");
  return {
    cpus: cpus().length,
    cpuModel: cpus()[0]?.model.trim() ?? "unknown",
    totalMemoryBytes: totalmem(),
    os: `${type()} ${release()}`,
    node: process.version,
    python: pythonVersion,
    pyarrow: pyarrowVersion,
    grpcJs: packageVersion("@grpc/grpc-js"),
    apacheArrow: packageVersion("apache-arrow"),
    gitRevision: run("git", ["describe", "--always", "--dirty"], repoRoot),
  };
}
