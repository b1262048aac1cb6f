/**
 * Per-call options and the header types shared by the client and the server.
 *
 * Header names are lower-case ASCII. Values are strings, except for names ending
 * in `-bin`, whose values are bytes (gRPC base64-encodes them on the wire).
 */

/** One header value: text, or bytes for `-bin` headers. */
export type HeaderValue = string | Uint8Array;

/** Headers to send: name -> one value or several (undefined values are skipped). */
export type OutgoingHeaders = Readonly<Record<string, HeaderValue | readonly HeaderValue[] | undefined>>;

/** Headers received: lower-case name -> every value, in arrival order. */
export type IncomingHeaders = Readonly<Record<string, readonly HeaderValue[]>>;

/** Options every client call accepts (pyarrow's `FlightCallOptions`). */
export interface CallOptions {
  /** Extra request headers for this call (added to the client's default headers). */
  readonly headers?: OutgoingHeaders;
  /** Deadline for the whole call, in milliseconds from now. Past it the call fails with DEADLINE_EXCEEDED. */
  readonly timeoutMs?: number;
  /** Aborting cancels the call; it then fails with CANCELLED (or DEADLINE_EXCEEDED for a `TimeoutError` reason). */
  readonly signal?: AbortSignal;
}

/** The first text value of a header, or undefined. Case-insensitive name. */
export function getHeader(headers: IncomingHeaders, name: string): string | undefined {
  const values = headers[name.toLowerCase()];
  if (values === undefined) return undefined;
  for (const v of values) if (typeof v === "string") return v;
  return undefined;
}

/** Every text value of a header. Case-insensitive name. */
export function getHeaderValues(headers: IncomingHeaders, name: string): string[] {
  const values = headers[name.toLowerCase()] ?? [];
  return values.filter((v): v is string => typeof v === "string");
}

/** Merges header sets; later sets add values to earlier ones (they do not replace them). */
export function mergeHeaders(...sets: ReadonlyArray<OutgoingHeaders | undefined>): Record<string, HeaderValue[]> {
  const out: Record<string, HeaderValue[]> = {};
  for (const set of sets) {
    if (set === undefined) continue;
    for (const [rawName, value] of Object.entries(set)) {
      if (value === undefined) continue;
      const name = rawName.toLowerCase();
      const list = out[name] ?? [];
      if (Array.isArray(value)) list.push(...(value as readonly HeaderValue[]));
      else list.push(value as HeaderValue);
      out[name] = list;
    }
  }
  return out;
}
