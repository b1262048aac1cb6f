/**
 * CallObserverSlot: per-call observation of response headers through the protocol's
 * client middleware, for calls whose reader does not expose them (DoGet).
 *
 * A FlightClient runs its middleware factories synchronously while a call is being set
 * up, so arming the slot immediately before starting the call and disarming it right
 * after attaches the observer to exactly that call. The slot must be the client's last
 * middleware factory; calls started without arming are not observed.
 */
import type { CallInfo, ClientMiddleware, ClientMiddlewareFactory } from "@flight-cluster/protocol";

/** A middleware factory that hands the armed observer to the next call only. */
export class CallObserverSlot implements ClientMiddlewareFactory {
  #armed: ClientMiddleware | undefined;

  /** @internal part of ClientMiddlewareFactory. */
  startCall(_info: CallInfo): ClientMiddleware | undefined {
    const armed = this.#armed;
    this.#armed = undefined;
    return armed;
  }

  /**
   * Runs `start` (which must start exactly one call on the client owning this slot,
   * synchronously) with `observer` attached to that call.
   */
  observe<T>(observer: ClientMiddleware, start: () => T): T {
    this.#armed = observer;
    try {
      return start();
    } finally {
      this.#armed = undefined;
    }
  }
}
