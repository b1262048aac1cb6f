/**
 * Parsing registry Redis URLs into ioredis connection settings.
 *
 * | URL | ioredis |
 * | --- | --- |
 * | `redis://[user:pass@]host[:6379][/db]` | `new Redis({host, port, username, password, db})` |
 * | `rediss://...` | the same with `tls: {}` |
 * | `redis-sentinel://[user:pass@]h1:26379,h2:26379/master[?db=0&sentinelPassword=..&sentinelUsername=..&tls=1]` | `new Redis({sentinels, name: master, username, password, db, ...})` |
 * | `redis-cluster://[user:pass@]h1:6379,h2:6379[?tls=1]` | `new Cluster(nodes, {redisOptions: {username, password, tls}})` |
 *
 * Every form accepts `?prefix=<key prefix>`. User names and passwords are
 * percent-decoded.
 */
import type { RedisOptions } from "ioredis";
import { RegistryInvalidArgumentError } from "./registry-error.js";

/** A host and port. */
export interface RedisNode {
  readonly host: string;
  readonly port: number;
}

/** What a registry URL says about how to reach Redis. */
export type ParsedRedisUrl =
  | { readonly mode: "standalone"; readonly options: RedisOptions; readonly prefix: string | undefined }
  | { readonly mode: "sentinel"; readonly options: RedisOptions; readonly prefix: string | undefined }
  | {
      readonly mode: "cluster";
      readonly nodes: readonly RedisNode[];
      readonly options: RedisOptions;
      readonly prefix: string | undefined;
    };

const URL_PATTERN = /^([a-z][a-z0-9+.-]*):\/\/(?:([^@/?#]*)@)?([^/?#]*)(?:\/([^?#]*))?(?:\?([^#]*))?$/i;

function invalid(url: string, why: string): never {
  throw new RegistryInvalidArgumentError(`registry URL ${redact(url)} is invalid: ${why}`);
}

/** The URL with any password replaced by `***`, for messages and logs. */
export function redact(url: string): string {
  return url.replace(/^([^:]+:\/\/[^:@/]*:)[^@/]*@/, "$1***@");
}

function parseNodes(url: string, hosts: string, defaultPort: number): RedisNode[] {
  if (hosts === "") invalid(url, "no host");
  return hosts.split(",").map((part) => {
    const m = /^(?:\[([^\]]+)\]|([^:[\]]+))(?::(\d{1,5}))?$/.exec(part);
    if (m === null) invalid(url, `bad host "${part}"`);
    const port = m[3] === undefined ? defaultPort : Number(m[3]);
    if (port < 1 || port > 65535) invalid(url, `bad port in "${part}"`);
    return { host: (m[1] ?? m[2]) as string, port };
  });
}

function decode(url: string, text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return invalid(url, "bad percent-encoding in credentials");
  }
}

function parseDb(url: string, text: string | null | undefined): number | undefined {
  if (text === null || text === undefined || text === "") return undefined;
  if (!/^\d{1,5}$/.test(text)) invalid(url, `bad database number "${text}"`);
  return Number(text);
}

/**
 * Parse a `redis://`, `rediss://`, `redis-sentinel://` or `redis-cluster://` URL.
 * @throws RegistryInvalidArgumentError naming what is wrong (passwords redacted).
 */
export function parseRedisUrl(url: string): ParsedRedisUrl {
  const m = URL_PATTERN.exec(url);
  if (m === null) invalid(url, "expected scheme://host[:port]");
  const scheme = (m[1] as string).toLowerCase();
  const [user, pass] = m[2] === undefined ? [] : m[2].split(/:(.*)/s, 2);
  const query = new URLSearchParams(m[5] ?? "");
  const auth: RedisOptions = {};
  if (user !== undefined && user !== "") auth.username = decode(url, user);
  if (pass !== undefined) auth.password = decode(url, pass);
  const tls = query.get("tls") === "1" || query.get("tls") === "true" ? { tls: {} } : {};
  const prefix = query.get("prefix") ?? undefined;
  const path = m[4] ?? "";
  switch (scheme) {
    case "redis":
    case "rediss": {
      const nodes = parseNodes(url, m[3] as string, 6379);
      const node = nodes[0] as RedisNode;
      if (nodes.length > 1) invalid(url, "several hosts need redis-sentinel:// or redis-cluster://");
      const db = parseDb(url, path === "" ? query.get("db") : path);
      const options: RedisOptions = { host: node.host, port: node.port, ...auth, ...tls };
      if (scheme === "rediss") options.tls = {};
      if (db !== undefined) options.db = db;
      return { mode: "standalone", options, prefix };
    }
    case "redis-sentinel": {
      const sentinels = parseNodes(url, m[3] as string, 26379);
      if (path === "" || path.includes("/")) invalid(url, "the path must be the master group name");
      const options: RedisOptions = { sentinels: [...sentinels], name: decode(url, path), ...auth, ...tls };
      const db = parseDb(url, query.get("db"));
      if (db !== undefined) options.db = db;
      const sentinelPassword = query.get("sentinelPassword");
      if (sentinelPassword !== null) options.sentinelPassword = sentinelPassword;
      const sentinelUsername = query.get("sentinelUsername");
      if (sentinelUsername !== null) options.sentinelUsername = sentinelUsername;
      if (tls.tls !== undefined) options.enableTLSForSentinelMode = true;
      return { mode: "sentinel", options, prefix };
    }
    case "redis-cluster": {
      const nodes = parseNodes(url, m[3] as string, 6379);
      if (path !== "") invalid(url, "Redis Cluster has no database number");
      return { mode: "cluster", nodes, options: { ...auth, ...tls }, prefix };
    }
    default:
      return invalid(url, `unknown scheme "${scheme}" (use redis, rediss, redis-sentinel or redis-cluster)`);
  }
}
