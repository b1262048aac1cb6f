/**
 * Reference (b): a grpc-js service with DoGet's path whose messages are opaque bytes.
 * Identity serializers mean grpc-js does nothing but framing and flow control, so this
 * measures the ceiling for any Flight implementation on grpc-js.
 */
import type { ServiceDefinition } from "@grpc/grpc-js";

/** DoGet's gRPC path, as in Flight.proto. */
export const DO_GET_PATH = "/arrow.flight.protocol.FlightService/DoGet";

const identity = (bytes: Buffer): Buffer => bytes;

/** Generic service definition: one server-streaming method, DoGet, requests and responses are raw bytes. */
export const passthroughService: ServiceDefinition = {
  DoGet: {
    path: DO_GET_PATH,
    requestStream: false,
    responseStream: true,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};

/**
 * grpc-js channel options every benchmark client uses: a 16 MiB HTTP/2 flow-control window
 * (measured 3x faster than the default on this class of machine) and no receive limit.
 */
export const BENCH_CHANNEL_OPTIONS = {
  "grpc-node.flow_control_window": 16 * 1024 * 1024,
  "grpc.max_receive_message_length": -1,
} as const;
