/** hardware: the runs on each listed SKU; the cheapest SKU within 20 % of the fastest. */
import { mean, roundSeconds, roundUsd } from '../stats';
import type { ReportItem, RunFacts } from '../types';
import { dollars, item, missingReason, numbers, runsFor, skipped, succeeded, warmRuns, type ReportInput } from './common';

/** A SKU this much slower than the fastest still counts as fast enough. */
export const WITHIN = 0.2;

interface SkuFigures {
  sku: string;
  available: boolean;
  reason: string | null;
  price_per_second_usd: number | null;
  runs: number;
  succeeded: number;
  predict_time_mean_s: number | null;
  cost_per_run_usd: number | null;
  setup_time_s: number | null;
  predictions: string[];
}

function skuFigures(sku: string, runs: RunFacts[], price: number | null): SkuFigures {
  const ok = succeeded(runs);
  // The first run on a SKU boots an instance; its runtime is the boot's, not the SKU's.
  const timed = warmRuns(runs).length ? warmRuns(runs) : ok;
  const predict = numbers(timed.map((r) => r.predict_time_s));
  const costs = numbers(timed.map((r) => r.cost_usd));
  return {
    sku,
    available: true,
    reason: null,
    price_per_second_usd: price,
    runs: runs.length,
    succeeded: ok.length,
    predict_time_mean_s: predict.length ? roundSeconds(mean(predict)) : null,
    cost_per_run_usd: costs.length ? roundUsd(mean(costs)) : null,
    setup_time_s: runs.find((r) => r.cold_start)?.setup_time_s ?? null,
    predictions: runs.map((r) => r.prediction_id).filter((id): id is string => !!id),
  };
}

/** Among SKUs within WITHIN of the fastest mean predict time, the one with the lowest cost per run. */
export function recommendSku(rows: Array<Pick<SkuFigures, 'sku' | 'predict_time_mean_s' | 'cost_per_run_usd'>>) {
  const timed = rows.filter((r) => r.predict_time_mean_s !== null && r.cost_per_run_usd !== null);
  if (timed.length === 0) return { fastest: null, recommended: null };
  const fastest = timed.reduce((a, b) => (b.predict_time_mean_s! < a.predict_time_mean_s! ? b : a));
  const fastEnough = timed.filter((r) => r.predict_time_mean_s! <= fastest.predict_time_mean_s! * (1 + WITHIN));
  const recommended = fastEnough.reduce((a, b) => (b.cost_per_run_usd! < a.cost_per_run_usd! ? b : a));
  return { fastest: fastest.sku, recommended: recommended.sku };
}

export function hardwareItem(input: ReportInput): ReportItem {
  const listed = input.plan.hardware;
  if (listed.length === 0) return skipped('hardware', 'No hardware was listed.');
  const own = input.checked.hardware;
  const price = (sku: string) => input.model.prices_per_second[sku] ?? null;
  const runsOn = (sku: string) => (sku === own ? runsFor(input, 'consistency') : runsFor(input, 'hardware').filter((r) => r.hardware === sku));
  const skus = [...new Set([own, ...listed.map((h) => h.sku)])];
  const rows: SkuFigures[] = skus.map((sku) => {
    const option = listed.find((h) => h.sku === sku);
    if (option && !option.available) {
      return { ...skuFigures(sku, [], price(sku)), available: false, reason: option.reason ?? 'no worker serves it', runs: 0 };
    }
    return skuFigures(sku, runsOn(sku), price(sku));
  });
  const ran = rows.filter((r) => r.available && r.runs > 0);
  if (ran.length === 0) return skipped('hardware', missingReason(input, 'no runs were made on the listed hardware'), { hardware: rows });
  const { fastest, recommended } = recommendSku(ran);
  const figures = { checked_hardware: own, within: WITHIN, hardware: rows, fastest, recommended };
  const all = ran.flatMap((r) => runsOn(r.sku));
  const unavailable = rows.filter((r) => !r.available).map((r) => r.sku);
  const missing = unavailable.length ? ` Not served here: ${unavailable.join(', ')}.` : '';
  if (!recommended) return item('hardware', 'fail', `No run succeeded on the listed hardware.${missing}`, figures, all);
  const best = rows.find((r) => r.sku === recommended)!;
  const why = recommended === fastest
    ? `the fastest SKU and the cheapest per run (${dollars(best.cost_per_run_usd)}) of those within ${WITHIN * 100} % of it`
    : `within ${WITHIN * 100} % of the fastest (${fastest}) and the cheapest per run (${dollars(best.cost_per_run_usd)})`;
  if (recommended !== own) return item('hardware', 'warn', `${recommended} is ${why}; the model runs on ${own}.${missing}`, figures, all);
  return item('hardware', 'pass', `${own}, the model's hardware, is ${why}.${missing}`, figures, all);
}
