/**
 * The per-call context a server handler receives (pyarrow's `ServerCallContext`).
 */
import type { HeaderValue, IncomingHeaders, OutgoingHeaders } from "./call-options.js";
import { createFlightError, StatusCode } from "./flight-error.js";
import type { FlightMethod, ServerCallAdapter } from "./grpc-service.js";
import type { ServerMiddleware } from "./middleware.js";

function appendHeader(target: Record<string, HeaderValue[]>, name: string, value: HeaderValue): void {
  const key = name.toLowerCase();
  const list = target[key];
  if (list === undefined) target[key] = [value];
  else list.push(value);
}

/** What a handler knows about the call it serves, and how it adds response headers and trailers. */
export interface ServerCallContext {
  /** The Flight RPC being served. */
  readonly method: FlightMethod;
  /** The client's address, `ip:port`. */
  readonly peer: string;
  /** The authenticated identity; empty when the server has no auth handler. */
  readonly peerIdentity: string;
  /** Subject of the client's verified TLS certificate (mTLS), when there is one. */
  readonly peerCertificateSubject: string | undefined;
  /** Request headers, lower-case names. */
  readonly headers: IncomingHeaders;
  /** The client's deadline, if any. */
  readonly deadline: Date | undefined;
  /**
   * Aborted when the client cancels, the deadline passes, the connection drops or the
   * server is forced to stop. Pass it on to anything long-running the handler awaits.
   */
  readonly signal: AbortSignal;
  /** True once `signal` is aborted (pyarrow's `is_cancelled()`). */
  isCancelled(): boolean;
  /** Adds a response header. Ignored once headers were sent (after the first response message). */
  addHeader(name: string, value: HeaderValue): void;
  /** Adds a response trailer. */
  addTrailer(name: string, value: HeaderValue): void;
  /** The middleware instance that the factory registered under `key` started for this call. */
  getMiddleware<T extends ServerMiddleware = ServerMiddleware>(key: string): T | undefined;
}

/** The server's implementation of {@link ServerCallContext}; internal to the server. */
export class ServerCallContextImpl implements ServerCallContext {
  readonly method: FlightMethod;
  readonly peer: string;
  readonly peerCertificateSubject: string | undefined;
  readonly headers: IncomingHeaders;
  readonly deadline: Date | undefined;
  readonly signal: AbortSignal;
  peerIdentity = "";
  readonly middleware = new Map<string, ServerMiddleware>();
  readonly #controller = new AbortController();
  readonly #call: ServerCallAdapter;
  readonly #responseHeaders: Record<string, HeaderValue[]> = {};
  readonly #trailers: Record<string, HeaderValue[]> = {};
  #headersSent = false;
  #deadlineTimer: NodeJS.Timeout | undefined;

  constructor(call: ServerCallAdapter) {
    this.#call = call;
    this.method = call.method;
    this.peer = call.peer;
    this.peerCertificateSubject = call.peerCertificateSubject;
    this.headers = call.headers;
    this.deadline = call.deadline;
    this.signal = this.#controller.signal;
    call.onCancel(() => {
      // grpc-js reports a passed deadline as a cancellation; tell the two apart (its timer
      // and ours start from the same grpc-timeout header; allow for millisecond rounding).
      const late = this.deadline !== undefined && Date.now() >= this.deadline.getTime() - 5;
      this.abort(
        late
          ? createFlightError(StatusCode.DEADLINE_EXCEEDED, "the call's deadline passed")
          : createFlightError(StatusCode.CANCELLED, "the client cancelled the call"),
      );
    });
    if (this.deadline !== undefined) {
      const ms = Math.max(0, this.deadline.getTime() - Date.now());
      this.#deadlineTimer = setTimeout(
        () => this.abort(createFlightError(StatusCode.DEADLINE_EXCEEDED, "the call's deadline passed")),
        ms,
      );
      this.#deadlineTimer.unref();
    }
  }

  isCancelled(): boolean {
    return this.signal.aborted;
  }

  addHeader(name: string, value: HeaderValue): void {
    if (this.#headersSent) return;
    appendHeader(this.#responseHeaders, name, value);
  }

  addTrailer(name: string, value: HeaderValue): void {
    appendHeader(this.#trailers, name, value);
  }

  getMiddleware<T extends ServerMiddleware = ServerMiddleware>(key: string): T | undefined {
    return this.middleware.get(key) as T | undefined;
  }

  /** Aborts the signal with `reason` (idempotent). */
  abort(reason: Error): void {
    if (!this.#controller.signal.aborted) this.#controller.abort(reason);
  }

  /** Sends the response headers (handler's plus middleware's) once. */
  flushHeaders(): void {
    if (this.#headersSent) return;
    this.#headersSent = true;
    const extra: OutgoingHeaders[] = [];
    for (const m of this.middleware.values()) {
      const h = m.sendingHeaders?.();
      if (h !== undefined) extra.push(h);
    }
    const merged: Record<string, HeaderValue[]> = { ...this.#responseHeaders };
    for (const h of extra) {
      for (const [k, v] of Object.entries(h)) {
        if (v === undefined) continue;
        const key = k.toLowerCase();
        const list = merged[key] ?? [];
        if (Array.isArray(v)) list.push(...(v as readonly HeaderValue[]));
        else list.push(v as HeaderValue);
        merged[key] = list;
      }
    }
    this.#call.sendHeaders(merged);
  }

  /**
   * Writes one response message after the headers; false means: await `drained()`.
   * `onWritten` runs once the transport no longer needs the message's bytes (never if the call fails first).
   */
  write(message: Uint8Array, onWritten?: () => void): boolean {
    if (!this.#headersSent) this.flushHeaders();
    return this.#call.write(message, onWritten);
  }

  /** Resolves when the transport accepts more. */
  drained(): Promise<void> {
    return this.#call.drained();
  }

  /** Writes one message and waits for the transport when its buffer is full. */
  async send(message: Uint8Array): Promise<void> {
    if (!this.write(message)) await this.#call.drained();
  }

  /** The trailers the handler added. */
  get trailers(): OutgoingHeaders {
    return this.#trailers;
  }

  /** Stops the deadline timer; call once the call is over. */
  dispose(): void {
    if (this.#deadlineTimer !== undefined) clearTimeout(this.#deadlineTimer);
  }
}
