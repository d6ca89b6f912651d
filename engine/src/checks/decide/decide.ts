/**
 * The cost decision (GET /v1/decide): for each group of the period's usage records, what was used
 * (runs, active seconds per SKU, setup and idle seconds, peak and mean concurrency, utilisation)
 * and what that same usage costs under each option, with break-even utilisations and a plain
 * recommendation. Pure: the API reads the records and the deployments.
 */
import { roundRatio, roundSeconds, roundUsd } from '../stats';
import { breakEvens, type BreakEven } from './break-even';
import { clip, peakConcurrency } from './concurrency';
import { dedicatedCost, gantryCost, OPTIONS, privateCost, publicCost, type OptionCost, type OptionKey, type SkuUsage, type UsageFact } from './options';
import type { ResolvedPrices } from './prices';
import { groupRecommendation, overallRecommendation } from './recommend';

export interface DeploymentFacts {
  name: string;
  model: string;
  hardware: string;
  min_instances: number;
  created_at: number;
}

export interface DecideInput {
  since: number;
  until: number;
  groupBy: 'model' | 'deployment';
  facts: UsageFact[];
  deployments: DeploymentFacts[];
  prices: ResolvedPrices;
}

const isRun = (kind: string) => kind === 'prediction' || kind === 'training';

function skuUsage(sku: string, facts: UsageFact[], input: DecideInput, floorDeployments: DeploymentFacts[]): SkuUsage {
  const runs = facts.filter((f) => isRun(f.kind));
  const intervals = runs.filter((f) => f.started !== null && f.completed !== null).map((f) => [f.started!, f.completed!] as [number, number]);
  const onDemandSetup = runs.filter((f) => !f.deployment).reduce((s, f) => s + (f.setup_time ?? 0), 0);
  const floor = floorDeployments
    .filter((d) => d.hardware === sku && d.min_instances > 0)
    .reduce((s, d) => s + d.min_instances * Math.max(0, input.until - Math.max(input.since, d.created_at)), 0);
  return {
    sku,
    predictions: runs.length,
    active_seconds: runs.reduce((s, f) => s + (f.predict_time ?? 0), 0),
    setup_seconds: facts.filter((f) => f.kind === 'setup').reduce((s, f) => s + f.quantity, 0) + onDemandSetup,
    idle_seconds: facts.filter((f) => f.kind === 'idle').reduce((s, f) => s + f.quantity, 0),
    peak_concurrency: peakConcurrency(clip(intervals, input.since, input.until)),
    floor_seconds: floor,
  };
}

function groupDeployments(key: string | null, input: DecideInput): DeploymentFacts[] {
  if (key === null) return [];
  return input.deployments.filter((d) => (input.groupBy === 'deployment' ? d.name === key : d.model === key));
}

function decideGroup(key: string | null, facts: UsageFact[], input: DecideInput) {
  const period = input.until - input.since;
  const skus = [...new Set(facts.map((f) => f.hardware ?? 'cpu'))].sort();
  const deployments = groupDeployments(key, input);
  const usage = skus.map((sku) => skuUsage(sku, facts.filter((f) => (f.hardware ?? 'cpu') === sku), input, deployments));
  const active = usage.reduce((s, u) => s + u.active_seconds, 0);
  // A dedicated fleet sized for each SKU's peak could run this many seconds in the period.
  const capacity = usage.reduce((s, u) => s + period * Math.max(1, u.peak_concurrency), 0);
  const utilisation = capacity > 0 && active > 0 ? active / capacity : null;
  const runs = facts.filter((f) => isRun(f.kind));
  const intervals = runs.filter((f) => f.started !== null && f.completed !== null).map((f) => [f.started!, f.completed!] as [number, number]);
  const options: Record<OptionKey, OptionCost> = {
    gantry: gantryCost(facts),
    replicate_public: publicCost(facts, input.prices),
    replicate_private: privateCost(usage, input.prices),
    dedicated: dedicatedCost(usage, period, input.prices),
  };
  const priced = OPTIONS.filter((o) => options[o].total_usd !== null);
  const cheapest = priced.reduce((a, b) => (options[b].total_usd! < options[a].total_usd! ? b : a));
  const breakEven: BreakEven[] = breakEvens(options, utilisation);
  const group = {
    key,
    predictions: runs.length,
    active_seconds: roundSeconds(active),
    setup_seconds: roundSeconds(usage.reduce((s, u) => s + u.setup_seconds, 0)),
    idle_seconds: roundSeconds(usage.reduce((s, u) => s + u.idle_seconds, 0)),
    peak_concurrency: peakConcurrency(clip(intervals, input.since, input.until)),
    mean_concurrency: roundRatio(active / period),
    utilisation: utilisation === null ? null : roundRatio(utilisation),
    hardware: usage.map((u) => ({
      sku: u.sku,
      predictions: u.predictions,
      active_seconds: roundSeconds(u.active_seconds),
      setup_seconds: roundSeconds(u.setup_seconds),
      idle_seconds: roundSeconds(u.idle_seconds),
      peak_concurrency: u.peak_concurrency,
      mean_concurrency: roundRatio(u.active_seconds / period),
      utilisation: u.active_seconds > 0 ? roundRatio(u.active_seconds / (period * Math.max(1, u.peak_concurrency))) : null,
      min_instances_seconds: roundSeconds(u.floor_seconds),
      replicate_per_second_usd: input.prices.replicate.per_second[u.sku] ?? null,
    })),
    deployments: deployments.map((d) => ({ name: d.name, hardware: d.hardware, min_instances: d.min_instances })),
    options,
    cheapest,
    break_even_utilisation: breakEven,
  };
  return { ...group, recommendation: groupRecommendation(group) };
}

export type DecideGroup = ReturnType<typeof decideGroup>;

export function decide(input: DecideInput) {
  const byKey = new Map<string | null, UsageFact[]>();
  for (const f of input.facts) {
    const list = byKey.get(f.key);
    if (list) list.push(f);
    else byKey.set(f.key, [f]);
  }
  const groups = [...byKey.entries()]
    .map(([key, facts]) => decideGroup(key, facts, input))
    .sort((a, b) => (b.options.gantry.total_usd ?? 0) - (a.options.gantry.total_usd ?? 0) || String(a.key).localeCompare(String(b.key)));
  const totals = Object.fromEntries(
    OPTIONS.map((o) => {
      const values = groups.map((g) => g.options[o].total_usd);
      return [o, values.some((v) => v === null) ? null : roundUsd(values.reduce((s: number, v) => s + (v ?? 0), 0))];
    }),
  ) as Record<OptionKey, number | null>;
  return {
    since: new Date(input.since * 1000).toISOString(),
    until: new Date(input.until * 1000).toISOString(),
    period_seconds: roundSeconds(input.until - input.since),
    group_by: input.groupBy,
    prices: input.prices,
    groups,
    totals,
    recommendation: overallRecommendation(groups, totals),
  };
}
