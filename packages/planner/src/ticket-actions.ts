/**
 * The well-known ticket actions: CancelFlightInfo deletes the tickets of a FlightInfo's
 * endpoints; RenewFlightEndpoint extends one endpoint's ticket and answers the endpoint
 * with its new `expiration_time`.
 */
import { CancelStatus, type FlightEndpoint, type FlightInfo } from "@flight-cluster/protocol";
import type { Registry } from "@flight-cluster/registry";
import { PlannerError } from "./planner-error.js";
import { toFlightError } from "./registry-errors.js";

const TICKET_ID = /^[A-Za-z0-9_-]{32}$/;
const strictUtf8 = new TextDecoder("utf-8", { fatal: true });

/**
 * The registry ticket id carried by a Flight ticket (its bytes are the id's ASCII), or
 * undefined when the bytes cannot be one of ours.
 */
export function ticketIdOf(ticket: Uint8Array): string | undefined {
  if (ticket.byteLength !== 32) return undefined;
  try {
    const id = strictUtf8.decode(ticket);
    return TICKET_ID.test(id) ? id : undefined;
  } catch {
    return undefined;
  }
}

/** Ticket actions over a registry. */
export interface TicketActions {
  /** Delete the tickets of every endpoint; `Cancelled` even for unknown tickets (idempotent). */
  cancelFlightInfo(info: FlightInfo, signal?: AbortSignal): Promise<CancelStatus>;
  /**
   * Extend the endpoint's ticket by the ticket TTL.
   * @throws PlannerError `PLANNER_TICKET_NOT_FOUND` (NOT_FOUND) for unknown, expired or cancelled tickets.
   */
  renewFlightEndpoint(endpoint: FlightEndpoint, signal?: AbortSignal): Promise<FlightEndpoint>;
}

/** Create the ticket actions; `ticketTtlMs` is how far a renewal extends a ticket. */
export function createTicketActions(registry: Registry, ticketTtlMs: number): TicketActions {
  return {
    async cancelFlightInfo(info, signal) {
      const ids = info.endpoints.flatMap((endpoint) => {
        const id = ticketIdOf(endpoint.ticket.ticket);
        return id === undefined ? [] : [id];
      });
      await Promise.all(ids.map((id) => registry.cancelTicket(id, signal))).catch((error: unknown) => {
        throw toFlightError(error);
      });
      return CancelStatus.Cancelled;
    },

    async renewFlightEndpoint(endpoint, signal) {
      const id = ticketIdOf(endpoint.ticket.ticket);
      const notFound = () =>
        new PlannerError(
          "PLANNER_TICKET_NOT_FOUND",
          "ticket is unknown, expired or cancelled; call GetFlightInfo again for a fresh one",
        );
      if (id === undefined) throw notFound();
      let expiresAt: number;
      try {
        expiresAt = await registry.renewTicket(id, ticketTtlMs, signal);
      } catch (error) {
        const flight = toFlightError(error);
        if (flight.code === notFound().code) throw notFound();
        throw flight;
      }
      return { ...endpoint, expirationTime: new Date(expiresAt) };
    },
  };
}
