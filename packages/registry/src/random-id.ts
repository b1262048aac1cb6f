import { randomBytes } from "node:crypto";

/** Number of random bytes in upload and ticket ids (192 bits). */
export const RANDOM_ID_BYTES = 24;

/**
 * A new unguessable id: {@link RANDOM_ID_BYTES} bytes from the OS CSPRNG, base64url
 * encoded without padding (32 characters of `[A-Za-z0-9_-]`).
 */
export function randomId(): string {
  return randomBytes(RANDOM_ID_BYTES).toString("base64url");
}
