/**
 * Protobuf encoding of the Flight messages (everything except FlightData, which
 * has its own zero-copy codec in flight-data.ts).
 *
 * Converts between the TypeScript shapes of flight-messages.ts and the protobuf-es
 * types generated from proto/flight.proto. Decoding never throws anything but a
 * {@link FlightError}: malformed bytes and invalid UTF-8 in string fields become
 * INVALID_ARGUMENT naming the message and field (`FlightDescriptor.path[0]`).
 */
import { create, type DescMessage, fromBinary, type MessageShape, toBinary } from "@bufbuild/protobuf";
import { BinaryReader, WireType } from "@bufbuild/protobuf/wire";
import { type Timestamp, timestampDate, timestampFromDate } from "@bufbuild/protobuf/wkt";
import { FlightError, FlightInvalidArgumentError } from "./flight-error.js";
import type {
  Action,
  ActionType,
  CancelStatus,
  Criteria,
  FlightDescriptor,
  FlightEndpoint,
  FlightInfo,
  HandshakeMessage,
  Location,
  PollInfo,
  PutResult,
  Result,
  Ticket,
} from "./flight-messages.js";
import * as pb from "./gen/flight_pb.js";
import { decodeSchema, encodeSchema } from "./ipc-schema.js";

const utf8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });
const STRING_SCALAR = 9; // ScalarType.STRING in protobuf-es

/**
 * Finds the first string field (recursively) holding invalid UTF-8 and returns its
 * path (`FlightDescriptor.path[0]`), or undefined. Used only to explain a failed decode.
 */
function findInvalidUtf8(desc: DescMessage, bytes: Uint8Array, prefix: string, depth = 0): string | undefined {
  if (depth > 16) return undefined;
  const reader = new BinaryReader(bytes);
  const counts = new Map<number, number>();
  try {
    while (reader.pos < reader.len) {
      const [no, wireType] = reader.tag();
      if (wireType !== WireType.LengthDelimited) {
        reader.skip(wireType, no);
        continue;
      }
      const data = reader.bytes();
      const field = desc.fields.find((f) => f.number === no);
      if (field === undefined) continue;
      const index = counts.get(no) ?? 0;
      counts.set(no, index + 1);
      const name = field.fieldKind === "list" ? `${prefix}.${field.name}[${index}]` : `${prefix}.${field.name}`;
      const isString =
        (field.fieldKind === "scalar" && field.scalar === STRING_SCALAR) ||
        (field.fieldKind === "list" && field.listKind === "scalar" && field.scalar === STRING_SCALAR);
      if (isString) {
        try {
          utf8.decode(data);
        } catch {
          return name;
        }
        continue;
      }
      const sub =
        field.fieldKind === "message" ? field.message : field.fieldKind === "list" ? field.message : undefined;
      if (sub !== undefined) {
        const found = findInvalidUtf8(sub, data, name, depth + 1);
        if (found !== undefined) return found;
      }
    }
  } catch {
    return undefined;
  }
  return undefined;
}

/**
 * Parses protobuf bytes into a generated message.
 * @throws FlightInvalidArgumentError naming the message, and the field for invalid UTF-8.
 */
export function decodeProto<Desc extends DescMessage>(desc: Desc, bytes: Uint8Array): MessageShape<Desc> {
  try {
    return fromBinary(desc, bytes, { readUnknownFields: false });
  } catch (error) {
    const typeName = desc.name;
    const field = findInvalidUtf8(desc, bytes, typeName);
    if (field !== undefined) throw new FlightInvalidArgumentError(`invalid UTF-8 in ${field}`, { cause: error });
    throw new FlightInvalidArgumentError(`malformed ${typeName} message`, { cause: error });
  }
}

/** Serializes a generated message. */
export function encodeProto<Desc extends DescMessage>(desc: Desc, message: MessageShape<Desc>): Uint8Array {
  return toBinary(desc, message);
}

function toTimestamp(date: Date | undefined): Timestamp | undefined {
  return date === undefined ? undefined : timestampFromDate(date);
}

function fromTimestamp(ts: Timestamp | undefined): Date | undefined {
  return ts === undefined ? undefined : timestampDate(ts);
}

function int64ToNumber(value: bigint): number {
  return value > BigInt(Number.MAX_SAFE_INTEGER) || value < BigInt(Number.MIN_SAFE_INTEGER) ? -1 : Number(value);
}

// ---- FlightDescriptor -------------------------------------------------------------------------

/** TypeScript descriptor -> generated message. */
export function descriptorToProto(descriptor: FlightDescriptor): pb.FlightDescriptor {
  return descriptor.type === "path"
    ? create(pb.FlightDescriptorSchema, { type: pb.FlightDescriptor_DescriptorType.PATH, path: [...descriptor.path] })
    : create(pb.FlightDescriptorSchema, { type: pb.FlightDescriptor_DescriptorType.CMD, cmd: descriptor.cmd });
}

/**
 * Generated message -> TypeScript descriptor.
 * @throws FlightInvalidArgumentError when the type is neither PATH nor CMD.
 */
export function descriptorFromProto(descriptor: pb.FlightDescriptor): FlightDescriptor {
  switch (descriptor.type) {
    case pb.FlightDescriptor_DescriptorType.PATH:
      return { type: "path", path: descriptor.path };
    case pb.FlightDescriptor_DescriptorType.CMD:
      return { type: "cmd", cmd: descriptor.cmd };
    default:
      throw new FlightInvalidArgumentError(`FlightDescriptor.type must be PATH or CMD, got ${descriptor.type}`);
  }
}

/** Serializes a FlightDescriptor (also the raw bytes of FlightData.flight_descriptor). */
export function encodeDescriptor(descriptor: FlightDescriptor): Uint8Array {
  return toBinary(pb.FlightDescriptorSchema, descriptorToProto(descriptor));
}

/** Parses a FlightDescriptor. @throws FlightInvalidArgumentError (malformed, invalid UTF-8 in a path, unknown type). */
export function decodeDescriptor(bytes: Uint8Array): FlightDescriptor {
  return descriptorFromProto(decodeProto(pb.FlightDescriptorSchema, bytes));
}

// ---- Ticket, Location, Endpoint -----------------------------------------------------------------

/** Serializes a Ticket. */
export function encodeTicket(ticket: Ticket): Uint8Array {
  return toBinary(pb.TicketSchema, create(pb.TicketSchema, { ticket: ticket.ticket }));
}

/** Parses a Ticket. @throws FlightInvalidArgumentError */
export function decodeTicket(bytes: Uint8Array): Ticket {
  return { ticket: decodeProto(pb.TicketSchema, bytes).ticket };
}

/** TypeScript endpoint -> generated message. */
export function endpointToProto(endpoint: FlightEndpoint): pb.FlightEndpoint {
  return create(pb.FlightEndpointSchema, {
    ticket: create(pb.TicketSchema, { ticket: endpoint.ticket.ticket }),
    location: endpoint.locations.map((l) => create(pb.LocationSchema, { uri: l.uri })),
    expirationTime: toTimestamp(endpoint.expirationTime),
    appMetadata: endpoint.appMetadata,
  });
}

/** Generated message -> TypeScript endpoint. */
export function endpointFromProto(endpoint: pb.FlightEndpoint): FlightEndpoint {
  return {
    ticket: { ticket: endpoint.ticket?.ticket ?? new Uint8Array(0) },
    locations: endpoint.location.map((l): Location => ({ uri: l.uri })),
    expirationTime: fromTimestamp(endpoint.expirationTime),
    appMetadata: endpoint.appMetadata,
  };
}

/** Serializes a FlightEndpoint. */
export function encodeEndpoint(endpoint: FlightEndpoint): Uint8Array {
  return toBinary(pb.FlightEndpointSchema, endpointToProto(endpoint));
}

/** Parses a FlightEndpoint. @throws FlightInvalidArgumentError */
export function decodeEndpoint(bytes: Uint8Array): FlightEndpoint {
  return endpointFromProto(decodeProto(pb.FlightEndpointSchema, bytes));
}

// ---- FlightInfo, PollInfo -------------------------------------------------------------------------

/** TypeScript FlightInfo -> generated message (the schema is IPC-encoded). */
export function flightInfoToProto(info: FlightInfo): pb.FlightInfo {
  return create(pb.FlightInfoSchema, {
    schema: encodeSchema(info.schema),
    flightDescriptor: descriptorToProto(info.descriptor),
    endpoint: info.endpoints.map(endpointToProto),
    totalRecords: BigInt(info.totalRecords),
    totalBytes: BigInt(info.totalBytes),
    ordered: info.ordered,
    appMetadata: info.appMetadata,
  });
}

/**
 * Generated message -> TypeScript FlightInfo. A missing or UNKNOWN-typed descriptor
 * (some servers omit it) becomes an empty CMD descriptor.
 * @throws FlightInvalidArgumentError for an undecodable schema.
 */
export function flightInfoFromProto(info: pb.FlightInfo): FlightInfo {
  const d = info.flightDescriptor;
  const descriptor: FlightDescriptor =
    d === undefined || d.type === pb.FlightDescriptor_DescriptorType.UNKNOWN
      ? { type: "cmd", cmd: d?.cmd ?? new Uint8Array(0) }
      : descriptorFromProto(d);
  return {
    schema: decodeSchemaField(info.schema, "FlightInfo.schema"),
    descriptor,
    endpoints: info.endpoint.map(endpointFromProto),
    totalRecords: int64ToNumber(info.totalRecords),
    totalBytes: int64ToNumber(info.totalBytes),
    ordered: info.ordered,
    appMetadata: info.appMetadata,
  };
}

function decodeSchemaField(bytes: Uint8Array, field: string): FlightInfo["schema"] {
  try {
    return decodeSchema(bytes);
  } catch (error) {
    const reason = error instanceof FlightError ? error.rawMessage : "not an encapsulated IPC schema";
    throw new FlightInvalidArgumentError(`${field}: ${reason}`, { cause: error });
  }
}

/** Serializes a FlightInfo. */
export function encodeFlightInfo(info: FlightInfo): Uint8Array {
  return toBinary(pb.FlightInfoSchema, flightInfoToProto(info));
}

/** Parses a FlightInfo. @throws FlightInvalidArgumentError */
export function decodeFlightInfo(bytes: Uint8Array): FlightInfo {
  return flightInfoFromProto(decodeProto(pb.FlightInfoSchema, bytes));
}

/** Serializes a PollInfo. */
export function encodePollInfo(poll: PollInfo): Uint8Array {
  return toBinary(
    pb.PollInfoSchema,
    create(pb.PollInfoSchema, {
      info: poll.info === undefined ? undefined : flightInfoToProto(poll.info),
      flightDescriptor: poll.descriptor === undefined ? undefined : descriptorToProto(poll.descriptor),
      progress: poll.progress,
      expirationTime: toTimestamp(poll.expirationTime),
    }),
  );
}

/** Parses a PollInfo. @throws FlightInvalidArgumentError */
export function decodePollInfo(bytes: Uint8Array): PollInfo {
  const poll = decodeProto(pb.PollInfoSchema, bytes);
  return {
    info: poll.info === undefined ? undefined : flightInfoFromProto(poll.info),
    descriptor: poll.flightDescriptor === undefined ? undefined : descriptorFromProto(poll.flightDescriptor),
    progress: poll.progress,
    expirationTime: fromTimestamp(poll.expirationTime),
  };
}

/** Serializes a SchemaResult from an IPC-encoded schema. */
export function encodeSchemaResult(schema: FlightInfo["schema"]): Uint8Array {
  return toBinary(pb.SchemaResultSchema, create(pb.SchemaResultSchema, { schema: encodeSchema(schema) }));
}

/** Parses a SchemaResult into a Schema. @throws FlightInvalidArgumentError */
export function decodeSchemaResult(bytes: Uint8Array): FlightInfo["schema"] {
  return decodeSchemaField(decodeProto(pb.SchemaResultSchema, bytes).schema, "SchemaResult.schema");
}

// ---- Small messages -------------------------------------------------------------------------------

/** Serializes Criteria. */
export function encodeCriteria(criteria: Criteria): Uint8Array {
  return toBinary(pb.CriteriaSchema, create(pb.CriteriaSchema, { expression: criteria.expression }));
}

/** Parses Criteria. @throws FlightInvalidArgumentError */
export function decodeCriteria(bytes: Uint8Array): Criteria {
  return { expression: decodeProto(pb.CriteriaSchema, bytes).expression };
}

/** Serializes an Action. */
export function encodeAction(action: Action): Uint8Array {
  return toBinary(pb.ActionSchema, create(pb.ActionSchema, { type: action.type, body: action.body }));
}

/** Parses an Action. @throws FlightInvalidArgumentError (e.g. `invalid UTF-8 in Action.type`). */
export function decodeAction(bytes: Uint8Array): Action {
  const action = decodeProto(pb.ActionSchema, bytes);
  return { type: action.type, body: action.body };
}

/** Serializes an ActionType. */
export function encodeActionType(actionType: ActionType): Uint8Array {
  return toBinary(
    pb.ActionTypeSchema,
    create(pb.ActionTypeSchema, { type: actionType.type, description: actionType.description }),
  );
}

/** Parses an ActionType. @throws FlightInvalidArgumentError */
export function decodeActionType(bytes: Uint8Array): ActionType {
  const t = decodeProto(pb.ActionTypeSchema, bytes);
  return { type: t.type, description: t.description };
}

/** Serializes a Result. */
export function encodeResult(result: Result): Uint8Array {
  return toBinary(pb.ResultSchema, create(pb.ResultSchema, { body: result.body }));
}

/** Parses a Result. @throws FlightInvalidArgumentError */
export function decodeResult(bytes: Uint8Array): Result {
  return { body: decodeProto(pb.ResultSchema, bytes).body };
}

/** Serializes a PutResult. */
export function encodePutResult(result: PutResult): Uint8Array {
  return toBinary(pb.PutResultSchema, create(pb.PutResultSchema, { appMetadata: result.appMetadata }));
}

/** Parses a PutResult. @throws FlightInvalidArgumentError */
export function decodePutResult(bytes: Uint8Array): PutResult {
  return { appMetadata: decodeProto(pb.PutResultSchema, bytes).appMetadata };
}

/** Serializes a HandshakeRequest or HandshakeResponse (same fields, same numbers). */
export function encodeHandshake(message: HandshakeMessage): Uint8Array {
  return toBinary(
    pb.HandshakeRequestSchema,
    create(pb.HandshakeRequestSchema, { protocolVersion: message.protocolVersion, payload: message.payload }),
  );
}

/** Parses a HandshakeRequest or HandshakeResponse. @throws FlightInvalidArgumentError */
export function decodeHandshake(bytes: Uint8Array): HandshakeMessage {
  const m = decodeProto(pb.HandshakeRequestSchema, bytes);
  return { protocolVersion: m.protocolVersion, payload: m.payload };
}

/** Serializes the Empty message (ListActions request). */
export function encodeEmpty(): Uint8Array {
  return new Uint8Array(0);
}

// ---- Well-known action bodies -----------------------------------------------------------------------

/** Body of the CancelFlightInfo action. */
export function encodeCancelFlightInfoRequest(info: FlightInfo): Uint8Array {
  return toBinary(
    pb.CancelFlightInfoRequestSchema,
    create(pb.CancelFlightInfoRequestSchema, { info: flightInfoToProto(info) }),
  );
}

/** Parses the body of the CancelFlightInfo action. @throws FlightInvalidArgumentError when `info` is missing. */
export function decodeCancelFlightInfoRequest(bytes: Uint8Array): FlightInfo {
  const req = decodeProto(pb.CancelFlightInfoRequestSchema, bytes);
  if (req.info === undefined) throw new FlightInvalidArgumentError("CancelFlightInfoRequest.info is missing");
  return flightInfoFromProto(req.info);
}

/** Result body of the CancelFlightInfo action. */
export function encodeCancelFlightInfoResult(status: CancelStatus): Uint8Array {
  return toBinary(pb.CancelFlightInfoResultSchema, create(pb.CancelFlightInfoResultSchema, { status }));
}

/** Parses the result body of the CancelFlightInfo action. @throws FlightInvalidArgumentError */
export function decodeCancelFlightInfoResult(bytes: Uint8Array): CancelStatus {
  const status = decodeProto(pb.CancelFlightInfoResultSchema, bytes).status as number;
  if (status < 0 || status > 3)
    throw new FlightInvalidArgumentError(`CancelFlightInfoResult.status ${status} is unknown`);
  return status as CancelStatus;
}

/** Body of the RenewFlightEndpoint action. */
export function encodeRenewFlightEndpointRequest(endpoint: FlightEndpoint): Uint8Array {
  return toBinary(
    pb.RenewFlightEndpointRequestSchema,
    create(pb.RenewFlightEndpointRequestSchema, { endpoint: endpointToProto(endpoint) }),
  );
}

/** Parses the body of the RenewFlightEndpoint action. @throws FlightInvalidArgumentError when `endpoint` is missing. */
export function decodeRenewFlightEndpointRequest(bytes: Uint8Array): FlightEndpoint {
  const req = decodeProto(pb.RenewFlightEndpointRequestSchema, bytes);
  if (req.endpoint === undefined)
    throw new FlightInvalidArgumentError("RenewFlightEndpointRequest.endpoint is missing");
  return endpointFromProto(req.endpoint);
}
