/**
 * Adaptive keep-alive for the last warm instance of a version.
 *
 * Idling costs GPU time; stopping costs a cold boot later: the boot's GPU time, plus every
 * prediction that arrives while it boots waiting for it. Given the version's history of gaps
 * between arrivals, pick the keep-alive T that minimises the expected cost per gap:
 *
 *   cost(T) = E[ min(gap, T) ] + P(gap > T) × ( setup + k × (w × setup + penalty) )
 *
 * where k = 1 / (1 − P(gap < setup)) is the expected number of predictions caught by one cold
 * boot (the first, plus those arriving while it boots), w = coldStartWeight prices their wait
 * in GPU time, and penalty = coldStartPenaltyMs is a flat price per cold prediction (the
 * Lagrange multiplier that trades GPU time for cold starts across versions).
 *
 * This is the ski-rental trade-off solved on the empirical gap distribution, in the spirit of
 * the histogram keep-alive of "Serverless in the Wild" (ATC '20). Rarely used versions get the
 * floor; versions with slow boots and bursts of traffic stay warm longer. Without enough
 * history, T = (1 + w) × setup + penalty (the break-even rule), clamped.
 */

/** Upper edges (ms) of the histogram's buckets: log-spaced from 1 s to 4 h, then +∞. */
export const GAP_BUCKET_EDGES_MS: readonly number[] = (() => {
  const edges: number[] = [];
  for (let e = 1000; e < 4 * 3600_000; e *= 1.25) edges.push(Math.round(e));
  edges.push(4 * 3600_000, Infinity);
  return edges;
})();

/** Decayed counts of arrival gaps per bucket. Plain data: store it per version. */
export interface GapHistogram {
  counts: number[];
  /** Sum of counts (decayed). */
  total: number;
}

/** Each new gap multiplies older counts by this: about the last 200 gaps matter. */
const DECAY = 0.995;

export function emptyGapHistogram(): GapHistogram {
  return { counts: GAP_BUCKET_EDGES_MS.map(() => 0), total: 0 };
}

/** Records one gap (ms between consecutive arrivals); returns a new histogram. */
export function recordGap(h: GapHistogram, gapMs: number): GapHistogram {
  const counts = h.counts.map((c) => c * DECAY);
  let i = 0;
  while (gapMs > GAP_BUCKET_EDGES_MS[i]) i++;
  counts[i] += 1;
  return { counts, total: h.total * DECAY + 1 };
}

export interface KeepAliveInput {
  gaps?: GapHistogram;
  /** Typical boot time in ms. */
  setupMs: number;
  minMs: number;
  maxMs: number;
  coldStartWeight: number;
  coldStartPenaltyMs: number;
  /** Fewer (decayed) samples than this: fall back to the break-even rule. */
  minSamples: number;
}

/** The keep-alive in ms, within [minMs, maxMs]. */
export function adaptiveKeepAliveMs(input: KeepAliveInput): number {
  const { gaps, setupMs, minMs, maxMs } = input;
  const clamp = (t: number) => Math.min(maxMs, Math.max(minMs, t));
  const perPrediction = input.coldStartWeight * setupMs + input.coldStartPenaltyMs;
  if (!gaps || gaps.total < input.minSamples) return clamp(setupMs + perPrediction);
  const coldCost = coldBootCostMs(gaps, setupMs, input.coldStartWeight, input.coldStartPenaltyMs);
  // Walk bucket edges as candidate T; keep prefix sums of gaps at or under T.
  let bestT = minMs;
  let bestCost = Infinity;
  let countUnder = 0;
  let sumUnder = 0;
  const candidates = [minMs, ...GAP_BUCKET_EDGES_MS.filter((e) => e > minMs && e <= maxMs)];
  let bucket = 0;
  for (const t of candidates) {
    while (bucket < GAP_BUCKET_EDGES_MS.length && GAP_BUCKET_EDGES_MS[bucket] <= t) {
      countUnder += gaps.counts[bucket];
      sumUnder += gaps.counts[bucket] * representative(bucket);
      bucket++;
    }
    const over = gaps.total - countUnder;
    const cost = (sumUnder + over * (t + coldCost)) / gaps.total;
    if (cost < bestCost - 1e-9) {
      bestCost = cost;
      bestT = t;
    }
  }
  return clamp(bestT);
}

/** Price of one cold boot in GPU-ms: setup + k × (w × setup + penalty), k from the histogram (see above). */
export function coldBootCostMs(gaps: GapHistogram, setupMs: number, coldStartWeight: number, coldStartPenaltyMs: number): number {
  const caught = 1 / Math.max(1 / MAX_CAUGHT, 1 - fractionUnder(gaps, setupMs));
  return setupMs + caught * (coldStartWeight * setupMs + coldStartPenaltyMs);
}

/**
 * P(the next arrival comes within `horizonMs` | none has come for `idleMs`), from the histogram
 * at bucket resolution (a bucket counts once its upper edge lies past `idleMs`); 0 when no
 * recorded gap is that long.
 */
export function hazardWithin(gaps: GapHistogram, idleMs: number, horizonMs: number): number {
  let over = 0;
  let within = 0;
  for (let i = 0; i < GAP_BUCKET_EDGES_MS.length; i++) {
    const edge = GAP_BUCKET_EDGES_MS[i];
    if (edge <= idleMs) continue;
    over += gaps.counts[i];
    if (edge <= idleMs + horizonMs) within += gaps.counts[i];
  }
  return over > 0 ? within / over : 0;
}

/** Caps k: one boot is never priced as more than this many cold predictions. */
const MAX_CAUGHT = 20;

/** Share of recorded gaps shorter than `ms` (bucket resolution). */
function fractionUnder(gaps: GapHistogram, ms: number): number {
  let under = 0;
  for (let i = 0; i < GAP_BUCKET_EDGES_MS.length && GAP_BUCKET_EDGES_MS[i] <= ms; i++) under += gaps.counts[i];
  return gaps.total > 0 ? under / gaps.total : 0;
}

/** A gap in bucket i is taken as the bucket's geometric middle. */
function representative(i: number): number {
  const hi = GAP_BUCKET_EDGES_MS[i];
  const lo = i === 0 ? 0 : GAP_BUCKET_EDGES_MS[i - 1];
  if (!Number.isFinite(hi)) return lo;
  return i === 0 ? hi / 2 : Math.sqrt(lo * hi);
}
