/**
 * Shard placement by rendezvous (highest-random-weight) hashing.
 *
 * Every worker gets a pseudo-random score for a shard, a pure function of the
 * shard id and the worker id; the shard goes to the best-scoring workers. So the
 * answer depends only on the set of live workers (any planner computes the same
 * placement, whatever order the registry lists workers in), and a worker joining
 * takes over only the shards for which it now scores in the top R: about R/(N+1)
 * of the replicas, and never moves a shard between two existing workers.
 *
 * Zones: replicas go to distinct zones while zones allow, walking the ranking in
 * order; when there are fewer zones than replicas the remaining replicas go to
 * the best-ranked unused workers regardless of zone.
 */

/** What placement needs to know about a worker. */
export interface PlacementCandidate {
  readonly id: string;
  readonly zone: string;
}

/** Options of {@link placeReplicas}. */
export interface PlaceReplicasOptions {
  /**
   * Workers that already hold the shard (repair): they are not picked again and
   * their zones count as taken. The result then holds only the new workers.
   */
  readonly holders?: readonly PlacementCandidate[];
}

function fmix32(value: number): number {
  let h = value;
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * The rendezvous score of `workerId` for `key`: a 53-bit integer, uniform and
 * independent across keys and workers. Higher wins.
 */
export function rendezvousScore(key: string, workerId: string): number {
  // Two 32-bit multiplicative lanes over the UTF-16 units of key NUL workerId, then an
  // avalanche finalizer on each; 21 + 32 bits give an exact JavaScript integer.
  let a = 0x811c9dc5;
  let b = 0x2545f491;
  const mix = (unit: number): void => {
    a = Math.imul(a ^ unit, 0x01000193);
    b = Math.imul(b ^ unit, 0x5bd1e995);
    b ^= b >>> 15;
  };
  for (let i = 0; i < key.length; i++) mix(key.charCodeAt(i));
  mix(0);
  for (let i = 0; i < workerId.length; i++) mix(workerId.charCodeAt(i));
  const high = fmix32(b ^ Math.imul(a, 0x27d4eb2d)) >>> 11;
  const low = fmix32(a ^ b);
  return high * 0x1_0000_0000 + low;
}

/**
 * Every worker ranked for `key`, best first (ties, vanishingly rare, broken by id).
 * The input order does not matter.
 */
export function rankWorkers<T extends PlacementCandidate>(key: string, workers: readonly T[]): T[] {
  const scored = workers.map((worker) => ({ worker, score: rendezvousScore(key, worker.id) }));
  scored.sort((x, y) => y.score - x.score || (x.worker.id < y.worker.id ? -1 : x.worker.id > y.worker.id ? 1 : 0));
  return scored.map((entry) => entry.worker);
}

/**
 * Choose up to `count` workers for the shard `key`: the best-ranked worker of each
 * zone not yet taken, in rank order, then (when zones run out) the best-ranked
 * unused workers. Returns fewer than `count` only when there are too few workers;
 * the caller decides whether that is an error.
 *
 * Duplicate worker ids in `workers` are ignored after the first.
 */
export function placeReplicas<T extends PlacementCandidate>(
  key: string,
  workers: readonly T[],
  count: number,
  options: PlaceReplicasOptions = {},
): T[] {
  const holders = options.holders ?? [];
  const usedIds = new Set(holders.map((worker) => worker.id));
  const usedZones = new Set(holders.map((worker) => worker.zone));
  const ranked = rankWorkers(key, dedupe(workers)).filter((worker) => !usedIds.has(worker.id));
  const chosen: T[] = [];
  const rest: T[] = [];
  for (const worker of ranked) {
    if (chosen.length >= count) break;
    if (usedZones.has(worker.zone)) {
      rest.push(worker);
      continue;
    }
    usedZones.add(worker.zone);
    chosen.push(worker);
  }
  for (const worker of rest) {
    if (chosen.length >= count) break;
    chosen.push(worker);
  }
  return chosen;
}

function dedupe<T extends PlacementCandidate>(workers: readonly T[]): T[] {
  const seen = new Set<string>();
  const out: T[] = [];
  for (const worker of workers) {
    if (seen.has(worker.id)) continue;
    seen.add(worker.id);
    out.push(worker);
  }
  return out;
}
