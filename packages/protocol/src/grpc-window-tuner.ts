/**
 * HTTP/2 receive windows sized from the measured bandwidth-delay product (client channels
 * here; servers use {@link SessionWindowTuner} through grpc-server-window.ts).
 *
 * A stream can have at most one HTTP/2 receive window in flight per round trip, so one DoGet
 * over a 40 ms round trip with the 16 MiB default window moves at most 16 MiB / 40 ms
 * (measured: 230 MB/s for a 32 MiB endpoint behind a 20 ms delay proxy, where pyarrow's gRPC
 * C++ client reached about 900 MB/s). A fixed larger window would also let every paused
 * stream hold that much more (docs/client.md, "Merge and memory"). Like gRPC C++, we grow the
 * window only when the link needs it: while data arrives, the client sends an HTTP/2 PING
 * and counts the bytes that arrive until its acknowledgement, one round trip. When a round
 * trip carried more than two thirds of the window, the sender was held back by it, and the
 * window doubles (to twice the bytes measured), up to a maximum. A paused stream receives
 * nothing, so a slow consumer never makes its window grow. After a PING that changed nothing
 * the next one waits (50 ms, doubling to 5 s), so a fast local link costs a few PINGs per
 * second at most, and none once the maximum is reached.
 *
 * {@link installWindowTuner} hooks grpc-js's `Http2Transport.prototype.createCall`
 * (`build/src/transport.js`, 1.14.7), the one place that sees both a client session and each
 * new stream; the class is not exported, so the hook reaches its prototype through the first
 * transport `Http2SubchannelConnector.createSession` returns. Only channels created with {@link MAX_WINDOW_OPTION} above their
 * `grpc-node.flow_control_window` are tuned; the window grows for the whole session
 * (connection window with `setLocalWindowSize`, every stream's with SETTINGS_INITIAL_WINDOW_SIZE).
 * If grpc-js is not shaped as expected, it logs one warning and leaves windows fixed.
 */
import { createRequire } from "node:module";

/** Channel option: the largest receive window the tuner may grow to, bytes. */
export const MAX_WINDOW_OPTION = "flight-cluster.max_flow_control_window";

/** The part of a Node ClientHttp2Session the tuner uses. */
export interface TunableSession {
  readonly destroyed: boolean;
  ping(callback: (error: Error | null, durationMs: number, payload: Buffer) => void): boolean;
  setLocalWindowSize(bytes: number): void;
  settings(settings: { initialWindowSize: number }): void;
}

const FIRST_BACKOFF_MS = 50;
const MAX_BACKOFF_MS = 5000;

/**
 * The window after a round trip that carried `bytesPerRoundTrip` with `window` in force:
 * unchanged unless the round trip used more than two thirds of it, else twice the bytes
 * measured, at most `max`.
 */
export function nextWindow(window: number, bytesPerRoundTrip: number, max: number): number {
  if (bytesPerRoundTrip * 3 <= window * 2) return window;
  return Math.min(max, Math.max(window, 2 * bytesPerRoundTrip));
}

/** Counts of what the tuner did in this process (tests and diagnostics). */
export interface WindowTunerStats {
  /** Sessions being tuned. */
  readonly sessions: number;
  /** PINGs sent to measure a round trip. */
  readonly pings: number;
  /** Times a session's window grew. */
  readonly growths: number;
  /** The largest window set on any session, bytes (0: none grew). */
  readonly largestWindow: number;
}

const stats = { sessions: 0, pings: 0, growths: 0, largestWindow: 0 };

/** What the tuner did so far in this process. */
export function windowTunerStats(): WindowTunerStats {
  return { ...stats };
}

/** The bandwidth-delay estimator of one session. */
export class SessionWindowTuner {
  readonly #session: TunableSession;
  readonly #max: number;
  readonly #now: () => number;
  #window: number;
  #received = 0;
  #pingFrom: number | undefined;
  #nextPingAt = 0;
  #backoffMs = FIRST_BACKOFF_MS;

  /**
   * @param session - the client session.
   * @param window - its current receive window (stream and connection), bytes.
   * @param max - the largest window to grow to, bytes.
   * @param now - clock in ms (tests).
   */
  constructor(session: TunableSession, window: number, max: number, now: () => number = () => performance.now()) {
    this.#session = session;
    this.#window = window;
    this.#max = max;
    this.#now = now;
  }

  /** The window in force, bytes. */
  get window(): number {
    return this.#window;
  }

  /** `bytes` of DATA arrived on one of the session's streams. */
  onData(bytes: number): void {
    this.#received += bytes;
    if (this.#pingFrom !== undefined || this.#window >= this.#max || this.#session.destroyed) return;
    if (this.#now() < this.#nextPingAt) return;
    this.#pingFrom = this.#received;
    let sent = false;
    try {
      sent = this.#session.ping((error) => this.#onPingAck(error));
    } catch {
      sent = false;
    }
    if (sent) stats.pings++;
    else this.#pingFrom = undefined;
  }

  #onPingAck(error: Error | null): void {
    const carried = this.#received - (this.#pingFrom ?? this.#received);
    this.#pingFrom = undefined;
    if (error !== null || this.#session.destroyed) return;
    const next = nextWindow(this.#window, carried, this.#max);
    if (next <= this.#window) {
      this.#nextPingAt = this.#now() + this.#backoffMs;
      this.#backoffMs = Math.min(MAX_BACKOFF_MS, this.#backoffMs * 2);
      return;
    }
    try {
      this.#session.setLocalWindowSize(next);
      this.#session.settings({ initialWindowSize: next });
    } catch {
      return;
    }
    this.#window = next;
    this.#backoffMs = FIRST_BACKOFF_MS;
    stats.growths++;
    stats.largestWindow = Math.max(stats.largestWindow, next);
  }
}

/** Where the hook reports that grpc-js is not as expected. */
export type WindowTunerWarning = (message: string, fields: Readonly<Record<string, unknown>>) => void;

type CreateCall = (this: TransportLike, ...args: unknown[]) => unknown;

interface TransportLike {
  readonly session?: unknown;
  readonly options?: Readonly<Record<string, unknown>>;
}

let installed: "no" | "yes" | "failed" = "no";
const tuners = new WeakMap<object, SessionWindowTuner | null>();

function isTunable(session: unknown): session is TunableSession & object {
  if (typeof session !== "object" || session === null) return false;
  const s = session as Record<string, unknown>;
  return (
    typeof s["ping"] === "function" &&
    typeof s["setLocalWindowSize"] === "function" &&
    typeof s["settings"] === "function"
  );
}

/** The tuner of a transport's session: created on first sight, null when the channel is not tuned. */
function tunerFor(transport: TransportLike): SessionWindowTuner | null {
  const session = transport.session;
  if (!isTunable(session)) return null;
  const known = tuners.get(session);
  if (known !== undefined) return known;
  const options = transport.options ?? {};
  const max = options[MAX_WINDOW_OPTION];
  const window = options["grpc-node.flow_control_window"];
  const tuner =
    typeof max === "number" && typeof window === "number" && max > window
      ? new SessionWindowTuner(session, window, max)
      : null;
  if (tuner !== null) stats.sessions++;
  tuners.set(session, tuner);
  return tuner;
}

/** Wraps a transport prototype's `createCall` so each new stream feeds its session's tuner. */
function hookCreateCall(proto: Record<string, unknown>): boolean {
  const original = proto["createCall"];
  if (typeof original !== "function") return false;
  const createCall = original as CreateCall;
  proto["createCall"] = function (this: TransportLike, ...args: unknown[]): unknown {
    const call = createCall.apply(this, args);
    const tuner = tunerFor(this);
    const stream = tuner === null ? undefined : (call as { http2Stream?: unknown } | undefined)?.http2Stream;
    if (
      tuner !== null &&
      typeof stream === "object" &&
      stream !== null &&
      typeof Reflect.get(stream, "on") === "function"
    ) {
      (stream as NodeJS.EventEmitter).on("data", (chunk: Buffer) => tuner.onData(chunk.length));
    }
    return call;
  };
  return true;
}

/**
 * Install the hook (once per process; later calls do nothing). grpc-js 1.14 does not export
 * its `Http2Transport` class, so the hook wraps `Http2SubchannelConnector.createSession` and
 * patches the prototype of the first transport it returns. Never throws: a grpc-js that is
 * not shaped as expected gets one warning and fixed windows.
 */
export function installWindowTuner(warn: WindowTunerWarning): void {
  if (installed !== "no") return;
  installed = "failed";
  const problem = (text: string) =>
    warn("grpc-js internals not as expected; HTTP/2 windows stay fixed", { problem: text });
  let connector: Record<string, unknown> | undefined;
  try {
    const module = createRequire(import.meta.url)("@grpc/grpc-js/build/src/transport.js") as Record<string, unknown>;
    connector = (module["Http2SubchannelConnector"] as { prototype?: Record<string, unknown> } | undefined)?.prototype;
  } catch (error) {
    problem(`cannot load @grpc/grpc-js/build/src/transport.js (${String(error)})`);
    return;
  }
  const original = connector?.["createSession"];
  if (connector === undefined || typeof original !== "function") {
    problem("Http2SubchannelConnector.createSession not found");
    return;
  }
  const createSession = original as (this: unknown, ...args: unknown[]) => unknown;
  let transportHooked = false;
  connector["createSession"] = function (this: unknown, ...args: unknown[]): unknown {
    const result = createSession.apply(this, args);
    if (transportHooked || !(result instanceof Promise)) return result;
    return result.then((transport: unknown) => {
      if (!transportHooked && typeof transport === "object" && transport !== null) {
        transportHooked = true;
        const proto = Object.getPrototypeOf(transport) as Record<string, unknown>;
        if (!hookCreateCall(proto)) {
          installed = "failed";
          problem("Http2Transport.createCall not found");
        }
      }
      return transport;
    });
  };
  installed = "yes";
}

/** Whether the hook is in place (tests and diagnostics). */
export function windowTunerInstalled(): boolean {
  return installed === "yes";
}
