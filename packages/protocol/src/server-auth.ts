/**
 * Server-side authentication: HTTP Basic on Handshake, then a Bearer token on every call.
 *
 * Wire behaviour (compatible with pyarrow's `authenticate_basic_token`, arrow-go and
 * arrow-rs): the client sends `authorization: Basic base64(user:pass)` on a Handshake
 * (base64 with or without `=` padding is accepted); the server answers with
 * `authorization: Bearer <token>` in the Handshake's initial response headers. Every
 * later call must carry that Bearer header; the token is validated on every call, and
 * calls without a valid one fail with UNAUTHENTICATED.
 */
import { createHash, randomBytes, timingSafeEqual } from "node:crypto";
import { getHeader } from "./call-options.js";
import { FlightUnauthenticatedError } from "./flight-error.js";
import type { ServerCallContextImpl } from "./server-call-context.js";

/** Pluggable credential and token checks (pyarrow's `ServerAuthHandler`, for Basic -> Bearer). */
export interface ServerAuthHandler {
  /** Checks Basic credentials; returns the identity, or undefined to reject with UNAUTHENTICATED. May throw a FlightError. */
  authenticateBasic(username: string, password: string): Promise<string | undefined> | string | undefined;
  /** Issues a bearer token for an authenticated identity (at least 128 random bits, or a signed token). */
  issueToken(identity: string): Promise<string> | string;
  /** Validates a bearer token; returns its identity, or undefined to reject with UNAUTHENTICATED. */
  validateToken(token: string): Promise<string | undefined> | string | undefined;
}

/** Options of {@link createBasicTokenAuthHandler}. */
export interface BasicTokenAuthOptions {
  /** Static user table: username -> password. The identity is the username. */
  readonly users?: Readonly<Record<string, string>>;
  /** Custom credential check returning the identity (or undefined). Used instead of `users` when given. */
  readonly validate?: (username: string, password: string) => Promise<string | undefined> | string | undefined;
  /** Token lifetime in milliseconds. Default: 1 hour. */
  readonly tokenTtlMs?: number;
  /** Most tokens kept at once (oldest evicted first). Default: 100,000. */
  readonly maxTokens?: number;
}

function digest(text: string): Buffer {
  return createHash("sha256").update(text, "utf8").digest();
}

/**
 * An auth handler that checks Basic credentials against `users` (constant-time) or
 * `validate`, and issues random 128-bit bearer tokens kept in memory with a TTL.
 * Tokens are local to this process: several servers behind one address need a
 * shared {@link ServerAuthHandler} instead.
 */
export function createBasicTokenAuthHandler(options: BasicTokenAuthOptions): ServerAuthHandler {
  const ttlMs = options.tokenTtlMs ?? 3_600_000;
  const maxTokens = options.maxTokens ?? 100_000;
  const tokens = new Map<string, { identity: string; expiresAt: number }>();
  const users = new Map(Object.entries(options.users ?? {}).map(([u, p]) => [u, digest(p)]));
  const validate =
    options.validate ??
    ((username: string, password: string): string | undefined => {
      const expected = users.get(username);
      const given = digest(password);
      // Compare even for unknown users so timing does not reveal which usernames exist.
      const ok = timingSafeEqual(expected ?? digest(`\u0000${password}`), given) && expected !== undefined;
      return ok ? username : undefined;
    });
  return {
    authenticateBasic: validate,
    issueToken(identity) {
      const now = Date.now();
      if (tokens.size >= maxTokens) {
        for (const [token, entry] of tokens) if (entry.expiresAt <= now) tokens.delete(token);
        while (tokens.size >= maxTokens) {
          const oldest = tokens.keys().next();
          if (oldest.done) break;
          tokens.delete(oldest.value);
        }
      }
      const token = randomBytes(16).toString("base64url");
      tokens.set(token, { identity, expiresAt: now + ttlMs });
      return token;
    },
    validateToken(token) {
      const entry = tokens.get(token);
      if (entry === undefined) return undefined;
      if (entry.expiresAt <= Date.now()) {
        tokens.delete(token);
        return undefined;
      }
      return entry.identity;
    },
  };
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;

/** Parses `Basic <base64(user:pass)>` (padding optional). Returns undefined when malformed. */
export function parseBasicAuthorization(value: string): { username: string; password: string } | undefined {
  const match = /^basic\s+(\S+)\s*$/i.exec(value);
  const encoded = match?.[1];
  if (encoded === undefined || !BASE64.test(encoded) || encoded.replace(/=+$/, "").length % 4 === 1) return undefined;
  const bytes = Buffer.from(encoded, "base64");
  let text: string;
  try {
    text = new TextDecoder("utf-8", { fatal: true }).decode(bytes);
  } catch {
    return undefined;
  }
  const colon = text.indexOf(":");
  if (colon < 0) return undefined;
  return { username: text.slice(0, colon), password: text.slice(colon + 1) };
}

/** Parses `Bearer <token>`. Returns undefined when the header is not a bearer token. */
export function parseBearerAuthorization(value: string): string | undefined {
  const match = /^bearer\s+(\S+)\s*$/i.exec(value);
  return match?.[1];
}

/**
 * Authenticates one incoming call and records the identity on the context.
 * Handshake with Basic credentials issues a token and adds it to the response headers.
 * @throws FlightUnauthenticatedError when credentials or token are missing or invalid.
 */
export async function authenticateCall(handler: ServerAuthHandler, ctx: ServerCallContextImpl): Promise<void> {
  const authorization = getHeader(ctx.headers, "authorization");
  if (authorization === undefined) {
    throw new FlightUnauthenticatedError(
      ctx.method === "Handshake"
        ? "missing authorization header (send 'Basic base64(user:password)')"
        : "missing authorization header (authenticate with Handshake, then send 'Bearer <token>')",
    );
  }
  const bearer = parseBearerAuthorization(authorization);
  if (bearer !== undefined) {
    const identity = await handler.validateToken(bearer);
    if (identity === undefined) throw new FlightUnauthenticatedError("invalid or expired bearer token");
    ctx.peerIdentity = identity;
    return;
  }
  if (ctx.method !== "Handshake") {
    throw new FlightUnauthenticatedError("authorization must be 'Bearer <token>' (obtain one with Handshake)");
  }
  const basic = parseBasicAuthorization(authorization);
  if (basic === undefined) throw new FlightUnauthenticatedError("malformed Basic authorization header");
  const identity = await handler.authenticateBasic(basic.username, basic.password);
  if (identity === undefined) throw new FlightUnauthenticatedError("invalid username or password");
  const token = await handler.issueToken(identity);
  ctx.peerIdentity = identity;
  ctx.addHeader("authorization", `Bearer ${token}`);
}
