import { Field, Int64, Schema } from "apache-arrow";
import { describe, expect, it } from "vitest";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { CancelStatus, type FlightEndpoint, type FlightInfo } from "./flight-messages.js";
import {
  decodeAction,
  decodeCancelFlightInfoRequest,
  decodeCancelFlightInfoResult,
  decodeDescriptor,
  decodeEndpoint,
  decodeFlightInfo,
  decodeHandshake,
  decodePollInfo,
  encodeAction,
  encodeCancelFlightInfoRequest,
  encodeCancelFlightInfoResult,
  encodeDescriptor,
  encodeEndpoint,
  encodeFlightInfo,
  encodeHandshake,
  encodePollInfo,
} from "./flight-messages-codec.js";

const utf8 = (s: string) => new TextEncoder().encode(s);
const endpoint: FlightEndpoint = {
  ticket: { ticket: utf8("t") },
  locations: [{ uri: "grpc+tcp://h:1" }],
  expirationTime: new Date(1_700_000_000_123),
  appMetadata: utf8("m"),
};
const info: FlightInfo = {
  schema: new Schema([new Field("n", new Int64(), true)]),
  descriptor: { type: "path", path: ["a", "ü"] },
  endpoints: [endpoint],
  totalRecords: -1,
  totalBytes: 2 ** 40,
  ordered: false,
  appMetadata: new Uint8Array(0),
};

describe("flight-messages-codec", () => {
  it("round-trips descriptors, endpoints (with millisecond timestamps), FlightInfo and PollInfo", () => {
    expect(decodeDescriptor(encodeDescriptor({ type: "cmd", cmd: utf8("x") }))).toEqual({
      type: "cmd",
      cmd: utf8("x"),
    });
    expect(decodeEndpoint(encodeEndpoint(endpoint))).toEqual(endpoint);
    const back = decodeFlightInfo(encodeFlightInfo(info));
    expect(back.descriptor).toEqual(info.descriptor);
    expect(back.totalRecords).toBe(-1);
    expect(back.totalBytes).toBe(2 ** 40);
    expect(back.schema.fields[0]!.name).toBe("n");
    const poll = decodePollInfo(encodePollInfo({ info, progress: 1, expirationTime: new Date(5) }));
    expect(poll.progress).toBe(1);
    expect(poll.expirationTime?.getTime()).toBe(5);
    expect(poll.descriptor).toBeUndefined();
    expect(decodeHandshake(encodeHandshake({ protocolVersion: 2n ** 63n, payload: utf8("p") }))).toEqual({
      protocolVersion: 2n ** 63n,
      payload: utf8("p"),
    });
    expect(decodeAction(encodeAction({ type: "drop", body: utf8("sales") }))).toEqual({
      type: "drop",
      body: utf8("sales"),
    });
    expect(decodeCancelFlightInfoRequest(encodeCancelFlightInfoRequest(info)).endpoints).toEqual([endpoint]);
    expect(decodeCancelFlightInfoResult(encodeCancelFlightInfoResult(CancelStatus.Cancelling))).toBe(
      CancelStatus.Cancelling,
    );
  });

  it("names the field holding invalid UTF-8, also inside nested messages", () => {
    // CancelFlightInfoRequest{info: FlightInfo{flight_descriptor: {type: PATH, path: ["a", <ff>]}}}
    const descriptor = [0x08, 0x01, 0x1a, 0x01, 0x61, 0x1a, 0x01, 0xff];
    const flightInfo = [0x12, descriptor.length, ...descriptor];
    const request = new Uint8Array([0x0a, flightInfo.length, ...flightInfo]);
    expect(() => decodeCancelFlightInfoRequest(request)).toThrow(
      "invalid UTF-8 in CancelFlightInfoRequest.info.flight_descriptor.path[1]",
    );
    // FlightEndpoint{location: [{uri: "ok"}, {uri: <c0 80>}]}
    const ep = new Uint8Array([0x12, 0x04, 0x0a, 0x02, 0x6f, 0x6b, 0x12, 0x04, 0x0a, 0x02, 0xc0, 0x80]);
    expect(() => decodeEndpoint(ep)).toThrow("invalid UTF-8 in FlightEndpoint.location[1].uri");
  });

  it("rejects descriptors of unknown type and malformed bytes with FlightInvalidArgumentError", () => {
    expect(() => decodeDescriptor(new Uint8Array([0x08, 0x00]))).toThrow(FlightInvalidArgumentError);
    expect(() => decodeDescriptor(new Uint8Array([0x08, 0x00]))).toThrow("FlightDescriptor.type must be PATH or CMD");
    expect(() => decodeFlightInfo(new Uint8Array([0x0a, 0x05, 0x01]))).toThrow("malformed FlightInfo message");
    expect(() => decodeFlightInfo(new Uint8Array([0x0a, 0x02, 0x01, 0x02]))).toThrow(
      /^\[INVALID_ARGUMENT\] FlightInfo.schema: /,
    );
    expect(() => decodeCancelFlightInfoResult(new Uint8Array([0x08, 0x09]))).toThrow(
      "CancelFlightInfoResult.status 9 is unknown",
    );
  });
});
