/**
 * HTTP/2 receive windows of the grpc-js server: how much a client may send on one
 * stream (and on one connection) before the server grants more.
 *
 * grpc-js 1.14.7 has no server option for this (`grpc-node.flow_control_window` only
 * configures channels), so every upload into a grpc-js server is paced by HTTP/2's
 * default 64 KiB per-stream window: the client sends 64 KiB, then waits a round trip
 * and a turn of the server's event loop for a WINDOW_UPDATE. This file raises both
 * windows through two private fields of grpc-js's `Server` (verified in
 * `build/src/server.js` of 1.14.7), each read through one narrowly typed, checked
 * accessor:
 *
 * - `commonServerOptions`: the options object grpc-js passes to `http2.createServer`
 *   and `http2.createSecureServer` on every bind. Adding `settings.initialWindowSize`
 *   (merged with any `maxConcurrentStreams` grpc-js put there) makes every session
 *   advertise the per-stream window in its very first SETTINGS frame.
 * - `http2Servers`: the map of the `http2.Server`s grpc-js created, each with the set
 *   of its live sessions. After each bind a 'session' listener raises the connection
 *   window (`session.setLocalWindowSize`) of every session accepted from then on, and
 *   the sessions grpc-js accepted before the listener was attached get the same.
 *
 * If either field is missing or not shaped as expected (a grpc-js upgrade), the server
 * logs one warning and keeps HTTP/2's defaults; nothing throws. If only the options
 * object is missing, sessions get the per-stream window from a second SETTINGS frame.
 *
 * Memory: Node's HTTP/2 consumes the connection window as data arrives and the stream
 * window only as the stream is read; grpc-js pauses a call's HTTP/2 stream while its
 * 16-message read buffer is full (and the Flight reader pulls one message at a time).
 * So the bytes a slow DoPut handler can have buffered by HTTP/2 are at most the window,
 * per stream; the connection window only bounds bytes in flight, not memory.
 */
import type { ServerHttp2Session, Settings } from "node:http2";
import { SessionWindowTuner, type TunableSession } from "./grpc-window-tuner.js";

/** HTTP/2's initial window size (RFC 9113 section 6.9.2), in bytes: 65,535. */
export const HTTP2_DEFAULT_WINDOW_BYTES = 65_535;

/** The largest HTTP/2 flow-control window (2^31 - 1 bytes). */
export const HTTP2_MAX_WINDOW_BYTES = 2 ** 31 - 1;

/** Where the window hook reports that grpc-js's internals are not as expected. */
export type WindowWarning = (message: string, fields: Readonly<Record<string, unknown>>) => void;

/** Applies a receive window to a grpc-js server's HTTP/2 sessions. */
export interface ServerReceiveWindow {
  /** Call after every successful bind: hooks the HTTP/2 servers that bind created. Never throws. */
  afterBind(): void;
}

/** The slice of a session the hook uses. */
type WindowSession = Pick<ServerHttp2Session, "destroyed" | "setLocalWindowSize" | "settings">;

/** The slice of an `http2.Server` the hook uses. */
interface SessionSource {
  on(event: "session", listener: (session: WindowSession) => void): unknown;
}

/** grpc-js's per-server bookkeeping entry (`http2Servers` values). */
interface Http2ServerEntry {
  readonly sessions: ReadonlySet<WindowSession>;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null;
}

/** `server.commonServerOptions` if it is an object whose `settings` is absent or an object. */
function commonServerOptionsOf(server: object): { settings?: Settings } | undefined {
  const options: unknown = Reflect.get(server, "commonServerOptions");
  if (!isRecord(options)) return undefined;
  const settings = options["settings"];
  if (settings !== undefined && !isRecord(settings)) return undefined;
  return options as { settings?: Settings };
}

/** `server.http2Servers` as (server, entry) pairs, or undefined if any part is not shaped as expected. */
function http2ServersOf(server: object): Array<readonly [SessionSource, Http2ServerEntry]> | undefined {
  const map: unknown = Reflect.get(server, "http2Servers");
  if (!(map instanceof Map)) return undefined;
  const out: Array<readonly [SessionSource, Http2ServerEntry]> = [];
  for (const [key, entry] of map as Map<unknown, unknown>) {
    if (!isRecord(key) || typeof key["on"] !== "function") return undefined;
    if (!isRecord(entry) || !(entry["sessions"] instanceof Set)) return undefined;
    out.push([key as unknown as SessionSource, entry as unknown as Http2ServerEntry]);
  }
  return out;
}

/** Feeds the DATA of every stream a client opens on `session` to a window tuner (sessions without PING support are left fixed). */
function tuneSession(session: WindowSession, windowBytes: number, maxWindowBytes: number): void {
  const s = session as unknown as Partial<TunableSession> & { on?: unknown };
  if (typeof s.ping !== "function" || typeof s.on !== "function") return;
  const tuner = new SessionWindowTuner(session as unknown as TunableSession, windowBytes, maxWindowBytes);
  (session as unknown as NodeJS.EventEmitter).on("stream", (stream: NodeJS.EventEmitter) => {
    stream.on("data", (chunk: Buffer) => tuner.onData(chunk.length));
  });
}

/**
 * Makes every HTTP/2 session of `server` (a grpc-js `Server`, before its first bind)
 * advertise `windowBytes` as its per-stream window and open its connection window to
 * `windowBytes`. With `windowBytes` equal to HTTP/2's default (65,535) grpc-js is left
 * untouched. With `maxWindowBytes` above `windowBytes`, each session's window then grows
 * with the bandwidth-delay product measured by PING-timed round trips, as client channels'
 * do (grpc-window-tuner.ts), so uploads over long links are not held to one window per round
 * trip. Never throws: shape mismatches and session errors go to `warn`, once.
 *
 * @param windowBytes bytes, an integer in 65,535..2^31-1 (validated by the caller).
 * @param maxWindowBytes the largest window a session grows to; default `windowBytes` (fixed).
 */
export function applyServerReceiveWindow(
  server: object,
  windowBytes: number,
  warn: WindowWarning,
  maxWindowBytes: number = windowBytes,
): ServerReceiveWindow {
  if (windowBytes === HTTP2_DEFAULT_WINDOW_BYTES) return { afterBind() {} };
  let warned = false;
  const warnOnce = (problem: string, error?: unknown) => {
    if (warned) return;
    warned = true;
    warn(`HTTP/2 receive window not raised (${problem}); connections keep the 64 KiB default`, {
      receiveWindowBytes: windowBytes,
      ...(error === undefined ? {} : { error }),
    });
  };

  const options = commonServerOptionsOf(server);
  if (options !== undefined) options.settings = { ...options.settings, initialWindowSize: windowBytes };
  else warnOnce("grpc-js Server.commonServerOptions is not as expected");

  const raise = (session: WindowSession) => {
    try {
      if (session.destroyed) return;
      session.setLocalWindowSize(windowBytes);
      // Fallback only: the preface could not carry the per-stream window.
      if (options === undefined) session.settings({ initialWindowSize: windowBytes });
    } catch (error) {
      warnOnce("setting a session's window failed", error);
      return;
    }
    if (maxWindowBytes > windowBytes) tuneSession(session, windowBytes, maxWindowBytes);
  };
  const hooked = new WeakSet<object>();
  return {
    afterBind() {
      const servers = http2ServersOf(server);
      if (servers === undefined) {
        warnOnce("grpc-js Server.http2Servers is not as expected");
        return;
      }
      for (const [http2Server, entry] of servers) {
        if (hooked.has(http2Server)) continue;
        hooked.add(http2Server);
        http2Server.on("session", raise);
        // Sessions accepted between listen() and this call (grpc-js tracks them).
        for (const session of entry.sessions) raise(session);
      }
    },
  };
}
