import { FlightDescriptor, StatusCode } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { DEFAULT_MAX_DESCRIPTOR_BYTES, parseDatasetDescriptor } from "./dataset-descriptor.js";
import { PlannerError } from "./planner-error.js";

function failure(run: () => unknown): PlannerError {
  try {
    run();
  } catch (error) {
    if (error instanceof PlannerError) return error;
    throw error;
  }
  throw new Error("expected a PlannerError");
}

const cmd = (value: unknown) => FlightDescriptor.forCommand(typeof value === "string" ? value : JSON.stringify(value));

describe("parseDatasetDescriptor", () => {
  it("reads PATH [dataset], joining components with '/'", () => {
    expect(parseDatasetDescriptor(FlightDescriptor.forPath("sales"))).toEqual({ dataset: "sales" });
    expect(parseDatasetDescriptor(FlightDescriptor.forPath("events", "2026"))).toEqual({ dataset: "events/2026" });
    expect(parseDatasetDescriptor(FlightDescriptor.forPath("events/2026"))).toEqual({ dataset: "events/2026" });
  });

  it("reads CMD JSON with and without columns", () => {
    expect(parseDatasetDescriptor(cmd({ dataset: "sales" }))).toEqual({ dataset: "sales" });
    expect(parseDatasetDescriptor(cmd({ dataset: "sales", columns: ["id", "amount"] }))).toEqual({
      dataset: "sales",
      columns: ["id", "amount"],
    });
  });

  it.each([
    [FlightDescriptor.forPath(), /no components/],
    [FlightDescriptor.forPath("a", ""), /component 2 is empty/],
    [FlightDescriptor.forPath("..", "x"), /invalid dataset name: .*'\.\.' segment/],
    [FlightDescriptor.forPath("/etc"), /starts with '\/'/],
    [cmd("{not json"), /not valid JSON/],
    [cmd(""), /not valid JSON/],
    [FlightDescriptor.forCommand(new Uint8Array([0x7b, 0xff, 0xfe, 0x7d])), /not valid UTF-8/],
    [cmd([1, 2]), /must be a JSON object, got an array/],
    [cmd("null"), /must be a JSON object, got object/],
    [cmd('"sales"'), /must be a JSON object, got string/],
    [cmd({}), /lacks the "dataset" field/],
    [cmd({ dataset: 7 }), /"dataset" must be a string/],
    [cmd({ dataset: "a/../b" }), /'\.\.' segment/],
    [cmd({ dataset: "sales", extra: 1 }), /unknown field "extra"/],
    [cmd('{"dataset":"sales","__proto__":{}}'), /unknown field "__proto__"/],
    [cmd({ op: "put-shard", dataset: "sales" }), /"op" is for workers/],
    [cmd({ dataset: "sales", columns: "id" }), /"columns" must be an array of strings/],
    [cmd({ dataset: "sales", columns: [] }), /"columns" is empty/],
    [cmd({ dataset: "sales", columns: ["id", 3] }), /"columns"\[1\] must be a string/],
    [cmd({ dataset: "sales", columns: [""] }), /"columns"\[0\] is empty/],
    [cmd({ dataset: "sales", columns: ["id", "id"] }), /lists "id" twice/],
  ])("rejects %j with INVALID_ARGUMENT", (descriptor, message) => {
    const error = failure(() => parseDatasetDescriptor(descriptor));
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.rawMessage).toMatch(message);
  });

  it("rejects oversized descriptors with RESOURCE_EXHAUSTED naming the limit", () => {
    const big = cmd({ dataset: "sales", columns: Array.from({ length: 10_000 }, (_, i) => `column_${i}`) });
    const error = failure(() => parseDatasetDescriptor(big));
    expect(error.code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    expect(error.reason).toBe("PLANNER_REQUEST_TOO_LARGE");
    expect(error.rawMessage).toContain(`the limit is ${DEFAULT_MAX_DESCRIPTOR_BYTES} bytes`);

    const longPath = FlightDescriptor.forPath(
      ..."x"
        .repeat(100)
        .split("")
        .map(() => "y".repeat(1000)),
    );
    expect(failure(() => parseDatasetDescriptor(longPath)).code).toBe(StatusCode.RESOURCE_EXHAUSTED);
    const small = failure(() => parseDatasetDescriptor(cmd({ dataset: "sales" }), { maxBytes: 8 }));
    expect(small.rawMessage).toMatch(/descriptor is 19 bytes; the limit is 8 bytes/);
  });

  it("forbids columns where uploads take whole datasets", () => {
    const error = failure(() =>
      parseDatasetDescriptor(cmd({ dataset: "sales", columns: ["id"] }), { forbidColumns: true }),
    );
    expect(error.rawMessage).toMatch(/"columns" is not allowed here/);
  });
});
