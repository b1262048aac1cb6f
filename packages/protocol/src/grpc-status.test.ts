import { afterEach, describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import {
  createFlightError,
  FlightCancelledError,
  FlightError,
  FlightInternalError,
  FlightTimedOutError,
  FlightUnavailableError,
  StatusCode,
  statusCodeName,
} from "./flight-error.js";
import type { FlightLogger } from "./logger.js";
import { collect, startTestServer, type TestServer, text, utf8 } from "./protocol.test-kit.js";

const codes = Object.values(StatusCode).filter((c) => c !== StatusCode.OK);

describe("status mapping between FlightError and gRPC, both ways", () => {
  let t: TestServer | undefined;
  afterEach(async () => {
    await t?.close();
    t = undefined;
  });

  it("every status code thrown by a handler arrives as the same code, class and message, with trailers", async () => {
    t = await startTestServer({
      getFlightInfo(_ctx, descriptor) {
        const code = Number(text((descriptor as { cmd: Uint8Array }).cmd)) as StatusCode;
        throw createFlightError(code, `failing with ${statusCodeName(code)}`, { metadata: { "x-reason": "test" } });
      },
    });
    for (const code of codes) {
      const error = await t.client.getFlightInfo({ type: "cmd", cmd: utf8(String(code)) }).catch((e: unknown) => e);
      expect(error).toBeInstanceOf(FlightError);
      const fe = error as FlightError;
      expect(fe.code).toBe(code);
      expect(fe.constructor).toBe(createFlightError(code, "x").constructor);
      expect(fe.rawMessage).toBe(`failing with ${statusCodeName(code)}`);
      expect(fe.metadata["x-reason"]).toEqual(["test"]);
    }
  });

  it("non-Flight errors, thrown synchronously or asynchronously, become INTERNAL with a generic message; the cause is logged", async () => {
    const logged: unknown[] = [];
    const logger: FlightLogger = { error: (_m, fields) => logged.push(fields?.["error"]) };
    t = await startTestServer(
      {
        getSchema() {
          throw new Error("secret database password in this message");
        },
        async *doAction() {
          yield { body: utf8("first") };
          await Promise.resolve();
          throw new TypeError("async secret");
        },
      },
      { logger },
    );
    const sync = await t.client.getSchema({ type: "path", path: ["x"] }).catch((e: unknown) => e);
    expect(sync).toBeInstanceOf(FlightInternalError);
    expect((sync as FlightError).message).not.toContain("secret");
    const results: string[] = [];
    const asyncError = await (async () => {
      for await (const r of t!.client.doAction("x")) results.push(text(r.body));
    })().catch((e: unknown) => e);
    expect(results).toEqual(["first"]);
    expect(asyncError).toBeInstanceOf(FlightInternalError);
    expect((asyncError as FlightError).message).not.toContain("secret");
    expect(logged.map((e) => (e as Error).message)).toEqual([
      "secret database password in this message",
      "async secret",
    ]);
  });

  it("grpc-js's own failures map too: UNAVAILABLE when nothing listens, DEADLINE_EXCEEDED, CANCELLED on abort", async () => {
    t = await startTestServer({
      async getFlightInfo(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        throw new Error("unreachable: the client is gone");
      },
    });
    const port = t.port;
    await t.close();
    t = undefined;
    const dead = connect(`grpc://127.0.0.1:${port}`);
    await expect(dead.listActions()).rejects.toBeInstanceOf(FlightUnavailableError);
    dead.close();

    t = await startTestServer({
      async getFlightInfo(ctx) {
        await new Promise((resolve) => ctx.signal.addEventListener("abort", resolve, { once: true }));
        throw new Error("the client is gone");
      },
    });
    const d = { type: "path", path: ["slow"] } as const;
    await expect(t.client.getFlightInfo(d, { timeoutMs: 50 })).rejects.toBeInstanceOf(FlightTimedOutError);
    const controller = new AbortController();
    const pending = t.client.getFlightInfo(d, { signal: controller.signal });
    controller.abort();
    await expect(pending).rejects.toBeInstanceOf(FlightCancelledError);
    await expect(t.client.getFlightInfo(d, { signal: AbortSignal.abort() })).rejects.toBeInstanceOf(
      FlightCancelledError,
    );
    // A stream call too.
    const reader = t.client.doGet("x", { signal: AbortSignal.abort() });
    await expect(collect(reader)).rejects.toBeInstanceOf(FlightCancelledError);
  });
});
