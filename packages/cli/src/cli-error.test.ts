import { readFileSync } from "node:fs";
import { FlightNotFoundError, FlightUnavailableError } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import {
  CliError,
  CliErrorCodes,
  describeError,
  EXIT_FAILURE,
  EXIT_USAGE,
  exitCodeOf,
  usageError,
} from "./cli-error.js";

describe("CliError", () => {
  it("is listed completely in docs/errors.md, with its exit code", () => {
    const doc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = doc.slice(doc.indexOf("## Command line (`@flight-cluster/cli`)"));
    expect(section.length).toBeGreaterThan(100);
    const documented = [...section.matchAll(/^\| `(CLI_[A-Z_]+)` \| (\d) \|/gm)].map((m) => [m[1], Number(m[2])]);
    expect(Object.fromEntries(documented)).toEqual(CliErrorCodes);
  });

  it("maps errors to exit codes and one-line descriptions", () => {
    expect(exitCodeOf(usageError("bad", "put"))).toBe(EXIT_USAGE);
    expect(usageError("bad", "put").message).toBe("bad (see 'flight-cluster put --help')");
    expect(exitCodeOf(new CliError("CLI_UNREACHABLE", "x"))).toBe(EXIT_FAILURE);
    expect(exitCodeOf(new Error("x"))).toBe(EXIT_FAILURE);
    expect(describeError(new FlightNotFoundError('dataset "x" does not exist'))).toBe(
      'dataset "x" does not exist [NOT_FOUND]',
    );
    expect(describeError(new FlightUnavailableError("draining"))).toBe("unavailable: draining");
    expect(describeError(new Error("two\nlines\u001b[31m"))).toBe("two lines\\u001b[31m");
    const errno = Object.assign(new Error("open failed"), { code: "EACCES" });
    expect(describeError(errno)).toBe("open failed (EACCES)");
  });
});
