/**
 * Calling the planner's JSON actions (docs/architecture.md, "Actions (planner)"):
 * one request body in, one JSON document out, with a readable error when the answer
 * is not what the client expects.
 */
import type { CallOptions, FlightClient } from "@flight-cluster/protocol";
import { ClientError } from "./client-error.js";

const encoder = new TextEncoder();

/**
 * Runs action `type` with `body` (a JSON value, or a string sent as is) and parses the
 * first result as JSON.
 * @throws the server's FlightError; ClientError `CLIENT_BAD_RESPONSE` when there is no
 *   result or it is not JSON.
 */
export async function jsonAction(
  client: FlightClient,
  type: string,
  body: unknown,
  options: CallOptions,
): Promise<unknown> {
  const bytes = encoder.encode(typeof body === "string" ? body : JSON.stringify(body));
  let answer: Uint8Array | undefined;
  for await (const result of client.doAction({ type, body: bytes }, options)) answer ??= result.body;
  if (answer === undefined) throw new ClientError("CLIENT_BAD_RESPONSE", `action ${type} returned no result`);
  try {
    return JSON.parse(new TextDecoder("utf-8", { fatal: true }).decode(answer));
  } catch (cause) {
    throw new ClientError("CLIENT_BAD_RESPONSE", `action ${type} returned a result that is not JSON`, { cause });
  }
}

/** Field readers over a JSON object answer, failing with `CLIENT_BAD_RESPONSE` naming the action and field. */
export class JsonFields {
  readonly #action: string;
  readonly #object: Record<string, unknown>;

  /** @throws ClientError `CLIENT_BAD_RESPONSE` when `value` is not a JSON object. */
  constructor(action: string, value: unknown) {
    if (typeof value !== "object" || value === null || Array.isArray(value)) {
      throw new ClientError("CLIENT_BAD_RESPONSE", `action ${action} answered ${typeof value}, expected an object`);
    }
    this.#action = action;
    this.#object = value as Record<string, unknown>;
  }

  #bad(field: string, expected: string): never {
    throw new ClientError(
      "CLIENT_BAD_RESPONSE",
      `action ${this.#action} answered a ${field} that is not ${expected}: ${JSON.stringify(this.#object[field])?.slice(0, 80)}`,
    );
  }

  /** A string field. */
  string(field: string): string {
    const v = this.#object[field];
    return typeof v === "string" ? v : this.#bad(field, "a string");
  }

  /** A non-negative safe integer field. */
  integer(field: string): number {
    const v = this.#object[field];
    return typeof v === "number" && Number.isSafeInteger(v) && v >= 0 ? v : this.#bad(field, "a non-negative integer");
  }

  /** An array field. */
  array(field: string): unknown[] {
    const v = this.#object[field];
    return Array.isArray(v) ? v : this.#bad(field, "an array");
  }

  /** The whole object. */
  get raw(): Readonly<Record<string, unknown>> {
    return this.#object;
  }
}
