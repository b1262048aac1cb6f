/**
 * Flight locations: parse and format the URIs that name where a ticket can be
 * redeemed (`grpc://`, `grpc+tcp://`, `grpc+tls://`, `grpc+unix://`, and the
 * special `arrow-flight-reuse-connection://?`), and turn them into the
 * host/port/socket form a transport needs.
 */
import { FlightInvalidArgumentError } from "./flight-error.js";
import type { Location } from "./flight-messages.js";

/**
 * Same value as `REUSE_CONNECTION_URI` in flight-messages.ts (a test checks it), repeated here so
 * that flight-messages.ts can re-export {@link LocationFactory} without an import cycle.
 */
const REUSE_CONNECTION_URI = "arrow-flight-reuse-connection://?";

/** A location taken apart. */
export type ParsedLocation =
  | {
      /** `tcp` for `grpc://` and `grpc+tcp://`, `tls` for `grpc+tls://`. */
      readonly kind: "tcp" | "tls";
      /** Host name or IP address, without brackets for IPv6. */
      readonly host: string;
      readonly port: number;
      readonly uri: string;
    }
  | { readonly kind: "unix"; readonly path: string; readonly uri: string }
  | { readonly kind: "reuse"; readonly uri: string };

/** Brackets an IPv6 literal for use in a URI or `host:port` string. */
export function formatHost(host: string): string {
  return host.includes(":") && !host.startsWith("[") ? `[${host}]` : host;
}

function checkPort(port: number, uri: string): number {
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new FlightInvalidArgumentError(`location '${uri}': port must be an integer in [0, 65535], got ${port}`);
  }
  return port;
}

/** Builds a `grpc+tcp://host:port` location. @throws FlightInvalidArgumentError for a bad port or empty host. */
export function locationForGrpcTcp(host: string, port: number): Location {
  if (host.length === 0) throw new FlightInvalidArgumentError("location: host must not be empty");
  const uri = `grpc+tcp://${formatHost(host)}:${port}`;
  checkPort(port, uri);
  return { uri };
}

/** Builds a `grpc+tls://host:port` location. @throws FlightInvalidArgumentError for a bad port or empty host. */
export function locationForGrpcTls(host: string, port: number): Location {
  if (host.length === 0) throw new FlightInvalidArgumentError("location: host must not be empty");
  const uri = `grpc+tls://${formatHost(host)}:${port}`;
  checkPort(port, uri);
  return { uri };
}

/** Builds a `grpc+unix:///absolute/path` location. @throws FlightInvalidArgumentError for a relative path. */
export function locationForGrpcUnix(path: string): Location {
  if (!path.startsWith("/"))
    throw new FlightInvalidArgumentError(`location: unix socket path must be absolute: '${path}'`);
  return { uri: `grpc+unix://${path}` };
}

/** The reuse-connection location: redeem the ticket on the connection that returned the FlightInfo. */
export function locationForReuseConnection(): Location {
  return { uri: REUSE_CONNECTION_URI };
}

/** True for `arrow-flight-reuse-connection://?` (and the same scheme with any query). */
export function isReuseConnection(location: Location | string): boolean {
  const uri = typeof location === "string" ? location : location.uri;
  return uri.toLowerCase().startsWith("arrow-flight-reuse-connection:");
}

/**
 * Parses a location URI.
 *
 * Accepts `grpc://host:port` and `grpc+tcp://host:port` (plain TCP), `grpc+tls://host:port`,
 * `grpc+unix:///path`, and the reuse-connection URI. IPv6 hosts are written in brackets.
 * @throws FlightInvalidArgumentError naming the problem for any other input.
 */
export function parseLocation(location: Location | string): ParsedLocation {
  const uri = typeof location === "string" ? location : location.uri;
  if (isReuseConnection(uri)) return { kind: "reuse", uri };
  const schemeEnd = uri.indexOf("://");
  if (schemeEnd <= 0)
    throw new FlightInvalidArgumentError(`location '${uri}': expected scheme://..., e.g. grpc+tcp://host:port`);
  const scheme = uri.slice(0, schemeEnd).toLowerCase();
  const rest = uri.slice(schemeEnd + 3);
  if (scheme === "grpc+unix" || scheme === "unix") {
    if (!rest.startsWith("/"))
      throw new FlightInvalidArgumentError(`location '${uri}': unix socket path must be absolute`);
    return { kind: "unix", path: decodeURIComponent(rest), uri };
  }
  let kind: "tcp" | "tls";
  if (scheme === "grpc" || scheme === "grpc+tcp") kind = "tcp";
  else if (scheme === "grpc+tls") kind = "tls";
  else {
    throw new FlightInvalidArgumentError(
      `location '${uri}': unsupported scheme '${scheme}' (use grpc, grpc+tcp, grpc+tls or grpc+unix)`,
    );
  }
  const authority = rest.split(/[/?#]/, 1)[0] ?? "";
  let host: string;
  let portText: string;
  if (authority.startsWith("[")) {
    const close = authority.indexOf("]");
    if (close < 0) throw new FlightInvalidArgumentError(`location '${uri}': unterminated IPv6 literal`);
    host = authority.slice(1, close);
    const after = authority.slice(close + 1);
    if (!after.startsWith(":")) throw new FlightInvalidArgumentError(`location '${uri}': missing port`);
    portText = after.slice(1);
  } else {
    const colon = authority.lastIndexOf(":");
    if (colon < 0) throw new FlightInvalidArgumentError(`location '${uri}': missing port`);
    host = authority.slice(0, colon);
    portText = authority.slice(colon + 1);
  }
  if (host.length === 0) throw new FlightInvalidArgumentError(`location '${uri}': missing host`);
  if (!/^\d{1,5}$/.test(portText))
    throw new FlightInvalidArgumentError(`location '${uri}': port '${portText}' is not a number`);
  return { kind, host, port: checkPort(Number(portText), uri), uri };
}

/** Formats a parsed location back to its canonical URI. */
export function formatLocation(parsed: ParsedLocation): string {
  switch (parsed.kind) {
    case "tcp":
      return `grpc+tcp://${formatHost(parsed.host)}:${parsed.port}`;
    case "tls":
      return `grpc+tls://${formatHost(parsed.host)}:${parsed.port}`;
    case "unix":
      return `grpc+unix://${parsed.path}`;
    case "reuse":
      return REUSE_CONNECTION_URI;
  }
}

/** Constructors for {@link Location}, named as in pyarrow (`Location.for_grpc_tcp`). */
export const LocationFactory = {
  /** `grpc+tcp://host:port`. */
  forGrpcTcp: locationForGrpcTcp,
  /** `grpc+tls://host:port`. */
  forGrpcTls: locationForGrpcTls,
  /** `grpc+unix:///path`. */
  forGrpcUnix: locationForGrpcUnix,
  /** `arrow-flight-reuse-connection://?`. */
  reuseConnection: locationForReuseConnection,
  /** Parse and validate a URI. @throws FlightInvalidArgumentError */
  parse(uri: string): Location {
    return { uri: parseLocation(uri).uri };
  },
} as const;
