import { EventEmitter } from "node:events";
import { mkdtempSync, rmSync } from "node:fs";
import http2 from "node:http2";
import { connect as netConnect } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableFromArrays } from "apache-arrow";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { connect } from "./flight-client.js";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { DEFAULT_RECEIVE_WINDOW_BYTES, FlightServer, resolveFlightServerOptions } from "./flight-server.js";
import type { FlightServerHandlers } from "./flight-server-handlers.js";
import { applyServerReceiveWindow } from "./grpc-server-window.js";
import { silentLogger } from "./logger.js";
import { text, utf8 } from "./protocol.test-kit.js";
import { makeTestPki, type TestPki } from "./tls.test-kit.js";

const MiB = 1024 * 1024;
/** What node:http2 reports for a SETTINGS_MAX_CONCURRENT_STREAMS the server did not send. */
const NODE_DEFAULT_MAX_STREAMS = 2 ** 32 - 1;
const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** What a server told a raw HTTP/2 client about its receive windows. */
interface Advertised {
  /** SETTINGS_INITIAL_WINDOW_SIZE of the server's first SETTINGS frame: the per-stream window. */
  readonly initialWindowSize: number | undefined;
  readonly maxConcurrentStreams: number | undefined;
  /** How much the client may send on the connection: the server's connection window. */
  readonly connectionWindow: number;
}

/**
 * Connects a plain node:http2 client, waits for the server's first SETTINGS frame, then for a
 * PING round trip (the server's connection WINDOW_UPDATE is queued before its PING ack, so it
 * has been applied by then), and reads what the server granted.
 */
async function advertised(authority: string, options: http2.SecureClientSessionOptions = {}): Promise<Advertised> {
  const session = http2.connect(authority, options);
  try {
    const settings = await new Promise<http2.Settings>((resolve, reject) => {
      session.once("remoteSettings", resolve);
      session.once("error", reject);
    });
    await new Promise<void>((resolve, reject) => {
      session.ping((error) => (error ? reject(error) : resolve()));
    });
    return {
      initialWindowSize: settings.initialWindowSize,
      maxConcurrentStreams: settings.maxConcurrentStreams,
      connectionWindow: session.state.remoteWindowSize ?? -1,
    };
  } finally {
    session.close();
  }
}

/** A DoPut handler that counts rows and answers them as one PutResult. */
const countingPut: FlightServerHandlers = {
  async doPut(_ctx, reader, writer) {
    let rows = 0;
    for await (const batch of reader) rows += batch.numRows;
    await writer.write(utf8(String(rows)));
  },
};

describe("the server's HTTP/2 receive window, seen by a raw node:http2 client", () => {
  const servers: FlightServer[] = [];
  const dirs: string[] = [];
  let pki: TestPki | undefined;
  beforeAll(() => {
    pki = makeTestPki();
  });
  afterAll(() => pki?.remove());
  afterEach(async () => {
    for (const s of servers.splice(0)) await s.close();
    for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
  });
  const start = (options: ConstructorParameters<typeof FlightServer>[1] = {}) => {
    const server = new FlightServer(countingPut, { logger: silentLogger, ...options });
    servers.push(server);
    return server;
  };

  it("by default advertises a 16 MiB stream window and opens a 16 MiB connection window; uploads work", async () => {
    const server = start();
    const { port, location } = await server.listen({ host: "127.0.0.1", port: 0 });
    expect(DEFAULT_RECEIVE_WINDOW_BYTES).toBe(16 * MiB);
    expect(await advertised(`http://127.0.0.1:${port}`)).toEqual({
      initialWindowSize: 16 * MiB,
      maxConcurrentStreams: NODE_DEFAULT_MAX_STREAMS,
      connectionWindow: 16 * MiB,
    });
    // 8 MiB of 4 x int64 through the widened window arrives whole.
    const n = 262_144;
    const cols = (k: number) => BigInt64Array.from({ length: n }, (_, i) => BigInt(i * k));
    const table = tableFromArrays({ a: cols(1), b: cols(2), c: cols(3), d: cols(4) });
    const client = connect(location);
    try {
      const { writer, results } = client.doPut({ type: "path", path: ["w"] }, table.schema);
      for (const batch of table.batches) await writer.write(batch);
      const acks: string[] = [];
      const reading = (async () => {
        for await (const r of results) acks.push(text(r.appMetadata));
      })();
      await writer.close();
      await reading;
      expect(acks).toEqual([String(n)]);
    } finally {
      client.close();
    }
  });

  it("receiveWindowBytes 65535 keeps HTTP/2's defaults", async () => {
    const { port } = await start({ receiveWindowBytes: 65_535 }).listen({ host: "127.0.0.1", port: 0 });
    expect(await advertised(`http://127.0.0.1:${port}`)).toEqual({
      initialWindowSize: 65_535,
      maxConcurrentStreams: NODE_DEFAULT_MAX_STREAMS,
      connectionWindow: 65_535,
    });
  });

  it("a custom window keeps the settings grpc-js sets itself (max concurrent streams)", async () => {
    const server = start({ receiveWindowBytes: 3 * MiB, grpcOptions: { "grpc.max_concurrent_streams": 7 } });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    expect(await advertised(`http://127.0.0.1:${port}`)).toEqual({
      initialWindowSize: 3 * MiB,
      maxConcurrentStreams: 7,
      connectionWindow: 3 * MiB,
    });
  });

  it("applies to every listener: TLS and a unix socket bound after TCP", async () => {
    const p = pki!;
    const server = start({
      receiveWindowBytes: 5 * MiB,
      tls: { certificates: [{ certChain: p.serverCert, privateKey: p.serverKey }] },
    });
    const { port } = await server.listen({ host: "127.0.0.1", port: 0 });
    const dir = mkdtempSync(join(tmpdir(), "flight-window-"));
    dirs.push(dir);
    const path = join(dir, "s.sock");
    await server.listen(`grpc+unix://${path}`);
    const expected = {
      initialWindowSize: 5 * MiB,
      maxConcurrentStreams: NODE_DEFAULT_MAX_STREAMS,
      connectionWindow: 5 * MiB,
    };
    expect(await advertised(`https://127.0.0.1:${port}`, { ca: p.ca })).toEqual(expected);
    expect(await advertised("http://localhost", { createConnection: () => netConnect(path) })).toEqual(expected);
  });

  it.each([
    65_535,
    1 * MiB,
    DEFAULT_RECEIVE_WINDOW_BYTES,
  ])("a slow DoPut handler with a %i-byte window: the client's writes run ahead by at most the window plus the stream buffers", async (window) => {
    let received = 0;
    const server = new FlightServer(
      {
        async doPut(_ctx, reader, writer) {
          for await (const _ of reader) {
            received += 1;
            for (let i = 0; i < 20; i++) await turn();
          }
          await writer.write(utf8(String(received)));
        },
      },
      { logger: silentLogger, receiveWindowBytes: window },
    );
    servers.push(server);
    const { location } = await server.listen({ host: "127.0.0.1", port: 0 });
    const client = connect(location);
    try {
      // 256 KiB batches: one gRPC message each (just over 256 KiB with its header).
      const batch = tableFromArrays({ x: new Float64Array(32_768).fill(1.5) }).batches[0]!;
      const { writer } = client.doPut({ type: "path", path: ["slow"] }, batch.schema);
      const total = Math.ceil((window * 2) / (256 * 1024)) + 60;
      let sent = 0;
      let maxAhead = 0;
      for (let i = 0; i < total; i++) {
        await writer.write(batch);
        sent += 1;
        maxAhead = Math.max(maxAhead, sent - received);
      }
      await writer.close();
      expect(received).toBe(total);
      // Unread by the handler: what fits in the window, grpc-js's 16-message read buffer on the
      // server, its 16-message write buffer on the client, and a few in hand or being framed.
      expect(maxAhead).toBeLessThanOrEqual(Math.floor(window / (256 * 1024)) + 16 + 16 + 6);
    } finally {
      client.close();
    }
  });
});

describe("receiveWindowBytes validation", () => {
  it.each([65_534, 2 ** 31, 1.5, Number.NaN, -1])("rejects %s naming the option", (value) => {
    expect(() => resolveFlightServerOptions({ receiveWindowBytes: value })).toThrow(FlightInvalidArgumentError);
    expect(() => resolveFlightServerOptions({ receiveWindowBytes: value })).toThrow(
      /receiveWindowBytes must be an integer from 65535 to 2147483647/,
    );
  });

  it("accepts the bounds and defaults to 16 MiB", () => {
    expect(resolveFlightServerOptions({ receiveWindowBytes: 65_535 }).receiveWindowBytes).toBe(65_535);
    expect(resolveFlightServerOptions({ receiveWindowBytes: 2 ** 31 - 1 }).receiveWindowBytes).toBe(2 ** 31 - 1);
    expect(resolveFlightServerOptions().receiveWindowBytes).toBe(16 * MiB);
  });
});

/** A stand-in for a node:http2 server session: records what the hook asks of it. */
class FakeSession {
  destroyed = false;
  localWindow: number | undefined;
  settingsSent: http2.Settings[] = [];
  failWith: Error | undefined;
  setLocalWindowSize(bytes: number): void {
    if (this.failWith) throw this.failWith;
    this.localWindow = bytes;
  }
  settings(settings: http2.Settings): void {
    this.settingsSent.push(settings);
  }
}

describe("applyServerReceiveWindow over grpc-js's internal shape (unit, fakes)", () => {
  const collectWarnings = () => {
    const warnings: string[] = [];
    return { warnings, warn: (message: string) => void warnings.push(message) };
  };

  it("merges the stream window into the options, raises sessions accepted before and after the hook, hooks once", () => {
    const early = new FakeSession();
    const http2Server = new EventEmitter();
    const fake = {
      commonServerOptions: { maxSessionMemory: 1, settings: { maxConcurrentStreams: 3 } },
      http2Servers: new Map([[http2Server, { sessions: new Set([early]) }]]),
    };
    const { warnings, warn } = collectWarnings();
    const hook = applyServerReceiveWindow(fake, 2 * MiB, warn);
    expect(fake.commonServerOptions.settings).toEqual({ maxConcurrentStreams: 3, initialWindowSize: 2 * MiB });
    hook.afterBind();
    hook.afterBind();
    expect(http2Server.listenerCount("session")).toBe(1);
    expect(early.localWindow).toBe(2 * MiB);
    const late = new FakeSession();
    http2Server.emit("session", late);
    expect(late.localWindow).toBe(2 * MiB);
    expect(late.settingsSent).toEqual([]); // the preface carries the stream window
    const gone = new FakeSession();
    gone.destroyed = true;
    http2Server.emit("session", gone);
    expect(gone.localWindow).toBeUndefined();
    expect(warnings).toEqual([]);
  });

  it("an unexpected shape logs one warning and never throws", () => {
    const { warnings, warn } = collectWarnings();
    const hook = applyServerReceiveWindow({ commonServerOptions: "no", http2Servers: [] }, 2 * MiB, warn);
    hook.afterBind();
    hook.afterBind();
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/receive window not raised \(grpc-js Server.commonServerOptions is not as expected\)/);
  });

  it("without the options object, sessions get the stream window from a SETTINGS frame; a failing session warns once", () => {
    const http2Server = new EventEmitter();
    const { warnings, warn } = collectWarnings();
    const hook = applyServerReceiveWindow(
      { http2Servers: new Map([[http2Server, { sessions: new Set() }]]) },
      MiB,
      warn,
    );
    hook.afterBind();
    const ok = new FakeSession();
    http2Server.emit("session", ok);
    expect(ok.localWindow).toBe(MiB);
    expect(ok.settingsSent).toEqual([{ initialWindowSize: MiB }]);
    const bad = new FakeSession();
    bad.failWith = new Error("ERR_HTTP2_INVALID_SESSION");
    expect(() => http2Server.emit("session", bad)).not.toThrow();
    expect(() => http2Server.emit("session", bad)).not.toThrow();
    expect(warnings).toHaveLength(1); // the missing options object; the session failures add nothing after it
  });

  it("a session failure alone is reported once", () => {
    const http2Server = new EventEmitter();
    const { warnings, warn } = collectWarnings();
    const fake = { commonServerOptions: {}, http2Servers: new Map([[http2Server, { sessions: new Set() }]]) };
    applyServerReceiveWindow(fake, MiB, warn).afterBind();
    const bad = new FakeSession();
    bad.failWith = new Error("boom");
    http2Server.emit("session", bad);
    http2Server.emit("session", bad);
    expect(warnings).toEqual([
      "HTTP/2 receive window not raised (setting a session's window failed); connections keep the 64 KiB default",
    ]);
  });

  it("the default window leaves grpc-js untouched", () => {
    const fake = { commonServerOptions: {} as Record<string, unknown> };
    const { warnings, warn } = collectWarnings();
    applyServerReceiveWindow(fake, 65_535, warn).afterBind();
    expect(fake.commonServerOptions).toEqual({});
    expect(warnings).toEqual([]);
  });
});
