import { readFileSync } from "node:fs";
import { statusCodeName } from "@flight-cluster/protocol";
import { describe, expect, it } from "vitest";
import { deserializeError, serializeError } from "./tasks/serialized-error.js";
import {
  ShardNotHeldError,
  WorkerError,
  WorkerErrorCode,
  WorkerFencedError,
  workerErrorClasses,
} from "./worker-errors.js";
import { toFlightError } from "./worker-flight-error.js";

const errorsDoc = readFileSync(new URL("../../../docs/errors.md", import.meta.url), "utf8");

describe("WorkerError", () => {
  it("docs/errors.md lists every worker code with its class and status, and no others", () => {
    const start = errorsDoc.indexOf("## Worker");
    expect(start).toBeGreaterThan(0);
    const section = errorsDoc.slice(start, errorsDoc.indexOf("\n## ", start + 1));
    const documented = new Map(
      [...section.matchAll(/^\| `(WORKER_[A-Z_]+)` \| `([A-Za-z]+)` \| ([A-Z_]+) \|/gm)].map(
        (m) => [m[1], `${m[2]} ${m[3]}`] as const,
      ),
    );
    const defined = Object.values(WorkerErrorCode).map((code) => {
      const error = new workerErrorClasses[code]("x");
      return [code, `${error.name} ${statusCodeName(error.grpcCode)}`] as const;
    });
    expect(new Map(defined)).toEqual(documented);
  });

  it("is recognised by class and code, also after crossing a thread boundary", () => {
    const error = new ShardNotHeldError("shard s is not held by worker w");
    expect(error).toBeInstanceOf(WorkerError);
    expect(error).toBeInstanceOf(ShardNotHeldError);
    expect(error).not.toBeInstanceOf(WorkerFencedError);
    const back = deserializeError(serializeError(error), "task");
    expect(back).toBeInstanceOf(ShardNotHeldError);
    expect(back.message).toBe(error.message);
  });

  it("maps to a FlightError with its status and code at the edge; unknown errors stay internal", () => {
    const mapped = toFlightError(new WorkerFencedError("fenced"));
    expect(mapped.code).toBe("WORKER_FENCED");
    expect(statusCodeName(mapped.error.code)).toBe("FAILED_PRECONDITION");
    const hidden = toFlightError(new TypeError("secret detail"));
    expect(hidden.error.rawMessage).toBe("internal error");
    expect(hidden.code).toBeUndefined();
  });
});
