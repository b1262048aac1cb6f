/**
 * The Flight messages as TypeScript users see them.
 *
 * These are plain, immutable shapes named after their pyarrow.flight
 * counterparts (`FlightDescriptor.forPath`, `FlightInfo.endpoints`, ...). The
 * protobuf encoding lives in `flight-messages-codec.ts`; FlightData, the hot
 * path, has its own codec in `flight-data.ts`.
 */
import type { Schema } from "apache-arrow";
import { LocationFactory } from "./location.js";

/** Names a flight: a path of strings (`["sales", "2026"]`) or an opaque command. */
export type FlightDescriptor =
  | { readonly type: "path"; readonly path: readonly string[] }
  | { readonly type: "cmd"; readonly cmd: Uint8Array };

/** Constructors for {@link FlightDescriptor}, as in pyarrow. */
export const FlightDescriptor = {
  /** A PATH descriptor from its components. */
  forPath(...path: string[]): FlightDescriptor {
    return { type: "path", path };
  },
  /** A CMD descriptor; strings are encoded as UTF-8. */
  forCommand(cmd: Uint8Array | string): FlightDescriptor {
    return { type: "cmd", cmd: typeof cmd === "string" ? new TextEncoder().encode(cmd) : cmd };
  },
} as const;

/** An opaque token redeemed with DoGet. */
export interface Ticket {
  readonly ticket: Uint8Array;
}

/** A URI where a ticket can be redeemed: `grpc+tcp://host:port`, `grpc+tls://…`, `grpc+unix:///path`. */
export interface Location {
  readonly uri: string;
}

/** Constructors for {@link Location}, as in pyarrow: `Location.forGrpcTcp(host, port)`, `forGrpcTls`, `forGrpcUnix`, `parse`. */
export const Location = LocationFactory;

/** The special location meaning "redeem on the connection that returned the FlightInfo". */
export const REUSE_CONNECTION_URI = "arrow-flight-reuse-connection://?";

/** One part of a flight: a ticket and the locations (replicas) that serve identical data for it. */
export interface FlightEndpoint {
  readonly ticket: Ticket;
  /** Empty means: redeem on the service that returned this endpoint. */
  readonly locations: readonly Location[];
  /** When set, the ticket may be retried until this time. */
  readonly expirationTime?: Date | undefined;
  readonly appMetadata: Uint8Array;
}

/** The plan for reading a flight. */
export interface FlightInfo {
  readonly schema: Schema;
  readonly descriptor: FlightDescriptor;
  readonly endpoints: readonly FlightEndpoint[];
  /** Number of rows, or -1 if unknown. */
  readonly totalRecords: number;
  /** Number of bytes, or -1 if unknown. */
  readonly totalBytes: number;
  /** When true, the flight's data is the concatenation of the endpoints in order. */
  readonly ordered: boolean;
  readonly appMetadata: Uint8Array;
}

/** Progress of a long-running query (PollFlightInfo). */
export interface PollInfo {
  /** The results available so far (every response carries the complete set). */
  readonly info?: FlightInfo | undefined;
  /** Descriptor to poll with next; absent when the query is complete. */
  readonly descriptor?: FlightDescriptor | undefined;
  /** In [0, 1] when known. */
  readonly progress?: number | undefined;
  readonly expirationTime?: Date | undefined;
}

/** Filter for ListFlights; its meaning is the server's. */
export interface Criteria {
  readonly expression: Uint8Array;
}

/** A named action with an opaque body. */
export interface Action {
  readonly type: string;
  readonly body: Uint8Array;
}

/** An action a server offers. */
export interface ActionType {
  readonly type: string;
  readonly description: string;
}

/** One result of DoAction. */
export interface Result {
  readonly body: Uint8Array;
}

/** One acknowledgement of DoPut. */
export interface PutResult {
  readonly appMetadata: Uint8Array;
}

/** A handshake message in either direction. */
export interface HandshakeMessage {
  readonly protocolVersion: bigint;
  readonly payload: Uint8Array;
}

/** Outcome of the CancelFlightInfo action (numbers fixed by the spec). */
export const CancelStatus = {
  Unspecified: 0,
  Cancelled: 1,
  Cancelling: 2,
  NotCancellable: 3,
} as const;
export type CancelStatus = (typeof CancelStatus)[keyof typeof CancelStatus];

/** Names of the actions the Flight specification defines. */
export const WellKnownAction = {
  CancelFlightInfo: "CancelFlightInfo",
  RenewFlightEndpoint: "RenewFlightEndpoint",
  SetSessionOptions: "SetSessionOptions",
  GetSessionOptions: "GetSessionOptions",
  CloseSession: "CloseSession",
} as const;
