/**
 * Reading one endpoint with failover and resume (the "retry" layer under the merge).
 *
 * Each attempt picks the best live location (location-choice.ts), waits for its probe,
 * and DoGets the endpoint's latest ticket there. Batches go to the merge as they arrive
 * and are counted. When an attempt fails:
 * - the fetch's own cancellation, and errors that would fail anywhere (bad or unknown
 *   ticket, auth, unimplemented, malformed data) end the fetch;
 * - anything else moves to the next location; a location that could not be reached or
 *   stopped answering is marked dead for every endpoint;
 * - after a mid-stream failure the next attempt resumes after the last batch delivered:
 *   it sends `x-flight-cluster-skip-batches: N`, and unless the server acknowledges the
 *   header with the same value in its response headers, the client drops the first N
 *   batches itself. Nothing is duplicated or lost either way.
 */
import {
  FlightDataDecoder,
  type FlightEndpoint,
  FlightError,
  type FlightStreamReader,
  getHeader,
  type OutgoingHeaders,
  StatusCode,
} from "@flight-cluster/protocol";
import type { BatchMerge } from "./batch-merge.js";
import { abortError, ClientError } from "./client-error.js";
import type { ResolvedFetchOptions } from "./client-options.js";
import { SKIP_BATCHES_HEADER, shardMetadata } from "./cluster-protocol.js";
import type { FetchProgressTracker } from "./fetch-progress.js";
import { type Candidate, rankLocations } from "./location-choice.js";
import { isUnreachable, type LocationPool, type ProbeReport } from "./location-pool.js";
import type { LocationStats } from "./location-stats.js";

/** What reading one endpoint needs from its fetch. */
export interface EndpointReadContext {
  readonly index: number;
  readonly pool: LocationPool;
  readonly stats: LocationStats;
  readonly options: ResolvedFetchOptions;
  /** The fetch's signal (the caller's, plus the fetch's own failure and stop). */
  readonly signal: AbortSignal;
  /** Headers of every DoGet of this fetch. */
  readonly headers: OutgoingHeaders;
  readonly callerZone: string | undefined;
  zoneOf(uri: string): string | undefined;
  /** The endpoint as last renewed. */
  current(): FlightEndpoint;
  readonly merge: BatchMerge;
  readonly progress: FetchProgressTracker;
  readonly probeReport: ProbeReport;
}

/** Statuses that mean the request itself is wrong: another location would fail the same way. */
const FATAL: ReadonlySet<number> = new Set([
  StatusCode.INVALID_ARGUMENT,
  StatusCode.NOT_FOUND,
  StatusCode.ALREADY_EXISTS,
  StatusCode.PERMISSION_DENIED,
  StatusCode.RESOURCE_EXHAUSTED,
  StatusCode.OUT_OF_RANGE,
  StatusCode.UNIMPLEMENTED,
  StatusCode.UNAUTHENTICATED,
]);

/** How one DoGet attempt ended. */
interface AttemptResult {
  readonly error: FlightError | undefined;
  /** Batches delivered to the merge by this attempt. */
  readonly delivered: number;
  readonly rows: number;
}

function candidatesOf(endpoint: FlightEndpoint, pool: LocationPool): Candidate[] {
  if (endpoint.locations.length === 0) return [{ uri: pool.origin.uri, order: 0 }];
  const seen = new Set<string>();
  const out: Candidate[] = [];
  endpoint.locations.forEach((location, order) => {
    const uri = pool.key(location.uri);
    if (seen.has(uri)) return;
    seen.add(uri);
    out.push({ uri, order });
  });
  return out;
}

/**
 * Reads endpoint `ctx.index` completely into the merge.
 * @throws CANCELLED FlightError when the fetch is cancelled; ClientError `CLIENT_NO_LOCATION`
 *   when every location failed (message lists each error) or attempts ran out;
 *   `CLIENT_ROW_COUNT_MISMATCH` when the rows differ from the endpoint's metadata; a
 *   server's FlightError that no other location would answer differently.
 */
export async function readEndpoint(ctx: EndpointReadContext): Promise<void> {
  const { index, stats, pool, options } = ctx;
  let delivered = 0;
  let rows = 0;
  let lastLocation = "";
  const failures: string[] = [];
  let tried = new Set<string>();
  for (let attempt = 1; ; attempt++) {
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const endpoint = ctx.current();
    const all = candidatesOf(endpoint, pool);
    let live = all.filter((c) => !stats.isDead(c.uri) && !tried.has(c.uri));
    if (live.length === 0) {
      tried = new Set();
      live = all.filter((c) => !stats.isDead(c.uri));
    }
    if (live.length === 0 || attempt > options.maxAttempts) {
      const dead = all
        .filter((c) => stats.isDead(c.uri))
        .map((c) => `${c.uri} is down (${stats.deadReason(c.uri)?.message ?? "unreachable"})`);
      const why = [...failures, ...dead.filter((d) => !failures.some((f) => f.startsWith(d.split(" ")[0] ?? "")))];
      throw new ClientError(
        "CLIENT_NO_LOCATION",
        `endpoint ${index}: no location could serve it after ${attempt - 1} attempts` +
          (why.length === 0 ? "" : `: ${why.join("; ")}`),
      );
    }
    const choice = rankLocations(live, {
      rtt: (uri) => stats.baseRtt(uri),
      inflight: (uri) => stats.inflight(uri),
      zoneOf: (uri) => ctx.zoneOf(uri),
      callerZone: ctx.callerZone,
    })[0] as Candidate;
    tried.add(choice.uri);
    lastLocation = choice.uri;
    let result: AttemptResult;
    try {
      await pool.ready(choice.uri, ctx.signal, ctx.probeReport);
      result = await attemptRead(ctx, choice.uri, endpoint, delivered, attempt);
    } catch (error) {
      if (ctx.signal.aborted) throw abortError(ctx.signal);
      result = { error: FlightError.from(error), delivered: 0, rows: 0 };
    }
    delivered += result.delivered;
    rows += result.rows;
    const error = result.error;
    if (error === undefined) break;
    if (ctx.signal.aborted) throw abortError(ctx.signal);
    const fatal = error instanceof ClientError || FATAL.has(error.code);
    if (!fatal && isUnreachable(error) && pool.markDead(choice.uri, error)) {
      ctx.progress.emit({ kind: "location-dead", location: choice.uri, error });
    }
    failures.push(`${choice.uri}: ${error.message}`);
    ctx.progress.emit({
      kind: "failover",
      endpoint: index,
      location: choice.uri,
      error,
      batchesDelivered: delivered,
      willRetry: !fatal,
    });
    if (fatal) throw error;
  }
  const expected = options.verifyRows ? shardMetadata(ctx.current().appMetadata)?.rows : undefined;
  if (expected !== undefined && expected !== rows) {
    throw new ClientError(
      "CLIENT_ROW_COUNT_MISMATCH",
      `endpoint ${index} delivered ${rows} rows but its metadata announces ${expected}`,
    );
  }
  ctx.progress.endpointDone(index, lastLocation, rows, delivered);
}

/** One DoGet of `endpoint` at `uri`, skipping the `skip` batches already delivered. Never throws. */
async function attemptRead(
  ctx: EndpointReadContext,
  uri: string,
  endpoint: FlightEndpoint,
  skip: number,
  attempt: number,
): Promise<AttemptResult> {
  const { index, stats, options } = ctx;
  const pooled = ctx.pool.get(uri);
  const call = new AbortController();
  const onAbort = () => call.abort(ctx.signal.reason);
  ctx.signal.addEventListener("abort", onAbort, { once: true });
  let timedOut = false;
  let answered = false;
  let acknowledged: string | undefined;
  const started = performance.now();
  const onAnswer = () => {
    if (answered) return;
    answered = true;
    stats.sample(uri, performance.now() - started);
    if (timer !== undefined) clearTimeout(timer);
    timer = undefined;
  };
  let timer: NodeJS.Timeout | undefined =
    options.firstResponseTimeoutMs > 0
      ? setTimeout(() => {
          timedOut = true;
          call.abort();
        }, options.firstResponseTimeoutMs)
      : undefined;
  stats.begin(uri);
  ctx.progress.reading(index, uri);
  ctx.progress.emit({ kind: "attempt", endpoint: index, location: uri, attempt, skipBatches: skip });
  let delivered = 0;
  let rows = 0;
  let reader: FlightStreamReader | undefined;
  try {
    const askServer = skip > 0 && options.resume === "acknowledged";
    const headers = askServer ? { ...ctx.headers, [SKIP_BATCHES_HEADER]: String(skip) } : ctx.headers;
    reader = pooled.observer.observe(
      {
        receivedHeaders(received) {
          acknowledged = getHeader(received, SKIP_BATCHES_HEADER);
          onAnswer();
        },
      },
      () => pooled.client.doGet(endpoint.ticket, { signal: call.signal, headers }),
    );
    const decoder = new FlightDataDecoder();
    let toSkip: number | undefined;
    for (;;) {
      const frame = await reader.readFrame();
      onAnswer();
      if (toSkip === undefined) {
        toSkip = skip > 0 && !(askServer && acknowledged === String(skip)) ? skip : 0;
        if (skip > 0) {
          ctx.progress.emit({
            kind: "resume",
            endpoint: index,
            location: uri,
            skipBatches: skip,
            skippedBy: toSkip === 0 ? "server" : "client",
          });
        }
      }
      if (frame === undefined) break;
      if (frame.header.byteLength === 0) continue;
      const decoded = decoder.decode(frame);
      if (decoded.kind !== "batch") continue;
      if (toSkip > 0) {
        toSkip--;
        continue;
      }
      const bytes = frame.header.byteLength + frame.body.byteLength;
      await ctx.merge.push(index, decoded.batch, bytes, ctx.signal);
      delivered++;
      rows += decoded.batch.numRows;
      ctx.progress.batch(index, uri, decoded.batch.numRows, bytes);
    }
    if (toSkip !== undefined && toSkip > 0) {
      return {
        error: new ClientError(
          "CLIENT_ROW_COUNT_MISMATCH",
          `endpoint ${index}: ${uri} sent fewer batches than the ${skip} already received from another location`,
        ),
        delivered,
        rows,
      };
    }
    return { error: undefined, delivered, rows };
  } catch (error) {
    const failure = timedOut
      ? new FlightError(
          StatusCode.DEADLINE_EXCEEDED,
          `no response from ${uri} within ${options.firstResponseTimeoutMs} ms`,
        )
      : ctx.signal.aborted
        ? abortError(ctx.signal)
        : FlightError.from(error);
    return { error: failure, delivered, rows };
  } finally {
    if (timer !== undefined) clearTimeout(timer);
    ctx.signal.removeEventListener("abort", onAbort);
    reader?.cancel();
    stats.end(uri);
    ctx.pool.callEnded(uri);
  }
}
