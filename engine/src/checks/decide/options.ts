/**
 * The cost of one group's usage under each option. Each option's cost is split into a part that
 * grows with use and a fixed part, which is what break-even utilisations are computed from. Pure.
 */
import { findSku } from '../../core/hardware';
import { computeCost, type PricingRule } from '../../core/pricing';
import { roundUsd } from '../stats';
import type { ResolvedPrices } from './prices';

export const OPTIONS = ['gantry', 'replicate_public', 'replicate_private', 'dedicated'] as const;
export type OptionKey = (typeof OPTIONS)[number];

/** One usage record with what the decision needs of its prediction. */
export interface UsageFact {
  key: string | null;
  kind: string;
  model: string | null;
  deployment: string | null;
  hardware: string | null;
  total_usd: number;
  /** Idle or setup seconds for instance records; quantity of the rule for runs. */
  quantity: number;
  predict_time: number | null;
  /** Seconds an on-demand run waited for its instance to boot (cold start). */
  setup_time: number | null;
  metrics: Record<string, unknown>;
  started: number | null;
  completed: number | null;
}

export interface SkuUsage {
  sku: string;
  predictions: number;
  active_seconds: number;
  setup_seconds: number;
  idle_seconds: number;
  peak_concurrency: number;
  /** Seconds of warm floor a private deployment pays anyway: min_instances × the period it existed. */
  floor_seconds: number;
}

export interface OptionCost {
  total_usd: number | null;
  /** The part of total_usd that grows with use (the rest is fixed for the period). */
  variable_usd: number | null;
  basis: string;
  [extra: string]: unknown;
}

const isRun = (kind: string) => kind === 'prediction' || kind === 'training';

export function gantryCost(facts: UsageFact[]): OptionCost {
  const total = facts.reduce((s, f) => s + f.total_usd, 0);
  const runs = facts.filter((f) => isRun(f.kind)).reduce((s, f) => s + f.total_usd, 0);
  return { total_usd: roundUsd(total), variable_usd: roundUsd(runs), basis: 'what the usage records of the period cost here (predictions, trainings, and deployment setup and idle time)' };
}

export function publicCost(facts: UsageFact[], prices: ResolvedPrices): OptionCost {
  let total = 0;
  let official = 0;
  const bySku: Record<string, number> = {};
  for (const f of facts.filter((x) => isRun(x.kind))) {
    const sku = f.hardware ?? 'cpu';
    const rules = f.model && f.kind === 'prediction' ? prices.official_models.models[f.model] : undefined;
    const cost = rules
      ? computeCost(rules as PricingRule[], f.metrics, sku, prices.replicate.per_second).total_usd
      : (f.predict_time ?? 0) * (prices.replicate.per_second[sku] ?? 0);
    if (rules) official += cost;
    total += cost;
    bySku[sku] = (bySku[sku] ?? 0) + cost;
  }
  const basis = official > 0
    ? 'the official models\' per-unit prices, and active seconds × Replicate\'s $/s of the SKU for the rest (setup and idle are free)'
    : 'active seconds × Replicate\'s $/s of the SKU (public models bill active time only; setup and idle are free)';
  return { total_usd: roundUsd(total), variable_usd: roundUsd(total), basis, by_hardware: Object.fromEntries(Object.entries(bySku).map(([k, v]) => [k, roundUsd(v)])) };
}

export function privateCost(skus: SkuUsage[], prices: ResolvedPrices): OptionCost {
  let total = 0;
  let active = 0;
  const bySku: Record<string, number> = {};
  for (const s of skus) {
    const price = prices.replicate.per_second[s.sku] ?? 0;
    const billed = Math.max(s.active_seconds + s.setup_seconds + s.idle_seconds, s.floor_seconds);
    bySku[s.sku] = roundUsd(billed * price);
    total += billed * price;
    active += s.active_seconds * price;
  }
  return {
    total_usd: roundUsd(total),
    variable_usd: roundUsd(active),
    basis: '(active + setup + idle seconds) × Replicate\'s $/s, at least min_instances × the period for deployments; setup of on-demand runs is their cold-start wait, and on-demand idle time is not recorded',
    by_hardware: bySku,
  };
}

/** The GPU type a SKU's dedicated price is listed under, and how many such GPUs it takes. */
function rental(sku: string): { key: string; gpus: number } {
  const offer = findSku(sku);
  if (!offer?.gpu) return { key: 'cpu', gpus: 1 };
  return { key: offer.gpu, gpus: offer.gpuCount };
}

export function dedicatedCost(skus: SkuUsage[], periodSeconds: number, prices: ResolvedPrices): OptionCost {
  const hours = periodSeconds / 3600;
  const rows = [];
  const unavailable: string[] = [];
  let total = 0;
  for (const s of skus) {
    const { key, gpus } = rental(s.sku);
    const instances = Math.max(1, s.peak_concurrency);
    const offers = prices.dedicated.providers.filter((p) => p.per_gpu_hour[key] !== undefined);
    if (offers.length === 0) {
      unavailable.push(`${s.sku}: no dedicated price for ${key} (set GANTRY_PRICES {"dedicated":{"per_gpu_hour":{"${key}":…}}})`);
      continue;
    }
    const cheapest = offers.reduce((a, b) => (b.per_gpu_hour[key] < a.per_gpu_hour[key] ? b : a));
    const provider = offers.find((p) => p.id === prices.dedicated.chosen) ?? cheapest;
    const cost = instances * gpus * hours * provider.per_gpu_hour[key];
    total += cost;
    rows.push({
      sku: s.sku,
      instances,
      gpus_per_instance: gpus,
      gpu_hours: Math.round(instances * gpus * hours * 1000) / 1000,
      provider: provider.id,
      per_gpu_hour_usd: provider.per_gpu_hour[key],
      total_usd: roundUsd(cost),
      alternatives: offers.map((p) => ({ provider: p.id, per_gpu_hour_usd: p.per_gpu_hour[key], total_usd: roundUsd(instances * gpus * hours * p.per_gpu_hour[key]) })),
    });
  }
  const complete = unavailable.length === 0;
  return {
    total_usd: complete ? roundUsd(total) : null,
    variable_usd: complete ? 0 : null,
    basis: 'renting enough GPUs for the peak concurrency (one run per GPU at a time) for the whole period at the provider\'s on-demand $/GPU-hour (the chosen provider, else the cheapest listed)',
    by_hardware: rows,
    ...(complete ? {} : { unavailable }),
  };
}
