/**
 * Which location serves an endpoint: a pure ranking of its candidate locations.
 *
 * 1. Zone: when the caller's zone is known, locations known to be in it come first.
 * 2. Latency: within the best tier, the locations whose base round trip is within
 *    `NEAR_RATIO` times the lowest plus `NEAR_SLACK_MS` are "near" (a tie, allowing for
 *    measurement noise); the others follow, nearest first.
 * 3. Load: among near locations, fewer calls in flight first, so replicas with about the
 *    same round trip share the work; then the lower estimate; then the server's own order
 *    (the planner lists the nearest replica first).
 *
 * A clearly nearer replica therefore wins however busy it is; a replica that stays
 * overloaded answers more slowly, its base round trip (the minimum of its last samples,
 * fed by every DoGet's time to first response) rises, and it stops being near. A location
 * without a round-trip sample is costed at the mean of the candidates' (1 ms when none has one).
 */

/** Round trips within this factor of the lowest (plus `NEAR_SLACK_MS`) count as a tie. */
export const NEAR_RATIO = 1.25;
/** Absolute slack of a tie, ms (loopback round trips are noisy at the millisecond scale). */
export const NEAR_SLACK_MS = 2;

/** A location an endpoint may be read from. */
export interface Candidate {
  /** The location URI (the origin's URI for reuse-connection and empty location lists). */
  readonly uri: string;
  /** Position in the endpoint's location list. */
  readonly order: number;
}

/** What the ranking needs to know about locations. */
export interface ChoiceInputs {
  /** Round trip used for ranking (the base round trip), ms. */
  rtt(uri: string): number | undefined;
  inflight(uri: string): number;
  zoneOf(uri: string): string | undefined;
  /** The caller's zone, if known. */
  readonly callerZone: string | undefined;
}

interface Scored {
  readonly candidate: Candidate;
  readonly tier: number;
  readonly rtt: number;
  readonly inflight: number;
  near: boolean;
}

function compare(a: Scored, b: Scored): number {
  if (a.tier !== b.tier) return a.tier - b.tier;
  if (a.near !== b.near) return a.near ? -1 : 1;
  if (a.near) return a.inflight - b.inflight || a.rtt - b.rtt || a.candidate.order - b.candidate.order;
  return a.rtt - b.rtt || a.inflight - b.inflight || a.candidate.order - b.candidate.order;
}

/** `candidates` best first. Pure. */
export function rankLocations(candidates: readonly Candidate[], inputs: ChoiceInputs): Candidate[] {
  const known = candidates.map((c) => inputs.rtt(c.uri)).filter((r): r is number => r !== undefined);
  const fallback = known.length === 0 ? 1 : known.reduce((a, b) => a + b, 0) / known.length;
  const scored: Scored[] = candidates.map((candidate) => {
    const sameZone = inputs.callerZone !== undefined && inputs.zoneOf(candidate.uri) === inputs.callerZone;
    return {
      candidate,
      tier: sameZone ? 0 : 1,
      rtt: Math.max(0, inputs.rtt(candidate.uri) ?? fallback),
      inflight: inputs.inflight(candidate.uri),
      near: false,
    };
  });
  const bestTier = Math.min(...scored.map((s) => s.tier));
  const lowest = Math.min(...scored.filter((s) => s.tier === bestTier).map((s) => s.rtt));
  for (const s of scored) s.near = s.tier === bestTier && s.rtt <= lowest * NEAR_RATIO + NEAR_SLACK_MS;
  return scored.sort(compare).map((s) => s.candidate);
}
