/**
 * Placement: filter → score → select. Pure: reads the cluster and the ledger, changes nothing
 * (call `reserve` with the result). Never throws for a "no": the failure says whether the
 * request is `impossible` (no worker could hold it even idle) or merely `busy`.
 */
import { DEFAULT_FILTERS } from './filters';
import { Ledger } from './ledger';
import { describeNeed, resolveNeed } from './need';
import { buildOption } from './options';
import { defaultScorers, type PlacementStrategy, type WeightedScorer } from './scorers';
import { scoreOption, select } from './select';
import type { Candidate, Cluster, Filter, PlacementContext, PlacementRequest, PlacementResult } from './types';

export interface PlaceOptions {
  /** Device choice and default scorer; `binpack` unless told. */
  strategy?: PlacementStrategy;
  filters?: readonly Filter[];
  scorers?: readonly WeightedScorer[];
}

/** Places one instance of a version on the cluster as the ledger stands. */
export function place(request: PlacementRequest, cluster: Cluster, ledger: Ledger, options: PlaceOptions = {}): PlacementResult {
  const resolved = resolveNeed(request.hardware);
  if (!resolved.ok) return { ok: false, code: 'impossible', reasons: [resolved.reason] };
  const ctx: PlacementContext = { request, need: resolved.need };
  const strategy = options.strategy ?? 'binpack';
  const filters = options.filters ?? DEFAULT_FILTERS;

  const now = runFilters(ctx, candidatesOf(cluster, ledger), filters);
  if (now.kept.length === 0) {
    // Would it fit on an idle cluster with every worker up? If not, it never will.
    const idle = runFilters(ctx, candidatesOf(allAlive(cluster), new Ledger()), filters);
    if (idle.kept.length === 0) {
      return { ok: false, code: 'impossible', reasons: [`no worker can ever hold ${describeNeed(ctx.need)}`, ...idle.reasons] };
    }
    return { ok: false, code: 'busy', reasons: now.reasons };
  }

  const scorers = options.scorers ?? defaultScorers(strategy);
  const scored = now.kept.map((c) => {
    const option = buildOption(ctx, c, strategy);
    return { option, score: scoreOption(ctx, option, scorers) };
  });
  const best = select(scored)!;
  const { option } = best;
  return {
    ok: true,
    worker: option.candidate.worker.id,
    devices: option.devices,
    memoryClaimGb: option.memoryClaimGb,
    cudaVisibleDevices: option.devices.join(','),
    cpuSlots: ctx.need.kind === 'cpu' ? 1 : 0,
    score: best.score,
  };
}

/** Runs the chain, stopping as soon as no candidate is left; collects every reason. */
export function runFilters(ctx: PlacementContext, candidates: Candidate[], filters: readonly Filter[]) {
  let kept = candidates;
  const reasons: string[] = [];
  for (const f of filters) {
    const result = f.filter(ctx, kept);
    kept = result.kept;
    reasons.push(...result.reasons);
    if (kept.length === 0) break;
  }
  return { kept, reasons };
}

/** Every worker as a candidate, with free memory per device under the ledger. */
export function candidatesOf(cluster: Cluster, ledger: Ledger): Candidate[] {
  return cluster.workers.map((worker) => {
    const devices = worker.gpus.map((device) => ({
      device,
      freeMemoryGb: Math.max(0, device.memoryGb - ledger.usedMemoryGb(worker.id, device.index)),
      unclaimed: ledger.claimsOn(worker.id, device.index) === 0,
    }));
    return {
      worker,
      devices,
      freeCpuSlots: Math.max(0, worker.cpuSlots - ledger.usedCpuSlots(worker.id)),
      freeMemoryByDevice: new Map(devices.map((d) => [d.device.index, d.freeMemoryGb])),
    };
  });
}

function allAlive(cluster: Cluster): Cluster {
  return { workers: cluster.workers.map((w) => (w.alive ? w : { ...w, alive: true })) };
}
