import { describe, expect, it } from "vitest";
import {
  createFlightError,
  FlightError,
  FlightNotFoundError,
  FlightUnauthenticatedError,
  FlightUnavailableError,
  StatusCode,
  statusCodeName,
} from "./flight-error.js";

describe("FlightError", () => {
  it("carries the code and prefixes the message with its name", () => {
    const error = new FlightNotFoundError("dataset 'sales' does not exist");
    expect(error.code).toBe(StatusCode.NOT_FOUND);
    expect(error.message).toBe("[NOT_FOUND] dataset 'sales' does not exist");
    expect(error.rawMessage).toBe("dataset 'sales' does not exist");
    expect(error.name).toBe("FlightNotFoundError");
  });

  it("matches subclasses by code, and the base class for every code", () => {
    const error = createFlightError(StatusCode.UNAVAILABLE, "worker draining");
    expect(error).toBeInstanceOf(FlightUnavailableError);
    expect(error).toBeInstanceOf(FlightError);
    expect(error).not.toBeInstanceOf(FlightNotFoundError);
    expect(createFlightError(StatusCode.DATA_LOSS, "x")).toBeInstanceOf(FlightError);
  });

  it("recognises errors from another copy of the class (brand, not prototype)", () => {
    const foreign = Object.assign(Object.create(Error.prototype) as object, { code: StatusCode.UNAUTHENTICATED });
    Object.defineProperty(foreign, Symbol.for("flight-cluster.FlightError"), { value: true });
    expect(foreign).toBeInstanceOf(FlightError);
    expect(foreign).toBeInstanceOf(FlightUnauthenticatedError);
    expect(new Error("plain")).not.toBeInstanceOf(FlightError);
  });

  it("from() keeps FlightErrors, maps aborts, and hides internal causes", () => {
    const original = new FlightNotFoundError("x");
    expect(FlightError.from(original)).toBe(original);
    const aborted = FlightError.from(new DOMException("stop", "AbortError"));
    expect(aborted.code).toBe(StatusCode.CANCELLED);
    const internal = FlightError.from(new Error("password=hunter2 leaked in a stack"));
    expect(internal.code).toBe(StatusCode.INTERNAL);
    expect(internal.message).not.toContain("hunter2");
    expect((internal.cause as Error).message).toContain("hunter2");
  });

  it("names every code of the gRPC spec", () => {
    for (const [name, code] of Object.entries(StatusCode)) expect(statusCodeName(code)).toBe(name);
    expect(statusCodeName(99)).toBe("CODE_99");
  });
});
