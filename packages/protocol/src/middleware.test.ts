import { afterEach, describe, expect, it } from "vitest";
import { getHeader, type IncomingHeaders } from "./call-options.js";
import { type FlightError, FlightNotFoundError, FlightUnauthorizedError } from "./flight-error.js";
import type { ClientMiddlewareFactory, ServerMiddleware, ServerMiddlewareFactory } from "./middleware.js";
import { collect, startTestServer, type TestServer, utf8 } from "./protocol.test-kit.js";

interface ServerRecord {
  method: string;
  requestId: string | undefined;
  ms?: number;
  error?: FlightError | undefined;
}

/** A server timing middleware like the seeds' LoggingServerMiddleware. */
function serverTiming(log: ServerRecord[]): ServerMiddlewareFactory {
  return {
    startCall(info, headers) {
      if (getHeader(headers, "x-block") !== undefined) throw new FlightUnauthorizedError("blocked by middleware");
      const record: ServerRecord = { method: info.method, requestId: getHeader(headers, "x-request-id") };
      const start = performance.now();
      const m: ServerMiddleware & { record: ServerRecord } = {
        record,
        sendingHeaders: () => ({ "x-server-start": String(start) }),
        callCompleted(error) {
          record.ms = performance.now() - start;
          record.error = error;
          log.push(record);
        },
      };
      return m;
    },
  };
}

interface ClientRecord {
  method: string;
  headers?: IncomingHeaders;
  trailers?: IncomingHeaders;
  ms?: number;
  error?: FlightError | undefined;
}

/** A client timing middleware like the seeds' TimingClientMiddleware. */
function clientTiming(log: ClientRecord[]): ClientMiddlewareFactory {
  return {
    startCall(info) {
      const record: ClientRecord = { method: info.method };
      const start = performance.now();
      return {
        sendingHeaders: () => ({ "x-request-id": `req-${log.length}` }),
        receivedHeaders(headers) {
          record.headers = headers;
        },
        callCompleted(error, trailers) {
          record.ms = performance.now() - start;
          record.error = error;
          record.trailers = trailers;
          log.push(record);
        },
      };
    },
  };
}

describe("middleware", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("timing middleware on both sides sees every call, its headers, its outcome and its duration", async () => {
    const serverLog: ServerRecord[] = [];
    const clientLog: ClientRecord[] = [];
    let seenByHandler: string | undefined;
    t = await startTestServer(
      {
        listActions(ctx) {
          seenByHandler = ctx.getMiddleware<ServerMiddleware & { record: ServerRecord }>("timing")?.record.requestId;
          ctx.addHeader("x-handler", "yes");
          ctx.addTrailer("x-rows", "2");
          return [{ type: "a", description: "" }];
        },
        getFlightInfo() {
          throw new FlightNotFoundError("nothing here");
        },
      },
      { middleware: { timing: serverTiming(serverLog) } },
      { middleware: [clientTiming(clientLog)] },
    );
    await t.client.listActions();
    await expect(t.client.getFlightInfo({ type: "path", path: ["x"] })).rejects.toBeInstanceOf(FlightNotFoundError);

    expect(seenByHandler).toBe("req-0");
    expect(serverLog.map((r) => [r.method, r.requestId, r.error?.code])).toEqual([
      ["ListActions", "req-0", undefined],
      ["GetFlightInfo", "req-1", 5],
    ]);
    expect(clientLog.map((r) => [r.method, r.error?.code])).toEqual([
      ["ListActions", undefined],
      ["GetFlightInfo", 5],
    ]);
    const ok = clientLog[0]!;
    expect(getHeader(ok.headers!, "x-handler")).toBe("yes");
    expect(getHeader(ok.headers!, "x-server-start")).toMatch(/^\d+(\.\d+)?$/);
    expect(getHeader(ok.trailers!, "x-rows")).toBe("2");
    for (const r of [...serverLog, ...clientLog]) expect(r.ms).toBeGreaterThanOrEqual(0);
  });

  it("a server middleware that throws rejects the call with its status", async () => {
    const serverLog: ServerRecord[] = [];
    t = await startTestServer(
      { doAction: () => [{ body: utf8("ran") }] },
      { middleware: { timing: serverTiming(serverLog) } },
    );
    await expect(collect(t.client.doAction("x", { headers: { "x-block": "1" } }))).rejects.toBeInstanceOf(
      FlightUnauthorizedError,
    );
    expect(await collect(t.client.doAction("x"))).toHaveLength(1);
  });
});
