import { readFile } from "node:fs/promises";
import { describe, expect, it } from "vitest";
import {
  RegistryError,
  RegistryErrorCode,
  registryErrorClasses,
  ShardNotFoundError,
  StaleEpochError,
  TicketNotFoundError,
} from "./registry-error.js";

describe("registry errors", () => {
  it("lists every code, with its class, in the registry section of docs/errors.md", async () => {
    const doc = await readFile(new URL("../../../docs/errors.md", import.meta.url), "utf8");
    const section = doc.split(/^## /m).find((s) => s.startsWith("Registry")) ?? "";
    const documented = [...section.matchAll(/^\| `(REGISTRY_[A-Z_]+)` \| `(\w+)` \|/gm)].map((m) => [m[1], m[2]]);
    const defined = Object.values(RegistryErrorCode).map((code) => [code, registryErrorClasses[code].name]);
    expect(documented.sort()).toEqual(defined.sort());
  });

  it("gives every class its own code, name and gRPC status, and matches instanceof by code", () => {
    for (const [code, Cls] of Object.entries(registryErrorClasses)) {
      const error = new Cls("boom");
      expect(error.code).toBe(code);
      expect(error.name).toBe(Cls.name);
      expect(error).toBeInstanceOf(RegistryError);
      expect(error).toBeInstanceOf(Cls);
      expect(error).toBeInstanceOf(Error);
      expect(error.grpcCode).toBeGreaterThan(0);
    }
    const stale = new StaleEpochError("old");
    expect(stale).not.toBeInstanceOf(TicketNotFoundError);
    expect(new ShardNotFoundError("x").grpcCode).toBe(5);
  });

  it("recognises errors made by another copy of the package (same brand, same code)", () => {
    const foreign = Object.assign(Object.create(Error.prototype), { code: "REGISTRY_STALE_EPOCH" });
    Object.defineProperty(foreign, Symbol.for("flight-cluster.RegistryError"), { value: true });
    expect(foreign).toBeInstanceOf(RegistryError);
    expect(foreign).toBeInstanceOf(StaleEpochError);
    expect(foreign).not.toBeInstanceOf(TicketNotFoundError);
    expect({ code: "REGISTRY_STALE_EPOCH" }).not.toBeInstanceOf(RegistryError);
  });

  it("keeps the cause for logs", () => {
    const cause = new Error("socket closed");
    expect(new StaleEpochError("x", { cause }).cause).toBe(cause);
  });
});
