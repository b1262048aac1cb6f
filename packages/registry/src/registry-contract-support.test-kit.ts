/** Types and helpers shared by the registry contract's test kits. */
import type { Registry } from "./registry.js";
import type { ShardSpec, WorkerRegistration } from "./registry-types.js";

/** How the contract drives one backend. */
export interface RegistryHarness {
  /**
   * Open a registry on an isolated keyspace. Without `prefix` a fresh random one is
   * used; two calls with the same prefix see the same state (where the backend shares).
   */
  open(prefix?: string): Promise<Registry>;
  /**
   * A second handle on the same state as `registry` (Redis: another connection; memory:
   * the same object).
   */
  openAnother(registry: Registry): Promise<Registry>;
  /**
   * Let `ms` of registry time pass: the memory harness advances its fake clock; the
   * Redis harness does nothing (real time passes while the contract polls).
   */
  elapse(ms: number): Promise<void>;
  /**
   * Lose every stored key (Redis `FLUSHALL`; for memory, a new empty registry) and
   * return the registry to use afterwards.
   */
  loseAllData(registry: Registry): Promise<Registry>;
  /** A TTL short enough to wait out in a test, in ms (at least a few hundred ms for Redis). */
  readonly shortTtlMs: number;
}

/** What the contract's tests share. */
export interface ContractContext {
  readonly harness: () => RegistryHarness;
  /** Open a registry that is closed after the test. */
  open(prefix?: string): Promise<Registry>;
  /** A second handle on the same state, closed after the test. */
  openAnother(registry: Registry): Promise<Registry>;
  /**
   * Run `probe` until it stops throwing, letting `stepMs` of registry time pass between
   * attempts; rethrow its last error after 15 s of real time.
   */
  eventually<T>(probe: () => Promise<T>, stepMs?: number): Promise<T>;
}

/** A valid worker registration for tests. */
export function registration(id: string, overrides: Partial<WorkerRegistration> = {}): WorkerRegistration {
  return {
    id,
    locations: [`grpc://127.0.0.1:${1000 + id.length}`],
    zone: "zone-a",
    capacity: 1 << 30,
    ttlMs: 60_000,
    ...overrides,
  };
}

/** A valid shard spec for tests. */
export function shard(id: string, index: number, replicas: readonly string[] = ["w1"]): ShardSpec {
  return { id, index, rows: 100 + index, bytes: 1000 + index, digest: `sha256:${id}`, replicas };
}

/** Schema bytes that are not valid UTF-8 and contain every byte value (binary-safety). */
export function binarySchema(seed = 0): Uint8Array {
  const bytes = new Uint8Array(600);
  for (let i = 0; i < bytes.length; i++) bytes[i] = (i * 7 + seed) & 0xff;
  bytes.set([0xff, 0xfe, 0x00, 0xc3, 0x28, 0xa0, 0xa1, 0x0d, 0x0a], 0);
  return bytes;
}
