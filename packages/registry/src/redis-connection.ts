/**
 * The registry's Redis connection: connecting with bounded timeouts (standalone,
 * Sentinel or Cluster), running Lua scripts by SHA with a fallback to EVAL, and
 * turning every client failure into a RegistryError.
 */
import { createHash } from "node:crypto";
import type { RedisOptions } from "ioredis";
import { Cluster, Redis } from "ioredis";
import { LUA_PRELUDE } from "./redis-scripts-workers.js";
import type { ParsedRedisUrl } from "./redis-url.js";
import {
  RegistryAbortedError,
  RegistryClosedError,
  RegistryError,
  RegistryUnavailableError,
} from "./registry-error.js";

/** A Lua script with its SHA-1 (the prelude included). */
export interface LuaScript {
  readonly lua: string;
  readonly sha: string;
}

/** Prepend the prelude and hash a script body. */
export function luaScript(body: string): LuaScript {
  const lua = LUA_PRELUDE + body;
  return { lua, sha: createHash("sha1").update(lua).digest("hex") };
}

/** Connection settings after defaults. */
export interface ConnectionSettings {
  readonly parsed: ParsedRedisUrl;
  /** The URL without its password, for messages. */
  readonly label: string;
  readonly commandTimeoutMs: number;
  readonly connectTimeoutMs: number;
  readonly extra: RedisOptions;
}

/** One open connection (a Redis client or a Cluster client). */
export class RedisConnection {
  #closed = false;
  #lastError: unknown;

  private constructor(
    readonly client: Redis | Cluster,
    readonly label: string,
    /** Upper bound for one registry operation; enforced here rather than by ioredis's
     * `commandTimeout`, whose per-command timers outlive the commands and keep a process
     * alive for that long after `close()`. */
    readonly commandTimeoutMs: number,
  ) {
    client.on("error", (error: unknown) => {
      this.#lastError = error;
    });
  }

  /**
   * Connect and wait until Redis answers PING.
   * @throws RegistryUnavailableError when Redis cannot be reached within `connectTimeoutMs`.
   */
  static async open(settings: ConnectionSettings): Promise<RedisConnection> {
    const { parsed, commandTimeoutMs, connectTimeoutMs, extra } = settings;
    const common: RedisOptions = {
      lazyConnect: true,
      connectTimeout: connectTimeoutMs,
      maxRetriesPerRequest: 1,
      retryStrategy: (times: number) => Math.min(100 * times, 2000),
    };
    const client =
      parsed.mode === "cluster"
        ? new Cluster([...parsed.nodes], {
            lazyConnect: true,
            clusterRetryStrategy: (times: number) => Math.min(100 * times, 2000),
            redisOptions: { ...common, ...parsed.options, ...extra, lazyConnect: false },
          })
        : new Redis({ ...common, ...parsed.options, ...extra });
    const connection = new RedisConnection(client, settings.label, commandTimeoutMs);
    let timer: NodeJS.Timeout | undefined;
    try {
      const deadline = new Promise<never>((_, reject) => {
        timer = setTimeout(() => reject(new Error(`no answer within ${connectTimeoutMs} ms`)), connectTimeoutMs);
      });
      await Promise.race([client.connect().then(() => client.ping()), deadline]);
      return connection;
    } catch (error) {
      client.disconnect();
      throw new RegistryUnavailableError(`cannot reach Redis at ${settings.label}: ${message(error)}`, {
        cause: error,
      });
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Run `operation` unless closed or aborted, rejecting early when `signal` fires or when
   * it takes longer than `commandTimeoutMs`, and map client failures to RegistryUnavailableError.
   */
  async call<T>(signal: AbortSignal | undefined, operation: () => Promise<T>): Promise<T> {
    if (this.#closed) throw new RegistryClosedError("registry is closed");
    if (signal?.aborted) throw new RegistryAbortedError("registry operation aborted", { cause: signal.reason });
    let onAbort: (() => void) | undefined;
    const aborted =
      signal === undefined
        ? undefined
        : new Promise<never>((_, reject) => {
            onAbort = () => reject(new RegistryAbortedError("registry operation aborted", { cause: signal.reason }));
            signal.addEventListener("abort", onAbort, { once: true });
          });
    let timer: NodeJS.Timeout | undefined;
    const timedOut = new Promise<never>((_, reject) => {
      timer = setTimeout(
        () =>
          reject(
            new RegistryUnavailableError(`Redis at ${this.label} gave no answer within ${this.commandTimeoutMs} ms`),
          ),
        this.commandTimeoutMs,
      );
    });
    try {
      const work = operation();
      // If the abort or the timeout wins the race, a later failure of `work` must not go unhandled.
      work.catch(() => undefined);
      return await Promise.race(aborted === undefined ? [work, timedOut] : [work, timedOut, aborted]);
    } catch (error) {
      if (error instanceof RegistryError) throw error;
      const last = this.#lastError === undefined ? "" : ` (last connection error: ${message(this.#lastError)})`;
      throw new RegistryUnavailableError(`Redis at ${this.label} failed: ${message(error)}${last}`, { cause: error });
    } finally {
      clearTimeout(timer);
      if (onAbort !== undefined) signal?.removeEventListener("abort", onAbort);
    }
  }

  /** Run a script with one key; returns the reply table (first element: status tag). */
  async script(script: LuaScript, key: string, args: ReadonlyArray<string | number>): Promise<unknown[]> {
    let reply: unknown;
    try {
      reply = await this.client.evalsha(script.sha, 1, key, ...args);
    } catch (error) {
      if (!message(error).includes("NOSCRIPT")) throw error;
      reply = await this.client.eval(script.lua, 1, key, ...args);
    }
    if (!Array.isArray(reply) || typeof reply[0] !== "string") {
      throw new RegistryUnavailableError(`Redis at ${this.label} gave an unexpected script reply`);
    }
    return reply;
  }

  /** Run a script over several keys of one slot; returns the reply table (first element: status tag). */
  async scriptKeys(
    script: LuaScript,
    keys: readonly string[],
    args: ReadonlyArray<string | number>,
  ): Promise<unknown[]> {
    let reply: unknown;
    try {
      reply = await this.client.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!message(error).includes("NOSCRIPT")) throw error;
      reply = await this.client.eval(script.lua, keys.length, ...keys, ...args);
    }
    if (!Array.isArray(reply) || typeof reply[0] !== "string") {
      throw new RegistryUnavailableError(`Redis at ${this.label} gave an unexpected script reply`);
    }
    return reply;
  }

  /** Quit (or, failing that, drop) the connection. Idempotent. */
  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    try {
      await this.client.quit();
    } catch {
      this.client.disconnect();
    }
  }
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
