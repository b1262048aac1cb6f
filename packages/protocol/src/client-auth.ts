/**
 * Client side of Basic -> Bearer authentication (see server-auth.ts for the wire rules).
 */
import { getHeaderValues, type IncomingHeaders } from "./call-options.js";

/** `Basic base64(user:pass)` with standard padded base64, as pyarrow sends it. */
export function formatBasicHeader(username: string, password: string): string {
  return `Basic ${Buffer.from(`${username}:${password}`, "utf8").toString("base64")}`;
}

/** The `Bearer <token>` value of the first bearer `authorization` header, or undefined. */
export function extractBearerToken(headers: IncomingHeaders): string | undefined {
  for (const value of getHeaderValues(headers, "authorization")) {
    if (/^bearer\s+\S+/i.test(value)) return value.trim();
  }
  return undefined;
}
