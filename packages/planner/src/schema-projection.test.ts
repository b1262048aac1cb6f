import { StatusCode } from "@flight-cluster/protocol";
import { Field, Float64, Int32, Schema, Utf8 } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { PlannerError } from "./planner-error.js";
import { projectSchema } from "./schema-projection.js";

const schema = new Schema(
  [new Field("id", new Int32()), new Field("name", new Utf8()), new Field("amount", new Float64())],
  new Map([["origin", "test"]]),
);

describe("projectSchema", () => {
  it("keeps the whole schema without columns", () => {
    const projection = projectSchema("sales", schema);
    expect(projection.schema).toBe(schema);
    expect(projection.columns).toBeUndefined();
  });

  it("selects columns in schema order and keeps schema metadata", () => {
    const projection = projectSchema("sales", schema, ["amount", "id"]);
    expect(projection.schema.fields.map((field) => field.name)).toEqual(["id", "amount"]);
    expect(projection.columns).toEqual(["id", "amount"]);
    expect(projection.schema.metadata.get("origin")).toBe("test");
  });

  it("names unknown columns and the available ones", () => {
    let caught: unknown;
    try {
      projectSchema("sales", schema, ["id", "price", "qty"]);
    } catch (error) {
      caught = error;
    }
    expect(caught).toBeInstanceOf(PlannerError);
    const error = caught as PlannerError;
    expect(error.code).toBe(StatusCode.INVALID_ARGUMENT);
    expect(error.reason).toBe("PLANNER_UNKNOWN_COLUMN");
    expect(error.rawMessage).toBe(
      'dataset "sales" has no column "price", "qty"; its columns are "id", "name", "amount"',
    );
  });
});
