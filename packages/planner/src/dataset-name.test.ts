import { StatusCode } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { isValidDatasetName, MAX_DATASET_NAME_LENGTH, validateDatasetName } from "./dataset-name.js";
import { PlannerError } from "./planner-error.js";

function rejection(name: unknown): PlannerError {
  try {
    validateDatasetName(name);
  } catch (error) {
    if (error instanceof PlannerError) return error;
    throw error;
  }
  throw new Error(`accepted ${JSON.stringify(name)}`);
}

describe("validateDatasetName", () => {
  it.each([
    "sales",
    "events/2026",
    "a.b_c-d",
    "A/B/C/d.parquet",
    "..a",
    "a..",
    "x".repeat(MAX_DATASET_NAME_LENGTH),
  ])("accepts %j", (name) => {
    expect(validateDatasetName(name)).toBe(name);
    expect(isValidDatasetName(name)).toBe(true);
  });

  it.each([
    ["", /empty/],
    ["x".repeat(MAX_DATASET_NAME_LENGTH + 1), /201 characters long; the limit is 200/],
    ["/etc/passwd", /starts with '\/'/],
    ["../secrets", /'\.\.' segment \(segment 1\)/],
    ["a/../b", /'\.\.' segment \(segment 2\)/],
    ["a/./b", /'\.' segment/],
    [".", /'\.' segment/],
    ["a//b", /empty segment/],
    ["a/", /empty segment/],
    ["a\\b", /backslash at position 1/],
    ["..\\..\\windows", /backslash/],
    ["sa\nles", /control character U\+000A at position 2/],
    ["a\u0000b", /control character U\+0000/],
    ["a\u009bb", /control character U\+009B/],
    ["sales 2026", /" " \(U\+0020\) at position 5/],
    ["d\u00e9j\u00e0", /U\+00E9/],
    ["a%2F..", /"%"/],
  ])("rejects %j naming the problem", (name, message) => {
    const error = rejection(name);
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.reason).toBe("PLANNER_INVALID_DATASET_NAME");
    expect(error.rawMessage).toMatch(/^invalid dataset name: /);
    expect(error.rawMessage).toMatch(message);
    expect(isValidDatasetName(name)).toBe(false);
  });

  it("rejects non-strings", () => {
    expect(rejection(42).rawMessage).toMatch(/expected a string, got number/);
    expect(rejection(null).rawMessage).toMatch(/got null/);
  });

  it("escapes control characters in messages so they cannot forge log lines", () => {
    const error = rejection("evil\r\nlevel=info msg=fake");
    expect(error.message).not.toMatch(/[\r\n]/);
    expect(error.message).toContain("\\r\\n");
  });
});
