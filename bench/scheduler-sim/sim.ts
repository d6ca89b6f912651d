/**
 * The discrete-event simulation. It drives the real scheduler: instances are real
 * InstanceRecords moved by the real state machine, devices come from the real inventory parser
 * and are claimed through the real ledger, and (for autoscaled policies) every decision is the
 * real `plan()`. Only time is simulated.
 */
import {
  Ledger,
  beginPrediction,
  createInstance,
  emptyGapHistogram,
  endPrediction,
  getSku,
  isLive,
  place,
  plan,
  recordGap,
  reserve,
  transition,
  unreserve,
  type Action,
  type AutoscalerKnobs,
  type Cluster,
  type GapHistogram,
  type InstanceRecord,
  type PlacementOk,
  type VersionDemand,
} from '../../engine/src/scheduler';
import { EventHeap } from './heap';
import { keyed } from './prng';
import type { Arrival, Model } from './trace';

export type Policy = { kind: 'always-on' } | { kind: 'autoscaled'; knobs: Partial<AutoscalerKnobs> };

export interface SimConfig {
  seed: number;
  horizonS: number;
  /** Probability that a boot fails (keyed per model and boot number). */
  bootFailureRate: number;
  /** Planner period in ms (also runs on every arrival to a version with no live instance). */
  tickMs: number;
}

export interface SimResult {
  served: number;
  unserved: number;
  failedFast: number;
  coldStarts: number;
  waitsMs: number[];
  gpuSeconds: number;
  costUsd: number;
  boots: number;
  bootFailures: number;
  evictions: number;
  /** Cold predictions by why their instance booted: a version's first boot, from zero later, or scale-up beside live instances. */
  coldBy: { first: number; fromZero: number; scaleUp: number };
}

type Ev =
  | { t: number; type: 'arrival'; a: Arrival }
  | { t: number; type: 'boot-done'; id: string }
  | { t: number; type: 'predict-done'; id: string }
  | { t: number; type: 'tick' };

interface Live {
  rec: InstanceRecord;
  model: Model;
  fails: boolean;
  cause: 'first' | 'fromZero' | 'scaleUp';
}

export function simulate(models: Model[], arrivals: Arrival[], cluster: Cluster, policy: Policy, cfg: SimConfig): SimResult {
  const H = cfg.horizonS * 1000;
  const heap = new EventHeap<Ev>();
  for (const a of arrivals) heap.push({ t: a.t * 1000, type: 'arrival', a });
  const ledger = new Ledger();
  const instances = new Map<string, Live>();
  const queues: { t: number; n: number }[][] = models.map(() => []);
  const gaps: GapHistogram[] = models.map(() => emptyGapHistogram());
  const lastArrival: number[] = models.map(() => -1);
  const setupEstimate: (number | undefined)[] = models.map(() => undefined);
  const failures: ({ count: number; lastAt: number } | undefined)[] = models.map(() => undefined);
  const bootCount: number[] = models.map(() => 0);
  const res: SimResult = { served: 0, unserved: 0, failedFast: 0, coldStarts: 0, waitsMs: [], gpuSeconds: 0, costUsd: 0, boots: 0, bootFailures: 0, evictions: 0, coldBy: { first: 0, fromZero: 0, scaleUp: 0 } };
  let nextId = 0;

  const account = (live: Live, until: number) => {
    const sku = getSku(live.model.sku)!;
    const seconds = (Math.min(until, H) - live.rec.bootStartedAt) / 1000;
    res.gpuSeconds += seconds * Math.max(1, sku.gpuCount);
    res.costUsd += seconds * sku.pricePerSecondUsd;
  };

  const start = (model: Model, placement: PlacementOk, now: number) => {
    const id = `i${nextId++}`;
    const r = reserve(ledger, cluster, id, placement);
    if (!r.ok) throw new Error(`sim: planned placement did not reserve: ${r.reason}`);
    const k = bootCount[model.index]++;
    const jitter = 0.8 + 0.4 * keyed(cfg.seed, model.index, k, 1);
    const fails = keyed(cfg.seed, model.index, k, 2) < cfg.bootFailureRate;
    const others = [...instances.values()].some((l) => l.model === model && isLive(l.rec.state));
    const cause = k === 0 ? 'first' : others ? 'scaleUp' : 'fromZero';
    instances.set(id, { rec: createInstance(id, model.versionId, now), model, fails, cause });
    res.boots++;
    heap.push({ t: now + model.setupS * 1000 * jitter, type: 'boot-done', id });
  };

  const stop = (id: string, now: number) => {
    const live = instances.get(id)!;
    live.rec = transition(transition(live.rec, 'stopping', now), 'stopped', now);
    unreserve(ledger, id);
    account(live, now);
    instances.delete(id);
  };

  const dispatch = (model: Model, now: number) => {
    const q = queues[model.index];
    if (q.length === 0) return;
    for (const live of instances.values()) {
      if (live.model !== model) continue;
      while (q.length > 0 && (live.rec.state === 'ready' || live.rec.state === 'busy') && live.rec.inFlight < model.maxConcurrency) {
        const p = q.shift()!;
        live.rec = beginPrediction(live.rec, now);
        res.served++;
        res.waitsMs.push(now - p.t);
        if ((live.rec.readyAt ?? 0) > p.t) {
          res.coldStarts++;
          res.coldBy[live.cause]++;
        }
        const predictS = model.predictS * (0.25 + 1.5 * keyed(cfg.seed, model.index, p.n, 3));
        heap.push({ t: now + predictS * 1000, type: 'predict-done', id: live.rec.id });
      }
    }
  };

  const modelsById = new Map(models.map((m) => [m.versionId, m]));
  const runPlanner = (now: number) => {
    if (policy.kind !== 'autoscaled') return;
    const versions: VersionDemand[] = models.map((m) => ({
      versionId: m.versionId,
      hardware: m.sku,
      maxConcurrency: m.maxConcurrency,
      queued: queues[m.index].length,
      oldestQueuedAt: queues[m.index][0]?.t ?? null,
      gaps: gaps[m.index],
      setupMs: setupEstimate[m.index],
      setupFailures: failures[m.index],
    }));
    const state = { versions, instances: [...instances.values()].map((l) => l.rec), cluster, ledger };
    const actions: Action[] = plan(state, now, policy.knobs);
    for (const action of actions) {
      if (action.type === 'start') start(modelsById.get(action.versionId)!, action.placement, now);
      else if (action.type === 'stop') stop(action.instanceId, now);
      else if (action.type === 'evict') {
        res.evictions++;
        stop(action.instanceId, now);
      } else if (action.type === 'unplaceable') {
        const m = modelsById.get(action.versionId)!;
        res.failedFast += queues[m.index].length;
        queues[m.index] = [];
      }
    }
  };

  if (policy.kind === 'always-on') {
    for (const m of models) {
      const p = place({ versionId: m.versionId, hardware: m.sku }, cluster, ledger);
      if (!p.ok) throw new Error(`always-on: no room for ${m.versionId}: ${p.reasons[0]}`);
      start(m, p, 0);
    }
  } else {
    heap.push({ t: 0, type: 'tick' });
  }

  for (let ev = heap.pop(); ev && ev.t < H; ev = heap.pop()) {
    const now = ev.t;
    if (ev.type === 'arrival') {
      const m = models[ev.a.model];
      if (lastArrival[m.index] >= 0) gaps[m.index] = recordGap(gaps[m.index], now - lastArrival[m.index]);
      lastArrival[m.index] = now;
      queues[m.index].push({ t: now, n: ev.a.n });
      dispatch(m, now);
      const hasLive = [...instances.values()].some((l) => l.model === m && isLive(l.rec.state));
      if (!hasLive) runPlanner(now);
    } else if (ev.type === 'boot-done') {
      const live = instances.get(ev.id);
      if (!live || live.rec.state !== 'booting') continue;
      const m = live.model;
      if (live.fails) {
        live.rec = transition(live.rec, 'failed', now);
        unreserve(ledger, ev.id);
        account(live, now);
        instances.delete(ev.id);
        res.bootFailures++;
        failures[m.index] = { count: (failures[m.index]?.count ?? 0) + 1, lastAt: now };
        if (policy.kind === 'always-on') {
          const p = place({ versionId: m.versionId, hardware: m.sku }, cluster, ledger);
          if (p.ok) start(m, p, now);
        }
        continue;
      }
      live.rec = transition(live.rec, 'ready', now);
      failures[m.index] = undefined;
      const s = live.rec.setupMs!;
      setupEstimate[m.index] = setupEstimate[m.index] === undefined ? s : 0.7 * setupEstimate[m.index]! + 0.3 * s;
      dispatch(m, now);
    } else if (ev.type === 'predict-done') {
      const live = instances.get(ev.id)!;
      live.rec = endPrediction(live.rec, now);
      dispatch(live.model, now);
    } else {
      runPlanner(now);
      heap.push({ t: now + cfg.tickMs, type: 'tick' });
    }
  }

  for (const live of instances.values()) account(live, H);
  res.unserved = queues.reduce((n, q) => n + q.length, 0);
  return res;
}
