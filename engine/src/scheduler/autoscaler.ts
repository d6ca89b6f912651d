/**
 * The autoscaler policy: a pure function from what is running and waiting to what to do next.
 * The worker calls `plan` on a timer (about once a second) and on every arrival to a version
 * with no live instance, then carries out the actions in order.
 *
 * - On-demand versions scale from zero as soon as a prediction waits, add instances while the
 *   backlog per instance exceeds max concurrency (once the backlog has lasted the scale-up delay,
 *   or at once when working it off on the instances there are would take longer than a boot),
 *   and stop idle instances: the last one after
 *   its adaptive keep-alive (keep-alive.ts), extra ones after their break-even window
 *   (extraInstanceKeepAliveMs below).
 * - Deployments keep ≥ min instances, never exceed max, and drop to zero after toZeroDelayMs.
 * - When a start does not fit, idle instances of other versions are evicted, those least likely
 *   to be needed soon first (evictionOrder below; or least recently used first, knob
 *   `eviction: 'lru'`), but never below a deployment's min.
 * - A version whose boots fail waits out an exponential backoff before the next boot.
 * - Forecast prewarm (forecast.ts, knob `prewarm`): a version with no live instance and nothing
 *   waiting gets one started shortly before a likely arrival when the cold start it saves is worth
 *   more than the GPU time it idles; it uses free room only (never evicts), and an instance that
 *   has served nothing since it booted is kept past its keep-alive while the forecast pays for it.
 */
import { nextBootAt, type SetupFailures } from './backoff';
import { decideKeepPrewarmed, decidePrewarm, type ArrivalForecast, type PrewarmInput } from './forecast';
import { idleSince, isLive, type InstanceRecord } from './instance';
import { adaptiveKeepAliveMs, coldBootCostMs, hazardWithin, type GapHistogram } from './keep-alive';
import { withDefaults, type AutoscalerKnobs } from './knobs';
import { Ledger, place, reserve, unreserve, type Cluster, type HardwareRequest, type PlacementOk } from './placement';

export interface VersionDemand {
  versionId: string;
  hardware: HardwareRequest;
  /** Bytes of the version's artifacts, when known: placement prices a cold fetch by tier. */
  artifactBytes?: number;
  /** Predictions one instance runs at once (≥ 1). */
  maxConcurrency: number;
  /** Predictions waiting for an instance. */
  queued: number;
  /** Enqueue time of the oldest waiting prediction; null when none waits. */
  oldestQueuedAt: number | null;
  /**
   * Since when predictions have waited without a break (null: none waits now). When given, the
   * backlog's age is this, not the oldest wait: a steady backlog of short waits persists too.
   */
  backlogSince?: number | null;
  /** Typical time one prediction holds a slot (ms), when measured. */
  predictMs?: number;
  /** Present for deployments. */
  deployment?: { minInstances: number; maxInstances: number };
  /** Arrival gaps (see keep-alive.ts); feeds adaptive keep-alive, eviction and prewarm. */
  gaps?: GapHistogram;
  /** Arrival history (see forecast.ts); without it a version is never prewarmed. */
  forecast?: ArrivalForecast;
  /** Typical measured boot time (ms); knobs.defaultSetupMs when unknown. */
  setupMs?: number;
  setupFailures?: SetupFailures;
}

/** The moving average kept as `predictMs`: each new run time counts a fifth. */
export function smoothedPredictMs(previous: number | undefined, sampleMs: number): number {
  return previous === undefined ? sampleMs : 0.8 * previous + 0.2 * sampleMs;
}

export interface AutoscalerState {
  versions: readonly VersionDemand[];
  /** Every instance not yet stopped (stopped and failed ones may be included; they are ignored). */
  instances: readonly InstanceRecord[];
  cluster: Cluster;
  /** Claims by instance id. Not modified: plan works on a clone. */
  ledger: Ledger;
}

export type Action =
  /** Boot an instance of the version on these devices (reserve them first). */
  | { type: 'start'; versionId: string; placement: PlacementOk; reason: StartReason }
  /**
   * Stop this instance and release its claim when it has stopped. `prewarm-expired`: it served
   * nothing since it booted and the forecast no longer pays for keeping it.
   */
  | { type: 'stop'; instanceId: string; versionId: string; reason: 'idle' | 'above-max' | 'prewarm-expired' }
  /** Stop this idle instance to make room for `forVersionId`. */
  | { type: 'evict'; instanceId: string; versionId: string; forVersionId: string }
  /** No worker can ever hold this version: fail its waiting predictions. */
  | { type: 'unplaceable'; versionId: string; reasons: string[] }
  /** Wants an instance but none fits now, even after evictions; keep waiting. */
  | { type: 'pending'; versionId: string; reasons: string[] }
  /** Boots keep failing: no new boot before `retryAt`. */
  | { type: 'backoff'; versionId: string; retryAt: number };

/** `prewarm`: nothing waits, but an arrival is likely soon (forecast.ts). */
export type StartReason = 'scale-from-zero' | 'backlog' | 'min-instances' | 'prewarm';

interface Want {
  version: VersionDemand;
  starts: number;
  reason: StartReason;
}

/** Decides the next actions. Pure: same input, same output; nothing in `state` is modified. */
export function plan(state: AutoscalerState, now: number, partialKnobs: Partial<AutoscalerKnobs> = {}): Action[] {
  const knobs = withDefaults(partialKnobs);
  const actions: Action[] = [];
  const scratch = state.ledger.clone();
  const byVersion = groupLive(state.instances);
  const stopped = new Set<string>();
  const wants: Want[] = [];

  for (const version of state.versions) {
    const live = byVersion.get(version.versionId) ?? [];
    const { floor, ceiling } = bounds(version, knobs);
    const inFlight = live.reduce((n, i) => n + i.inFlight, 0);
    const load = version.queued + inFlight;
    const byLoad = Math.ceil(load / Math.max(1, version.maxConcurrency));

    // Scale down: idle instances, longest idle first, never below what load or min requires.
    let remaining = live.length;
    const idle = live
      .filter((i) => idleSince(i) !== null && i.inFlight === 0)
      .sort((a, b) => idleSince(a)! - idleSince(b)! || (a.id < b.id ? -1 : 1));
    for (const inst of idle) {
      if (remaining > ceiling) {
        actions.push({ type: 'stop', instanceId: inst.id, versionId: version.versionId, reason: 'above-max' });
      } else {
        if (remaining - 1 < Math.max(floor, byLoad)) break;
        const window = remaining - 1 === 0 ? lastInstanceKeepAliveMs(version, knobs) : extraInstanceKeepAliveMs(version, knobs);
        if (now - idleSince(inst)! < window) continue;
        // Served nothing since it booted (a prewarm, or a boot whose predictions others took):
        // past its keep-alive it stays while the forecast still pays for it, at most that long.
        const unused = remaining === 1 && knobs.prewarm && version.forecast !== undefined && inst.lastUsedAt === null;
        if (unused && decideKeepPrewarmed(prewarmInput(version, knobs, now)).netGainMs > 0) continue;
        actions.push({ type: 'stop', instanceId: inst.id, versionId: version.versionId, reason: unused ? 'prewarm-expired' : 'idle' });
      }
      stopped.add(inst.id);
      unreserve(scratch, inst.id);
      remaining--;
    }

    // Scale up: to min, or to what the backlog needs.
    const target = Math.min(ceiling, Math.max(floor, byLoad));
    if (target === 0 && remaining === 0 && ceiling > 0 && knobs.prewarm && version.forecast) {
      const backingOff = now < nextBootAt(version.setupFailures, knobs.setupBackoffBaseMs, knobs.setupBackoffMaxMs);
      if (!backingOff && decidePrewarm(prewarmInput(version, knobs, now)).netGainMs > 0) wants.push({ version, starts: 1, reason: 'prewarm' });
      continue;
    }
    if (target > remaining) {
      const retryAt = nextBootAt(version.setupFailures, knobs.setupBackoffBaseMs, knobs.setupBackoffMaxMs);
      if (now < retryAt) {
        actions.push({ type: 'backoff', versionId: version.versionId, retryAt });
        continue;
      }
      let starts = 0;
      let reason: Want['reason'] = 'backlog';
      if (remaining < floor) {
        starts = floor - remaining;
        reason = 'min-instances';
      }
      if (remaining === 0 && version.queued > 0) {
        starts = target;
        reason = floor > 0 ? 'min-instances' : 'scale-from-zero';
      } else if (backlogPersists(version, now, knobs) || bootBeatsWaiting(version, remaining, knobs)) {
        starts = target - remaining;
      }
      if (starts > 0) wants.push({ version, starts, reason });
    }
  }

  // Place starts: below-min first, then oldest backlog first.
  wants.sort((a, b) => priority(a) - priority(b));
  const misses: Misses = new Map();
  for (const want of wants) {
    for (let k = 0; k < want.starts; k++) {
      const ok = startOne(want, state, scratch, stopped, knobs, now, actions, misses);
      if (!ok) break;
    }
  }
  return actions;
}

/**
 * Requests that did not fit in this plan, by hardware: the ledger version after the failure and
 * its reasons. With hundreds of keys waiting on a full cluster, each would otherwise run the
 * whole pipeline and the eviction search again for the same answer. Reused only when it is
 * certainly the same answer: the same hardware, no claim changed since, and the key that failed
 * had no idle instance of its own (so it could evict everything a later key could).
 */
type Misses = Map<string, { version: number; reasons: string[] }>;

/** The backlog has lasted the scale-up delay (without a break, when the caller tracks breaks). */
function backlogPersists(version: VersionDemand, now: number, knobs: AutoscalerKnobs): boolean {
  const since = version.backlogSince !== undefined ? version.backlogSince : version.oldestQueuedAt;
  return since !== null && now - since >= knobs.scaleUpDelayMs;
}

/**
 * Working off the queue on the `remaining` instances would take longer than booting one more
 * (queued × predict time ÷ slots > boot time): waiting out the delay would only cost time.
 */
function bootBeatsWaiting(version: VersionDemand, remaining: number, knobs: AutoscalerKnobs): boolean {
  if (version.predictMs === undefined || remaining === 0 || version.queued === 0) return false;
  const drainMs = (version.queued * version.predictMs) / (remaining * Math.max(1, version.maxConcurrency));
  return drainMs > (version.setupMs ?? knobs.defaultSetupMs);
}

function startOne(
  want: Want,
  state: AutoscalerState,
  scratch: Ledger,
  stopped: Set<string>,
  knobs: AutoscalerKnobs,
  now: number,
  actions: Action[],
  misses: Misses = new Map(),
): boolean {
  const { versionId, hardware, artifactBytes } = want.version;
  const request = { versionId, hardware, artifactBytes };
  const hardwareKey = typeof hardware === 'string' ? hardware : JSON.stringify(hardware);
  const miss = misses.get(hardwareKey);
  if (miss && miss.version === scratch.version) {
    actions.push({ type: 'pending', versionId, reasons: miss.reasons });
    return false;
  }
  let result = place(request, state.cluster, scratch, knobs.placement);
  // A prewarm is a bet, not a need: it takes free room only and tells nobody when there is none.
  if (!result.ok && want.reason === 'prewarm') return false;
  if (!result.ok && result.code === 'impossible') {
    actions.push({ type: 'unplaceable', versionId, reasons: result.reasons });
    return false;
  }
  const evicted: InstanceRecord[] = [];
  if (!result.ok) {
    // Evict idle instances of other versions, cheapest to lose first, until it fits.
    for (const victim of evictable(state, versionId, stopped, knobs, now)) {
      unreserve(scratch, victim.id);
      evicted.push(victim);
      result = place(request, state.cluster, scratch, knobs.placement);
      if (result.ok) break;
    }
    if (!result.ok) {
      for (const v of evicted) restore(scratch, state, v.id);
      actions.push({ type: 'pending', versionId, reasons: result.reasons });
      const ownIdle = state.instances.some((i) => i.versionId === versionId && !stopped.has(i.id) && i.inFlight === 0 && idleSince(i) !== null);
      if (!ownIdle) misses.set(hardwareKey, { version: scratch.version, reasons: result.reasons });
      return false;
    }
    // Spare victims whose room turned out not to be needed (most recently used first).
    for (let i = evicted.length - 2; i >= 0; i--) {
      restore(scratch, state, evicted[i].id);
      const again = place(request, state.cluster, scratch, knobs.placement);
      if (again.ok) {
        result = again;
        evicted.splice(i, 1);
      } else {
        unreserve(scratch, evicted[i].id);
      }
    }
    for (const v of evicted) {
      stopped.add(v.id);
      actions.push({ type: 'evict', instanceId: v.id, versionId: v.versionId, forVersionId: versionId });
    }
  }
  const placement = result as PlacementOk;
  reserve(scratch, state.cluster, `planned:${versionId}:${now}:${actions.length}`, placement);
  actions.push({ type: 'start', versionId, placement, reason: want.reason });
  return true;
}

/**
 * Idle instances of other versions that may be evicted, in eviction order, never taking a
 * deployment below its min.
 *
 * `lru`: least recently used first. `hazard` (default): lowest expected loss first. Evicting an
 * idle instance loses something only if its version gets an arrival soon; over a short horizon
 * H (idleWindowMs) that risk is
 *
 *   P(next arrival within H | no arrival for the t ms it has been idle) × price of a cold boot
 *
 * with the conditional probability read off the version's own gap histogram (the history
 * adaptive keep-alive uses) and the price from keep-alive.ts (boot + callers' wait + penalty).
 * LRU is the special case where every version has the same, decreasing hazard; in a Zipf mix they
 * do not: a popular version idle for 90 s is far likelier to be needed within the next minute
 * than a rarely used one idle for 30 s, and a 5-minute boot is dearer to redo than a 10-second
 * one. Versions without enough history score 0 (nothing known to lose); ties go least recently
 * used first.
 */
function evictable(state: AutoscalerState, forVersionId: string, stopped: Set<string>, knobs: AutoscalerKnobs, now: number): InstanceRecord[] {
  const liveCount = new Map<string, number>();
  for (const i of state.instances) if (isLive(i.state) && !stopped.has(i.id)) liveCount.set(i.versionId, (liveCount.get(i.versionId) ?? 0) + 1);
  const minOf = new Map(state.versions.map((v) => [v.versionId, v.deployment?.minInstances ?? 0]));
  const idle = state.instances
    .filter((i) => i.versionId !== forVersionId && !stopped.has(i.id) && i.inFlight === 0 && idleSince(i) !== null)
    .sort((a, b) => idleSince(a)! - idleSince(b)! || (a.id < b.id ? -1 : 1));
  const ordered = knobs.eviction === 'lru' ? idle : evictionOrder(idle, state.versions, knobs, now);
  const out: InstanceRecord[] = [];
  for (const i of ordered) {
    const left = liveCount.get(i.versionId) ?? 0;
    if (left <= (minOf.get(i.versionId) ?? 0)) continue;
    liveCount.set(i.versionId, left - 1);
    out.push(i);
  }
  return out;
}

/** `idle` (given least recently used first) in hazard order: lowest expected loss if evicted now first; stable. */
export function evictionOrder(
  idle: readonly InstanceRecord[],
  versions: readonly VersionDemand[],
  partialKnobs: Partial<AutoscalerKnobs>,
  now: number,
): InstanceRecord[] {
  const knobs = withDefaults(partialKnobs);
  const byId = new Map(versions.map((v) => [v.versionId, v]));
  const loss = (i: InstanceRecord): number => {
    const v = byId.get(i.versionId);
    if (!v?.gaps || v.gaps.total < knobs.minGapSamples) return 0;
    const setupMs = v.setupMs ?? knobs.defaultSetupMs;
    const p = hazardWithin(v.gaps, now - (idleSince(i) ?? now), knobs.idleWindowMs);
    return p === 0 ? 0 : p * coldBootCostMs(v.gaps, setupMs, knobs.coldStartWeight, knobs.coldStartPenaltyMs);
  };
  return idle
    .map((i, rank) => ({ i, rank, loss: loss(i) }))
    .sort((a, b) => a.loss - b.loss || a.rank - b.rank)
    .map((x) => x.i);
}

function restore(scratch: Ledger, state: AutoscalerState, instanceId: string): void {
  const claim = state.ledger.get(instanceId);
  if (!claim) return;
  reserve(scratch, state.cluster, instanceId, {
    ok: true,
    worker: claim.worker,
    devices: [...claim.devices],
    memoryClaimGb: claim.memoryClaimGb,
    cudaVisibleDevices: claim.devices.join(','),
    cpuSlots: claim.cpuSlots,
    score: 0,
  });
}

function bounds(version: VersionDemand, knobs: AutoscalerKnobs): { floor: number; ceiling: number } {
  if (version.deployment) {
    const floor = Math.max(0, version.deployment.minInstances);
    return { floor, ceiling: Math.max(floor, version.deployment.maxInstances) };
  }
  return { floor: 0, ceiling: knobs.onDemandMaxInstances };
}

/** How long the last instance stays warm: to-zero delay for deployments, keep-alive otherwise. */
export function lastInstanceKeepAliveMs(version: VersionDemand, partialKnobs: Partial<AutoscalerKnobs> = {}): number {
  const knobs = withDefaults(partialKnobs);
  if (version.deployment) return knobs.toZeroDelayMs;
  if (knobs.keepAlive === 'fixed') return knobs.idleWindowMs;
  return adaptiveKeepAliveMs({
    gaps: version.gaps,
    setupMs: version.setupMs ?? knobs.defaultSetupMs,
    minMs: knobs.idleWindowMs,
    maxMs: knobs.keepAliveMaxMs,
    coldStartWeight: knobs.coldStartWeight,
    coldStartPenaltyMs: knobs.coldStartPenaltyMs,
    minSamples: knobs.minGapSamples,
  });
}

/**
 * How long an extra idle instance (others of its version stay up) is kept: its own boot time,
 * within [idleWindowMs, the last instance's keep-alive]. Deployments and fixed keep-alive: idleWindowMs.
 *
 * This is the deterministic rent-or-buy (ski-rental) rule. Whether an extra instance is needed
 * again depends on the version's peaks of concurrent load, which the arrival-gap histogram does
 * not show (an arrival while another instance is idle does not need it), so there is no
 * distribution to optimise over as there is for the last instance. Without one, idling until
 * the idle time equals the price of bringing the instance back (a boot: setupMs of GPU time) is
 * 2-competitive: never more than twice the GPU time of an oracle that knows the next peak.
 * Stopping earlier wastes GPU whenever the version needs the instance again within a boot time,
 * which is what happens in the lulls of a burst; keeping it longer pays idle time for peaks the
 * remaining instances usually absorb. The flat cold-start penalty is deliberately not added
 * here: that price is spent on the last instance, where a stop makes the next arrival cold for
 * sure. The floor keeps operator-shortened windows meaningful; the ceiling keeps an extra from
 * outliving the last instance's keep-alive.
 */
export function extraInstanceKeepAliveMs(version: VersionDemand, partialKnobs: Partial<AutoscalerKnobs> = {}): number {
  const knobs = withDefaults(partialKnobs);
  if (version.deployment || knobs.keepAlive === 'fixed') return knobs.idleWindowMs;
  const setupMs = version.setupMs ?? knobs.defaultSetupMs;
  return Math.min(lastInstanceKeepAliveMs(version, knobs), Math.max(knobs.idleWindowMs, setupMs));
}

function groupLive(instances: readonly InstanceRecord[]): Map<string, InstanceRecord[]> {
  const map = new Map<string, InstanceRecord[]>();
  for (const i of instances) {
    if (!isLive(i.state)) continue;
    const list = map.get(i.versionId) ?? [];
    list.push(i);
    map.set(i.versionId, list);
  }
  return map;
}

/** What forecast.ts needs to price a prewarm of this version. */
function prewarmInput(version: VersionDemand, knobs: AutoscalerKnobs, now: number): PrewarmInput {
  return {
    forecast: version.forecast,
    gaps: version.gaps,
    now,
    setupMs: version.setupMs ?? knobs.defaultSetupMs,
    coldStartWeight: knobs.coldStartWeight,
    coldStartPenaltyMs: knobs.coldStartPenaltyMs,
    minGapSamples: knobs.minGapSamples,
  };
}

/** Below-min starts first, prewarms last (after every start something waits for), else oldest backlog first. */
function priority(w: Want): number {
  if (w.reason === 'prewarm') return Number.MAX_SAFE_INTEGER;
  const minFirst = w.reason === 'min-instances' ? -1e15 : 0;
  return minFirst + (w.version.oldestQueuedAt ?? Number.MAX_SAFE_INTEGER / 2);
}
