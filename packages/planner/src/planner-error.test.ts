import { readFileSync } from "node:fs";
import { FlightError, FlightNotFoundError, StatusCode, statusCodeName } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { isPlannerError, PLANNER_ERROR_TRAILER, PlannerError, PlannerErrorReasons } from "./planner-error.js";

const errorsDoc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("PlannerError", () => {
  it("travels as the status of its reason, with the reason in a trailer", () => {
    const error = new PlannerError("PLANNER_DATASET_NOT_FOUND", 'dataset "x" does not exist');
    expect(error).toBeInstanceOf(FlightError);
    expect(error).toBeInstanceOf(FlightNotFoundError);
    expect(error).toBeInstanceOf(PlannerError);
    expect(error.code).toBe(StatusCode.NOT_FOUND);
    expect(error.message).toBe('[NOT_FOUND] dataset "x" does not exist');
    expect(error.metadata).toEqual({ [PLANNER_ERROR_TRAILER]: "PLANNER_DATASET_NOT_FOUND" });
    expect(error.name).toBe("PlannerError");
    expect(isPlannerError(error, "PLANNER_DATASET_NOT_FOUND")).toBe(true);
    expect(isPlannerError(error, "PLANNER_UNKNOWN_COLUMN")).toBe(false);
    expect(isPlannerError(new FlightNotFoundError("x"))).toBe(false);
  });

  it("docs/errors.md lists every reason with its status, and no others", () => {
    const section = errorsDoc.slice(errorsDoc.indexOf("## Planner"));
    expect(section.length).toBeGreaterThan(0);
    const documented = new Map(
      [...section.matchAll(/^\| `(PLANNER_[A-Z_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1], m[2]] as const),
    );
    const defined = Object.entries(PlannerErrorReasons).map(
      ([reason, code]) => [reason, statusCodeName(code)] as const,
    );
    expect(new Map(defined)).toEqual(documented);
  });
});
