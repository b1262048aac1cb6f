/**
 * Which location serves an endpoint: a pure ranking of its candidate locations.
 *
 * 1. Zone: when the caller's zone is known, locations known to be in it come first.
 * 2. Cost: round-trip estimate times (calls in flight + 1), the "peak EWMA" rule of
 *    latency-aware load balancers. A clearly nearer replica wins even while busy, and
 *    replicas with about the same round trip share the work, because each call in
 *    flight raises a location's cost by one round trip.
 * 3. Ties: fewer calls in flight, then the server's own order (the planner lists the
 *    nearest replica first).
 *
 * A location without a round-trip sample is costed at the mean of the candidates'
 * estimates (1 ms when none has one).
 */

/** A location an endpoint may be read from. */
export interface Candidate {
  /** The location URI (the origin's URI for reuse-connection and empty location lists). */
  readonly uri: string;
  /** Position in the endpoint's location list. */
  readonly order: number;
}

/** What the ranking needs to know about locations. */
export interface ChoiceInputs {
  rtt(uri: string): number | undefined;
  inflight(uri: string): number;
  zoneOf(uri: string): string | undefined;
  /** The caller's zone, if known. */
  readonly callerZone: string | undefined;
}

interface Scored {
  readonly candidate: Candidate;
  readonly tier: number;
  readonly cost: number;
  readonly inflight: number;
}

/** `candidates` best first. Pure. */
export function rankLocations(candidates: readonly Candidate[], inputs: ChoiceInputs): Candidate[] {
  const known = candidates.map((c) => inputs.rtt(c.uri)).filter((r): r is number => r !== undefined);
  const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  const scored: Scored[] = candidates.map((candidate) => {
    const inflight = inputs.inflight(candidate.uri);
    const rtt = Math.max(inputs.rtt(candidate.uri) ?? fallback, 0.001);
    const sameZone = inputs.callerZone !== undefined && inputs.zoneOf(candidate.uri) === inputs.callerZone;
    return { candidate, tier: sameZone ? 0 : 1, cost: rtt * (inflight + 1), inflight };
  });
  scored.sort(
    (a, b) => a.tier - b.tier || a.cost - b.cost || a.inflight - b.inflight || a.candidate.order - b.candidate.order,
  );
  return scored.map((s) => s.candidate);
}
