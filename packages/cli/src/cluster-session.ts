/**
 * A client command's {@link ClusterClient} (the location-aware parallel client), opened
 * from the common client flags and closed afterwards, with "cannot connect" failures
 * turned into one clear line.
 */
import { type ClusterClient, createClusterClient } from "@flight-cluster/client";
import type { ClientFlags } from "./client-options.js";
import { unreachableError } from "./planner-session.js";

/**
 * Run `fn` with a client of the Flight service at `uri` (zone and per-request deadline from
 * `flags`) and close the client afterwards, whatever happens.
 * @throws CliError CLI_UNREACHABLE when the service cannot be connected to; otherwise what `fn` throws.
 */
export async function withClusterClient<T>(
  uri: string,
  flags: ClientFlags,
  fn: (client: ClusterClient) => Promise<T>,
): Promise<T> {
  const client = createClusterClient(uri, {
    ...(flags.zone === undefined ? {} : { zone: flags.zone }),
    actionTimeoutMs: flags.timeoutMs,
    receiveThreads: flags.receiveThreads ?? 0,
  });
  try {
    return await fn(client);
  } catch (error) {
    throw unreachableError(uri, error);
  } finally {
    client.close();
  }
}
