import { describe, expect, it } from "vitest";
import { FlightInvalidArgumentError } from "./flight-error.js";
import { Location, REUSE_CONNECTION_URI } from "./flight-messages.js";
import { formatLocation, isReuseConnection, parseLocation } from "./location.js";

describe("locations", () => {
  it("builds pyarrow-style locations", () => {
    expect(Location.forGrpcTcp("localhost", 8815)).toEqual({ uri: "grpc+tcp://localhost:8815" });
    expect(Location.forGrpcTls("::1", 443)).toEqual({ uri: "grpc+tls://[::1]:443" });
    expect(Location.forGrpcUnix("/tmp/f.sock")).toEqual({ uri: "grpc+unix:///tmp/f.sock" });
    expect(Location.reuseConnection()).toEqual({ uri: REUSE_CONNECTION_URI });
    expect(() => Location.forGrpcTcp("h", 70000)).toThrow(FlightInvalidArgumentError);
    expect(() => Location.forGrpcUnix("relative.sock")).toThrow("must be absolute");
  });

  it("parses every scheme and round-trips through formatLocation", () => {
    expect(parseLocation("grpc://example.com:31337")).toMatchObject({ kind: "tcp", host: "example.com", port: 31337 });
    expect(parseLocation("grpc+tcp://10.1.2.3:0")).toMatchObject({ kind: "tcp", host: "10.1.2.3", port: 0 });
    expect(parseLocation("grpc+tls://[fe80::1]:8443")).toMatchObject({ kind: "tls", host: "fe80::1", port: 8443 });
    expect(parseLocation({ uri: "grpc+unix:///var/run/f.sock" })).toMatchObject({
      kind: "unix",
      path: "/var/run/f.sock",
    });
    expect(parseLocation("arrow-flight-reuse-connection://?")).toMatchObject({ kind: "reuse" });
    expect(isReuseConnection({ uri: REUSE_CONNECTION_URI })).toBe(true);
    expect(isReuseConnection("grpc://h:1")).toBe(false);
    for (const uri of ["grpc+tcp://h:1", "grpc+tls://[::1]:2", "grpc+unix:///s", REUSE_CONNECTION_URI]) {
      expect(formatLocation(parseLocation(uri))).toBe(uri);
    }
  });

  it("rejects malformed locations with a message naming the problem", () => {
    expect(() => parseLocation("http://h:1")).toThrow("unsupported scheme 'http'");
    expect(() => parseLocation("grpc+tcp://h")).toThrow("missing port");
    expect(() => parseLocation("grpc+tcp://:1")).toThrow("missing host");
    expect(() => parseLocation("grpc+tcp://h:x1")).toThrow("port 'x1' is not a number");
    expect(() => parseLocation("localhost:1")).toThrow("expected scheme://");
    expect(() => parseLocation("grpc+tls://[::1:5")).toThrow("unterminated IPv6 literal");
  });
});
