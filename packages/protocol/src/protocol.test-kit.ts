/**
 * Test kit: a real FlightServer on 127.0.0.1 port 0 and a client connected to it.
 * Teardown closes the client, then drains the server (waiting for its connections).
 */
import type { RecordBatch } from "apache-arrow";
import { connect, type FlightClient, type FlightClientOptions } from "./flight-client.js";
import { FlightServer, type FlightServerOptions } from "./flight-server.js";
import type { FlightServerHandlers } from "./flight-server-handlers.js";
import { silentLogger } from "./logger.js";
import { GeneratorStream } from "./server-data-stream.js";

export interface TestServer {
  readonly server: FlightServer;
  readonly client: FlightClient;
  readonly uri: string;
  readonly port: number;
  /** Another client for the same server (closed by `close`). */
  connect(options?: FlightClientOptions): FlightClient;
  close(): Promise<void>;
}

export async function startTestServer(
  handlers: FlightServerHandlers,
  serverOptions: FlightServerOptions = {},
  clientOptions: FlightClientOptions = {},
): Promise<TestServer> {
  const server = new FlightServer(handlers, { logger: silentLogger, ...serverOptions });
  const { port, location } = await server.listen({ host: "127.0.0.1", port: 0 });
  const clients: FlightClient[] = [];
  const open = (options: FlightClientOptions = {}): FlightClient => {
    const c = connect(location, { ...clientOptions, ...options });
    clients.push(c);
    return c;
  };
  const client = open();
  return {
    server,
    client,
    uri: location.uri,
    port,
    connect: open,
    async close() {
      for (const c of clients) c.close();
      await server.drain(1_000);
    },
  };
}

/** Collects an async iterable into an array. */
export async function collect<T>(items: AsyncIterable<T>): Promise<T[]> {
  const out: T[] = [];
  for await (const item of items) out.push(item);
  return out;
}

export const utf8 = (text: string): Uint8Array => new TextEncoder().encode(text);
export const text = (bytes: Uint8Array): string => new TextDecoder().decode(bytes);

/** A DoGet result that sends `batch` forever (until cancelled), calling `onYield` before each. */
export function endlessStream(batch: RecordBatch, onYield: () => void = () => {}): GeneratorStream {
  return new GeneratorStream(
    batch.schema,
    (function* () {
      for (;;) {
        onYield();
        yield batch;
      }
    })(),
  );
}
