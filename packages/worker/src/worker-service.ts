/**
 * The worker's Flight service: DoGet of shards (shard-doget.ts), put-shard DoPut
 * (shard-doput.ts), the shard actions (shard-actions.ts) and ListActions. Every error
 * leaves through `toFlightError` (worker-flight-error.ts), with the internal code in
 * the `x-flight-cluster-error` trailer; internal causes are logged, not sent.
 */
import type { FlightServerHandlers, ServerCallContext } from "@flight-cluster/protocol";
import { runWorkerAction, WORKER_ACTIONS } from "./shard-actions.js";
import { doGetShard } from "./shard-doget.js";
import { doPutShard } from "./shard-doput.js";
import type { WorkerContext } from "./worker-context.js";
import { ERROR_CODE_TRAILER, toFlightError } from "./worker-flight-error.js";

async function mapped<T>(wc: WorkerContext, ctx: ServerCallContext, what: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (thrown) {
    const { error, code } = toFlightError(thrown);
    if (code !== undefined) ctx.addTrailer(ERROR_CODE_TRAILER, code);
    if (error.code === 13) {
      wc.logger.log("error", "call_failed", { call: what, peer: ctx.peer, error: thrown, cause: error.cause });
    } else {
      wc.logger.log("debug", "call_refused", {
        call: what,
        peer: ctx.peer,
        status: error.code,
        message: error.rawMessage,
      });
    }
    throw error;
  }
}

/** The Flight handlers of a worker. */
export function createWorkerService(wc: WorkerContext): FlightServerHandlers {
  return {
    doGet: (ctx, ticket) => mapped(wc, ctx, "DoGet", () => doGetShard(wc, ctx, ticket)),
    doPut: (ctx, reader, writer) => mapped(wc, ctx, "DoPut", () => doPutShard(wc, ctx, reader, writer)),
    doAction: (ctx, action) =>
      mapped(wc, ctx, `DoAction:${action.type.slice(0, 64)}`, () => runWorkerAction(wc, ctx, action)),
    listActions: async () => WORKER_ACTIONS,
  };
}
