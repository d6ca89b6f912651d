/**
 * The discrete-event simulation. It drives the real scheduler: instances are real
 * InstanceRecords moved by the real state machine, devices come from the real inventory parser
 * and are claimed through the real ledger, and (for autoscaled policies) every decision is the
 * real `plan()`. Only time is simulated.
 *
 * A boot takes fetch + process start + setup: the fetch is the model's artifact bytes over the
 * bandwidth of the tier the worker holds them in (cache.ts; `remote` without a cache), so
 * placement, which sees the cache through `WorkerState.artifacts`, changes boot times.
 */
import {
  Ledger,
  beginPrediction,
  createInstance,
  emptyForecast,
  emptyGapHistogram,
  endPrediction,
  fetchMs,
  getSku,
  isLive,
  place,
  plan,
  reserve,
  transition,
  unreserve,
  withArrival,
  type Action,
  type ArrivalForecast,
  type ArrivalHistory,
  type AutoscalerKnobs,
  type Cluster,
  type InstanceRecord,
  type PlacementOk,
  type VersionDemand,
} from '../../engine/src/scheduler';
import { ArtifactCache, type CacheBudget } from './cache';
import { EventHeap } from './heap';
import { IdleHistogram } from './hybrid';
import { keyed } from './prng';
import type { Arrival, Model } from './trace';

/**
 * `autoscaled`: every decision is plan() with these knobs; `cache: false` fetches every boot
 * from remote. `hybrid`: the hybrid histogram baseline (hybrid.ts) decides when idle instances
 * stop and when one is pre-warmed; plan() still scales from zero and up, places and evicts.
 */
export type Policy =
  | { kind: 'always-on' }
  /** `dailyProfile: false` (an ablation) hides the forecast's daily profile from plan(): only the idle-time histogram speaks. */
  | { kind: 'autoscaled'; knobs: Partial<AutoscalerKnobs>; cache?: boolean; dailyProfile?: boolean }
  | { kind: 'hybrid'; cache?: boolean };

export interface SimConfig {
  seed: number;
  horizonS: number;
  /** Probability that a boot fails (keyed per model and boot number). */
  bootFailureRate: number;
  /** Planner period in ms (also runs on every arrival to a version with no live instance). */
  tickMs: number;
  /** Per-worker artifact cache, the same for every policy that has one. */
  cache: CacheBudget;
}

export interface SimResult {
  served: number;
  unserved: number;
  failedFast: number;
  coldStarts: number;
  waitsMs: number[];
  /** Waits of the cold predictions only. */
  coldWaitsMs: number[];
  gpuSeconds: number;
  costUsd: number;
  boots: number;
  bootFailures: number;
  evictions: number;
  /** Instances started by forecast prewarm (or the hybrid baseline's pre-warm), and how many served a prediction. */
  prewarms: number;
  prewarmsUsed: number;
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
  prewarm?: boolean;
}

export function simulate(models: Model[], arrivals: Arrival[], cluster: Cluster, policy: Policy, cfg: SimConfig): SimResult {
  const H = cfg.horizonS * 1000;
  const heap = new EventHeap<Ev>();
  for (const a of arrivals) heap.push({ t: a.t * 1000, type: 'arrival', a });
  const ledger = new Ledger();
  const instances = new Map<string, Live>();
  const queues: { t: number; n: number }[][] = models.map(() => []);
  // What plan() learns of each model's arrivals (gaps, forecast, last arrival), as the engine keeps it.
  const history: (ArrivalHistory & { forecast: ArrivalForecast })[] = models.map(() => ({ gaps: emptyGapHistogram(), forecast: emptyForecast() }));
  const setupEstimate: (number | undefined)[] = models.map(() => undefined);
  const failures: ({ count: number; lastAt: number } | undefined)[] = models.map(() => undefined);
  const bootCount: number[] = models.map(() => 0);
  const res: SimResult = { served: 0, unserved: 0, failedFast: 0, coldStarts: 0, waitsMs: [], coldWaitsMs: [], gpuSeconds: 0, costUsd: 0, boots: 0, bootFailures: 0, evictions: 0, prewarms: 0, prewarmsUsed: 0, coldBy: { first: 0, fromZero: 0, scaleUp: 0 } };
  let nextId = 0;
  const noDaily = emptyForecast().daily;
  const arrivalsSoFar: number[] = models.map(() => 0);
  const byVersion = new Map(models.map((m) => [m.versionId, m]));
  const reuse = (versionId: string) => arrivalsSoFar[byVersion.get(versionId)!.index];
  const useCache = policy.kind !== 'always-on' && policy.cache !== false;
  const caches = new Map(cluster.workers.map((w) => [w.id, new ArtifactCache(w, cfg.cache)]));
  const workerOf = new Map<string, string>();
  // The hybrid baseline's memory: idle-time histograms, when each model last went idle, whether it was pre-warmed since.
  const idleHist = models.map(() => new IdleHistogram());
  const lastIdle: (number | null)[] = models.map(() => null);
  const prewarmed: boolean[] = models.map(() => false);
  const inFlightOf = (m: Model) => [...instances.values()].reduce((n, l) => n + (l.model === m ? l.rec.inFlight : 0), 0);

  const account = (live: Live, until: number) => {
    const sku = getSku(live.model.sku)!;
    const seconds = (Math.min(until, H) - live.rec.bootStartedAt) / 1000;
    res.gpuSeconds += seconds * Math.max(1, sku.gpuCount);
    res.costUsd += seconds * sku.pricePerSecondUsd;
  };

  const start = (model: Model, placement: PlacementOk, now: number, prewarm = false) => {
    const id = `i${nextId++}`;
    const r = reserve(ledger, cluster, id, placement);
    if (!r.ok) throw new Error(`sim: planned placement did not reserve: ${r.reason}`);
    const k = bootCount[model.index]++;
    const jitter = 0.8 + 0.4 * keyed(cfg.seed, model.index, k, 1);
    const fails = keyed(cfg.seed, model.index, k, 2) < cfg.bootFailureRate;
    const others = [...instances.values()].some((l) => l.model === model && isLive(l.rec.state));
    const cause = k === 0 ? 'first' : others ? 'scaleUp' : 'fromZero';
    instances.set(id, { rec: createInstance(id, model.versionId, now), model, fails, cause, prewarm });
    if (prewarm) res.prewarms++;
    workerOf.set(id, placement.worker);
    res.boots++;
    const tier = useCache ? caches.get(placement.worker)!.tier(model.versionId) : 'remote';
    heap.push({ t: now + fetchMs(model.artifactBytes, tier) + model.setupS * 1000 * jitter, type: 'boot-done', id });
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
        if (live.prewarm && live.rec.lastUsedAt === null) res.prewarmsUsed++;
        live.rec = beginPrediction(live.rec, now);
        res.served++;
        res.waitsMs.push(now - p.t);
        if ((live.rec.readyAt ?? 0) > p.t) {
          res.coldStarts++;
          res.coldWaitsMs.push(now - p.t);
          res.coldBy[live.cause]++;
        }
        const predictS = model.predictS * (0.25 + 1.5 * keyed(cfg.seed, model.index, p.n, 3));
        heap.push({ t: now + predictS * 1000, type: 'predict-done', id: live.rec.id });
      }
    }
  };

  const modelsById = new Map(models.map((m) => [m.versionId, m]));
  // The hybrid baseline leaves idle stops to itself: plan() keeps idle instances (up to 5 h) and never prewarms.
  const knobs: Partial<AutoscalerKnobs> =
    policy.kind === 'hybrid' ? { keepAlive: 'fixed', idleWindowMs: 5 * 3600_000, eviction: 'lru', prewarm: false } : policy.kind === 'autoscaled' ? policy.knobs : {};
  const runPlanner = (now: number) => {
    if (policy.kind === 'always-on') return;
    const versions: VersionDemand[] = models.map((m) => ({
      versionId: m.versionId,
      hardware: m.sku,
      artifactBytes: m.artifactBytes,
      // Empty daily counts: the daily profile expects no arrival, the rest of the forecast is kept.
      forecast: policy.kind === 'autoscaled' && policy.dailyProfile === false ? { ...history[m.index].forecast, daily: noDaily } : history[m.index].forecast,
      maxConcurrency: m.maxConcurrency,
      queued: queues[m.index].length,
      oldestQueuedAt: queues[m.index][0]?.t ?? null,
      gaps: history[m.index].gaps,
      setupMs: setupEstimate[m.index],
      setupFailures: failures[m.index],
    }));
    const state = { versions, instances: [...instances.values()].map((l) => l.rec), cluster, ledger };
    const actions: Action[] = plan(state, now, knobs);
    for (const action of actions) {
      if (action.type === 'start') start(modelsById.get(action.versionId)!, action.placement, now, action.reason === 'prewarm');
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
    if (policy.kind === 'hybrid') applyHybrid(now);
  };

  /** The hybrid histogram policy's windows, applied after plan() (see hybrid.ts). */
  const applyHybrid = (now: number) => {
    for (const m of models) {
      const idleFrom = lastIdle[m.index];
      if (idleFrom === null) continue;
      const { prewarmS, keepAliveS } = idleHist[m.index].windows();
      const open = idleFrom + 1000 * prewarmS;
      const close = open + 1000 * keepAliveS;
      const mine = [...instances.values()].filter((l) => l.model === m && isLive(l.rec.state));
      const fullyIdle = queues[m.index].length === 0 && mine.every((l) => l.rec.inFlight === 0);
      for (const l of mine) {
        if (l.rec.state !== 'ready' || l.rec.inFlight > 0) continue;
        const since = l.rec.lastUsedAt ?? l.rec.readyAt ?? now;
        if (fullyIdle ? now < open || now >= close : now - since >= 1000 * (prewarmS + keepAliveS)) stop(l.rec.id, now);
      }
      const live = mine.some((l) => isLive(l.rec.state) && instances.has(l.rec.id));
      if (fullyIdle && !live && prewarmS > 0 && !prewarmed[m.index] && now >= open && now < close) {
        prewarmed[m.index] = true;
        const p = place({ versionId: m.versionId, hardware: m.sku, artifactBytes: m.artifactBytes }, cluster, ledger);
        if (p.ok) start(m, p, now, true);
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
      history[m.index] = withArrival(history[m.index], now);
      arrivalsSoFar[m.index]++;
      const idleFrom = lastIdle[m.index];
      if (idleFrom !== null && queues[m.index].length === 0 && inFlightOf(m) === 0) idleHist[m.index].record((now - idleFrom) / 1000);
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
      if (useCache) caches.get(workerOf.get(ev.id)!)!.admit(m.versionId, m.artifactBytes, reuse);
      const s = live.rec.setupMs!;
      setupEstimate[m.index] = setupEstimate[m.index] === undefined ? s : 0.7 * setupEstimate[m.index]! + 0.3 * s;
      dispatch(m, now);
    } else if (ev.type === 'predict-done') {
      const live = instances.get(ev.id)!;
      live.rec = endPrediction(live.rec, now);
      dispatch(live.model, now);
      if (queues[live.model.index].length === 0 && inFlightOf(live.model) === 0) {
        lastIdle[live.model.index] = now;
        prewarmed[live.model.index] = false;
      }
    } else {
      runPlanner(now);
      heap.push({ t: now + cfg.tickMs, type: 'tick' });
    }
  }

  for (const live of instances.values()) account(live, H);
  res.unserved = queues.reduce((n, q) => n + q.length, 0);
  return res;
}
