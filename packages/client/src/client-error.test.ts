import { readFileSync } from "node:fs";
import {
  FlightCancelledError,
  FlightError,
  FlightUnavailableError,
  StatusCode,
  statusCodeName,
} from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { abortError, ClientError, ClientErrorReasons, isClientError } from "./client-error.js";

const errorsDoc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("ClientError", () => {
  it("is a FlightError with the status of its reason", () => {
    const error = new ClientError("CLIENT_NO_LOCATION", "endpoint 3: no location");
    expect(error).toBeInstanceOf(FlightError);
    expect(error).toBeInstanceOf(FlightUnavailableError);
    expect(error).toBeInstanceOf(ClientError);
    expect(error.code).toBe(StatusCode.UNAVAILABLE);
    expect(error.name).toBe("ClientError");
    expect(isClientError(error, "CLIENT_NO_LOCATION")).toBe(true);
    expect(isClientError(error, "CLIENT_CLOSED")).toBe(false);
    expect(isClientError(new FlightUnavailableError("x"))).toBe(false);
  });

  it("turns an abort into CANCELLED, keeping a FlightError reason", () => {
    const controller = new AbortController();
    controller.abort();
    expect(abortError(controller.signal)).toBeInstanceOf(FlightCancelledError);
    const own = new AbortController();
    const reason = new ClientError("CLIENT_CLOSED", "closed");
    own.abort(reason);
    expect(abortError(own.signal)).toBe(reason);
    expect(abortError(AbortSignal.abort(new DOMException("late", "TimeoutError"))).code).toBe(
      StatusCode.DEADLINE_EXCEEDED,
    );
  });

  it("docs/errors.md lists every reason with its status, and no others", () => {
    const section = errorsDoc.slice(errorsDoc.indexOf("## Client"));
    const documented = new Map(
      [...section.matchAll(/^\| `(CLIENT_[A-Z_]+)` \| ([A-Z_]+) \|/gm)].map((m) => [m[1], m[2]] as const),
    );
    const defined = Object.entries(ClientErrorReasons).map(([reason, code]) => [reason, statusCodeName(code)] as const);
    expect(new Map(defined)).toEqual(documented);
  });
});
