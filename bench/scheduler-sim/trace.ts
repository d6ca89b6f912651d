/**
 * The workload: models with Zipf popularity, each with bursty arrivals from a two-state
 * Markov-modulated Poisson process (ON: most traffic, OFF: a trickle), per-model setup and
 * predict times, and a hardware SKU. Same seed, same trace.
 */
import { exponential, logUniform, mulberry32 } from './prng';

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
  /** Mean boot time in s. */
  setupS: number;
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
      setupS: logUniform(rnd(), 5, 300),
      predictS: logUniform(rnd(), 0.5, 20),
      meanRatePerS: (cfg.totalRatePerS * w) / sum,
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
