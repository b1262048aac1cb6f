import { describe, expect, it } from "vitest";
import { parseRedisUrl, redact } from "./redis-url.js";
import { RegistryInvalidArgumentError } from "./registry-error.js";

describe("parseRedisUrl", () => {
  it("maps redis:// and rediss:// to a single server", () => {
    expect(parseRedisUrl("redis://localhost")).toEqual({
      mode: "standalone",
      options: { host: "localhost", port: 6379 },
      prefix: undefined,
    });
    expect(parseRedisUrl("rediss://al%40ice:p%3Ass@[::1]:6380/3?prefix=prod:")).toEqual({
      mode: "standalone",
      options: { host: "::1", port: 6380, username: "al@ice", password: "p:ss", tls: {}, db: 3 },
      prefix: "prod:",
    });
    expect(parseRedisUrl("redis://:secret@h:1?db=2").options).toEqual({
      host: "h",
      port: 1,
      password: "secret",
      db: 2,
    });
  });

  it("maps redis-sentinel:// to sentinels and a master group name", () => {
    expect(
      parseRedisUrl("redis-sentinel://u:pw@s1:26380,s2,[fe80::1]:26381/mymaster?db=1&sentinelPassword=sp&tls=1"),
    ).toEqual({
      mode: "sentinel",
      options: {
        sentinels: [
          { host: "s1", port: 26380 },
          { host: "s2", port: 26379 },
          { host: "fe80::1", port: 26381 },
        ],
        name: "mymaster",
        username: "u",
        password: "pw",
        db: 1,
        sentinelPassword: "sp",
        tls: {},
        enableTLSForSentinelMode: true,
      },
      prefix: undefined,
    });
  });

  it("maps redis-cluster:// to seed nodes", () => {
    expect(parseRedisUrl("redis-cluster://n1:7000,n2:7001?prefix=a:")).toEqual({
      mode: "cluster",
      nodes: [
        { host: "n1", port: 7000 },
        { host: "n2", port: 7001 },
      ],
      options: {},
      prefix: "a:",
    });
  });

  it.each([
    ["http://h", /unknown scheme/],
    ["redis://", /no host/],
    ["redis://a,b", /several hosts/],
    ["redis://h:99999", /bad port/],
    ["redis://h/x", /database number/],
    ["redis-sentinel://h:1", /master group name/],
    ["redis-cluster://h:1/0", /no database/],
    ["redis://u:%zz@h", /percent-encoding/],
    ["nonsense", /expected scheme/],
  ])("rejects %s with a message naming the problem", (url, message) => {
    const error = (() => {
      try {
        parseRedisUrl(url);
      } catch (e) {
        return e;
      }
      return undefined;
    })();
    expect(error).toBeInstanceOf(RegistryInvalidArgumentError);
    expect(String(error)).toMatch(message);
  });

  it("never puts a password into an error message", () => {
    expect(() => parseRedisUrl("redis://user:hunter2@h:1/x")).toThrow(/user:\*\*\*@h/);
    expect(redact("redis-sentinel://u:hunter2@a:1,b:2/m")).toBe("redis-sentinel://u:***@a:1,b:2/m");
    expect(redact("redis://h:1")).toBe("redis://h:1");
  });
});
