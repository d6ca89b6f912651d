/** Autoscaler knobs, their defaults, and why those defaults. */
import type { PlaceOptions } from './placement';

export interface AutoscalerKnobs {
  /**
   * Every idle instance stops after this long when keep-alive is `fixed`; so does an idle extra
   * instance of a deployment. The floor of adaptive keep-alive, for the last instance and for
   * extra ones (those stop after max(idleWindowMs, setup), capped by the last one's keep-alive).
   * Also the horizon over which `hazard` eviction weighs the risk of losing an instance.
   * Default 60 s (Modal's default scaledown window).
   */
  idleWindowMs: number;
  /**
   * A backlog must be this old before an instance is added to a version that already has some.
   * Scaling from zero never waits. Default 1 s (within the 0–2 s band; damps flapping on spikes).
   */
  scaleUpDelayMs: number;
  /** Idle time before a deployment with `min_instances: 0` drops its last instance. Default = idleWindowMs. */
  toZeroDelayMs: number;
  /** Most instances an on-demand (non-deployment) version may have. Default 4. */
  onDemandMaxInstances: number;
  /**
   * How long idle instances of an on-demand version stay warm. `fixed`: idleWindowMs for every
   * instance. `adaptive` (default): the last one for a keep-alive learned per version from its
   * arrival gaps and setup time (keep-alive.ts); extra ones for their boot time, within
   * [idleWindowMs, that keep-alive] (autoscaler.ts, extraInstanceKeepAliveMs).
   */
  keepAlive: 'fixed' | 'adaptive';
  /**
   * Which idle instances of other versions are evicted first when a start does not fit.
   * `hazard` (default): lowest expected loss first (chance of an arrival within idleWindowMs,
   * given how long it has been idle, from the version's gap histogram, × the price of a cold
   * boot; autoscaler.ts). `lru`: least recently used first.
   */
  eviction: 'hazard' | 'lru';
  /** Upper bound of adaptive keep-alive. Default 30 min. */
  keepAliveMaxMs: number;
  /**
   * How much a millisecond of a caller waiting on a cold boot costs, in GPU-milliseconds, when
   * adaptive keep-alive weighs idling against a cold start. Default 1.
   */
  coldStartWeight: number;
  /**
   * A flat price of one cold start in GPU-milliseconds, on top of the boot itself and the
   * weighted wait: what avoiding one cold start is worth. Raising it trades GPU time for fewer
   * cold starts. Default 300 s: the exchange rate a fixed 5-minute idle window (Replicate's
   * "a few minutes") implies — up to 5 GPU-minutes of idling per avoided cold start — spent
   * per version where it buys the most (see BENCHMARKS.md, "Scheduler simulation").
   */
  coldStartPenaltyMs: number;
  /**
   * Forecast prewarm (forecast.ts): start an instance of a version with none live shortly before
   * a likely arrival (from its idle-time histogram and daily pattern) when the cold start saved
   * is worth more than the GPU time idled; an instance that has served nothing since it booted
   * stays past its keep-alive only while the forecast still pays for it. Uses free room only
   * (never evicts). Default on (GANTRY_PREWARM); off gives the keep-alive-only autoscaler.
   */
  prewarm: boolean;
  /** Adaptive keep-alive needs at least this many recorded gaps; before that it uses (1 + w) × setup + penalty. Default 8. */
  minGapSamples: number;
  /** Assumed boot time when a version has none measured yet. Default 30 s. */
  defaultSetupMs: number;
  /** First retry delay after a failed boot; doubles per consecutive failure. Default 5 s. */
  setupBackoffBaseMs: number;
  /** Cap of that delay. Default 5 min. */
  setupBackoffMaxMs: number;
  /** How new instances are placed. Default binpack. */
  placement: PlaceOptions;
}

export const DEFAULT_KNOBS: Readonly<AutoscalerKnobs> = Object.freeze({
  idleWindowMs: 60_000,
  scaleUpDelayMs: 1_000,
  toZeroDelayMs: 60_000,
  onDemandMaxInstances: 4,
  keepAlive: 'adaptive',
  eviction: 'hazard',
  keepAliveMaxMs: 30 * 60_000,
  coldStartWeight: 1,
  coldStartPenaltyMs: 300_000,
  minGapSamples: 8,
  prewarm: true,
  defaultSetupMs: 30_000,
  setupBackoffBaseMs: 5_000,
  setupBackoffMaxMs: 5 * 60_000,
  placement: {},
});

/** Defaults overlaid with the given knobs; `toZeroDelayMs` follows `idleWindowMs` unless set. */
export function withDefaults(knobs: Partial<AutoscalerKnobs> = {}): AutoscalerKnobs {
  const idleWindowMs = knobs.idleWindowMs ?? DEFAULT_KNOBS.idleWindowMs;
  return { ...DEFAULT_KNOBS, toZeroDelayMs: idleWindowMs, ...knobs, idleWindowMs };
}
