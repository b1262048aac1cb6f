import { describe, expect, it } from "vitest";
import { CliError, EXIT_USAGE } from "./cli-error.js";
import {
  formatBytes,
  formatDuration,
  parseByteSize,
  parseDurationMs,
  parseFlightUri,
  parseInteger,
  parseList,
  parsePort,
} from "./option-values.js";

const source = { command: "planner", name: "--port" };

function usage(fn: () => unknown): CliError {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(CliError);
    expect((error as CliError).exitCode).toBe(EXIT_USAGE);
    return error as CliError;
  }
  throw new Error("expected a usage error");
}

describe("option values", () => {
  it("parses integers and ports within bounds", () => {
    expect(parseInteger("42", source, 0, 100)).toBe(42);
    expect(parsePort("0", source)).toBe(0);
    expect(parsePort("65535", source)).toBe(65_535);
    expect(usage(() => parsePort("65536", source)).message).toContain(
      '--port "65536" is not an integer from 0 to 65535',
    );
    expect(usage(() => parsePort("80x", source)).message).toContain("is not an integer");
    expect(usage(() => parseInteger("1.5", source, 0, 9)).message).toContain("see 'flight-cluster planner --help'");
  });

  it("parses byte sizes with binary and decimal units", () => {
    expect(parseByteSize("67108864", source, 1, 2 ** 40)).toBe(67_108_864);
    expect(parseByteSize("64MiB", source, 1, 2 ** 40)).toBe(64 * 1024 * 1024);
    expect(parseByteSize("64M", source, 1, 2 ** 40)).toBe(64 * 1024 * 1024);
    expect(parseByteSize("1MB", source, 1, 2 ** 40)).toBe(1_000_000);
    expect(parseByteSize("1.5 KiB", source, 1, 2 ** 40)).toBe(1536);
    expect(usage(() => parseByteSize("64 furlongs", source, 1, 2 ** 40)).message).toContain("is not a size");
    expect(usage(() => parseByteSize("0", source, 1, 10)).message).toContain("from 1 B to 10 B");
  });

  it("parses durations: bare numbers are seconds", () => {
    expect(parseDurationMs("15", source, 1, 1e9)).toBe(15_000);
    expect(parseDurationMs("3s", source, 1, 1e9)).toBe(3_000);
    expect(parseDurationMs("500ms", source, 1, 1e9)).toBe(500);
    expect(parseDurationMs("1.5m", source, 1, 1e9)).toBe(90_000);
    expect(parseDurationMs("2h", source, 1, 1e9)).toBe(7_200_000);
    expect(usage(() => parseDurationMs("soon", source, 1, 1e9)).message).toContain("is not a duration");
    expect(usage(() => parseDurationMs("10ms", source, 100, 1000)).message).toContain("from 100ms to 1s");
  });

  it("parses lists and rejects empty items and duplicates", () => {
    expect(parseList("a, b,c", source)).toEqual(["a", "b", "c"]);
    expect(usage(() => parseList("a,,b", source)).message).toContain("comma-separated");
    expect(usage(() => parseList("a,b,a", source)).message).toContain('lists "a" twice');
  });

  it("normalizes Flight URIs and rejects other schemes", () => {
    expect(parseFlightUri("localhost:8815", source)).toBe("grpc+tcp://localhost:8815");
    expect(parseFlightUri("grpc://10.0.0.1:1", source)).toBe("grpc://10.0.0.1:1");
    expect(parseFlightUri("grpc+unix:///tmp/s.sock", source)).toBe("grpc+unix:///tmp/s.sock");
    expect(usage(() => parseFlightUri("http://x:1", source)).message).toContain("schemes grpc://");
    expect(usage(() => parseFlightUri("grpc+tcp://nohost", source)).message).toContain("with a host and a port");
  });

  it("formats sizes and durations for humans", () => {
    expect(formatBytes(512)).toBe("512 B");
    expect(formatBytes(1536)).toBe("1.5 KiB");
    expect(formatBytes(64 * 1024 * 1024)).toBe("64 MiB");
    expect(formatDuration(250)).toBe("250ms");
    expect(formatDuration(1500)).toBe("1.5s");
    expect(formatDuration(90_000)).toBe("1m30s");
    expect(formatDuration(7_200_000)).toBe("2h");
  });
});
