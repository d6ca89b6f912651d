/**
 * The workload: models with Zipf popularity, each with bursty arrivals from a two-state
 * Markov-modulated Poisson process (ON: most traffic, OFF: a trickle), per-model setup and
 * predict times, and a hardware SKU. Same seed, same trace.
 */
import { exponential, keyed, logUniform, mulberry32 } from './prng';

/** Artifact sizes are drawn apart from the stream above, so adding them left the other draws as they were. */
const keyedDraw = (seed: number, index: number) => keyed(seed, index, 0, 9);

export interface TraceConfig {
  seed: number;
  models: number;
  zipfS: number;
  /** Mean arrivals per second over all models. */
  totalRatePerS: number;
  horizonS: number;
}

export interface Model {
  index: number;
  versionId: string;
  sku: string;
  maxConcurrency: number;
  /** Mean process start + setup in s (the boot without the artifact fetch). */
  setupS: number;
  /** Bytes of the model's artifacts (weights, image layers): fetched from a tier at each boot. */
  artifactBytes: number;
  /** Mean predict time in s. */
  predictS: number;
  meanRatePerS: number;
}

export interface Arrival {
  t: number;
  model: number;
  /** Sequence number of the arrival for its model (keys its random predict time). */
  n: number;
}

const SKU_MIX: [string, number][] = [
  ['gpu-t4', 0.3],
  ['gpu-l40s', 0.3],
  ['gpu-a100-large', 0.2],
  ['gpu-h100', 0.15],
  ['gpu-h100-2x', 0.05],
];

export function makeModels(cfg: TraceConfig): Model[] {
  const rnd = mulberry32(cfg.seed);
  const weights = Array.from({ length: cfg.models }, (_, i) => 1 / Math.pow(i + 1, cfg.zipfS));
  const sum = weights.reduce((a, b) => a + b, 0);
  return weights.map((w, index) => {
    let u = rnd();
    let sku = SKU_MIX[SKU_MIX.length - 1][0];
    for (const [s, p] of SKU_MIX) {
      if (u < p) {
        sku = s;
        break;
      }
      u -= p;
    }
    return {
      index,
      versionId: `m${String(index).padStart(3, '0')}`,
      sku,
      maxConcurrency: rnd() < 0.2 ? 4 : 1,
      setupS: logUniform(rnd(), 5, 120),
      predictS: logUniform(rnd(), 0.5, 20),
      meanRatePerS: (cfg.totalRatePerS * w) / sum,
      artifactBytes: logUniform(keyedDraw(cfg.seed, index), 1e9, 40e9),
    };
  });
}

/**
 * MMPP per model: ON periods (mean 5–20 min) carry 90% of its traffic, OFF periods (mean
 * 15–90 min) the rest; the long-run mean rate is the model's Zipf share.
 */
export function makeArrivals(cfg: TraceConfig, models: Model[]): Arrival[] {
  const arrivals: Arrival[] = [];
  for (const m of models) {
    const rnd = mulberry32(cfg.seed * 7919 + m.index + 1);
    const onMean = logUniform(rnd(), 300, 1200);
    const offMean = logUniform(rnd(), 900, 5400);
    const pOn = onMean / (onMean + offMean);
    const onRate = (0.9 * m.meanRatePerS) / pOn;
    const offRate = (0.1 * m.meanRatePerS) / (1 - pOn);
    let t = 0;
    let on = rnd() < pOn;
    let n = 0;
    while (t < cfg.horizonS) {
      const end = Math.min(cfg.horizonS, t + exponential(rnd(), on ? onMean : offMean));
      const rate = on ? onRate : offRate;
      let s = t + exponential(rnd(), 1 / rate);
      while (s < end) {
        arrivals.push({ t: s, model: m.index, n: n++ });
        s += exponential(rnd(), 1 / rate);
      }
      t = end;
      on = !on;
    }
  }
  return arrivals.sort((a, b) => a.t - b.t || a.model - b.model);
}

/** Timer periods (min) of the cron-like models of the periodic trace. */
const TIMER_PERIODS_MIN = [5, 10, 15, 20, 30, 60, 120];

/**
 * Daily periodicity and timers. 30 % of models are cron-like: a firing every N minutes (N from
 * TIMER_PERIODS_MIN, a fixed offset, ±10 s jitter) of 1–3 predictions. The others arrive as a
 * Poisson process whose rate follows the day: λ(t) = mean × (1 + 0.9 sin(2π (t/day − φ))),
 * φ per model, drawn by thinning. The long-run mean rate of a non-timer model is its Zipf share.
 */
export function makePeriodicArrivals(cfg: TraceConfig, models: Model[]): Arrival[] {
  const DAY = 86_400;
  const arrivals: Arrival[] = [];
  for (const m of models) {
    const rnd = mulberry32(cfg.seed * 104_729 + m.index + 1);
    let n = 0;
    if (rnd() < 0.3) {
      const period = 60 * TIMER_PERIODS_MIN[Math.floor(rnd() * TIMER_PERIODS_MIN.length)];
      for (let fire = rnd() * period; fire < cfg.horizonS; fire += period) {
        const batch = 1 + Math.floor(rnd() * 3);
        for (let b = 0; b < batch; b++) {
          const t = fire + 20 * (rnd() - 0.5) + b * 0.5;
          if (t >= 0 && t < cfg.horizonS) arrivals.push({ t, model: m.index, n: n++ });
        }
      }
      continue;
    }
    const phase = rnd();
    const peak = 1.9 * m.meanRatePerS;
    for (let t = exponential(rnd(), 1 / peak); t < cfg.horizonS; t += exponential(rnd(), 1 / peak)) {
      const rate = m.meanRatePerS * (1 + 0.9 * Math.sin(2 * Math.PI * (t / DAY - phase)));
      if (rnd() < rate / peak) arrivals.push({ t, model: m.index, n: n++ });
    }
  }
  return arrivals.sort((a, b) => a.t - b.t || a.model - b.model);
}
