/**
 * The autoscaler policy: a pure function from what is running and waiting to what to do next.
 * The worker calls `plan` on a timer (about once a second) and on every arrival to a version
 * with no live instance, then carries out the actions in order.
 *
 * - On-demand versions scale from zero as soon as a prediction waits, add instances while the
 *   backlog per instance exceeds max concurrency, and stop idle instances (the last one after
 *   its keep-alive, see keep-alive.ts).
 * - Deployments keep ≥ min instances, never exceed max, and drop to zero after toZeroDelayMs.
 * - When a start does not fit, idle instances of other versions are evicted, least recently
 *   used first, but never below a deployment's min.
 * - A version whose boots fail waits out an exponential backoff before the next boot.
 */
import { nextBootAt, type SetupFailures } from './backoff';
import { idleSince, isLive, type InstanceRecord } from './instance';
import { adaptiveKeepAliveMs, type GapHistogram } from './keep-alive';
import { withDefaults, type AutoscalerKnobs } from './knobs';
import { Ledger, place, reserve, unreserve, type Cluster, type HardwareRequest, type PlacementOk } from './placement';

export interface VersionDemand {
  versionId: string;
  hardware: HardwareRequest;
  /** Predictions one instance runs at once (≥ 1). */
  maxConcurrency: number;
  /** Predictions waiting for an instance. */
  queued: number;
  /** Enqueue time of the oldest waiting prediction; null when none waits. */
  oldestQueuedAt: number | null;
  /** Present for deployments. */
  deployment?: { minInstances: number; maxInstances: number };
  /** Arrival gaps (see keep-alive.ts); feeds adaptive keep-alive. */
  gaps?: GapHistogram;
  /** Typical measured boot time (ms); knobs.defaultSetupMs when unknown. */
  setupMs?: number;
  setupFailures?: SetupFailures;
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
  | { type: 'start'; versionId: string; placement: PlacementOk; reason: 'scale-from-zero' | 'backlog' | 'min-instances' }
  /** Stop this instance and release its claim when it has stopped. */
  | { type: 'stop'; instanceId: string; versionId: string; reason: 'idle' | 'above-max' }
  /** Stop this idle instance to make room for `forVersionId`. */
  | { type: 'evict'; instanceId: string; versionId: string; forVersionId: string }
  /** No worker can ever hold this version: fail its waiting predictions. */
  | { type: 'unplaceable'; versionId: string; reasons: string[] }
  /** Wants an instance but none fits now, even after evictions; keep waiting. */
  | { type: 'pending'; versionId: string; reasons: string[] }
  /** Boots keep failing: no new boot before `retryAt`. */
  | { type: 'backoff'; versionId: string; retryAt: number };

interface Want {
  version: VersionDemand;
  starts: number;
  reason: 'scale-from-zero' | 'backlog' | 'min-instances';
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
        const X = (knobs as any).extraMode;
        const window = remaining - 1 === 0 ? lastInstanceKeepAliveMs(version, knobs) : expExtra(version, knobs, X, remaining - 1, remaining - 1 - Math.max(floor, byLoad));
        if (now - idleSince(inst)! < window) continue;
        actions.push({ type: 'stop', instanceId: inst.id, versionId: version.versionId, reason: 'idle' });
      }
      stopped.add(inst.id);
      unreserve(scratch, inst.id);
      remaining--;
    }

    // Scale up: to min, or to what the backlog needs.
    const target = Math.min(ceiling, Math.max(floor, byLoad));
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
      const backlogAged = version.oldestQueuedAt !== null && now - version.oldestQueuedAt >= knobs.scaleUpDelayMs;
      if (remaining === 0 && version.queued > 0) {
        starts = target;
        reason = floor > 0 ? 'min-instances' : 'scale-from-zero';
      } else if (backlogAged) {
        starts = target - remaining;
      }
      if (starts > 0) wants.push({ version, starts, reason });
    }
  }

  // Place starts: below-min first, then oldest backlog first.
  wants.sort((a, b) => priority(a) - priority(b));
  for (const want of wants) {
    for (let k = 0; k < want.starts; k++) {
      const ok = startOne(want, state, scratch, stopped, knobs, now, actions);
      if (!ok) break;
    }
  }
  return actions;
}

function startOne(
  want: Want,
  state: AutoscalerState,
  scratch: Ledger,
  stopped: Set<string>,
  knobs: AutoscalerKnobs,
  now: number,
  actions: Action[],
): boolean {
  const { versionId, hardware } = want.version;
  const request = { versionId, hardware };
  let result = place(request, state.cluster, scratch, knobs.placement);
  if (!result.ok && result.code === 'impossible') {
    actions.push({ type: 'unplaceable', versionId, reasons: result.reasons });
    return false;
  }
  const evicted: InstanceRecord[] = [];
  if (!result.ok) {
    // Evict idle instances of other versions, least recently used first, until it fits.
    for (const victim of evictable(state, versionId, stopped, knobs, now)) {
      unreserve(scratch, victim.id);
      evicted.push(victim);
      result = place(request, state.cluster, scratch, knobs.placement);
      if (result.ok) break;
    }
    if (!result.ok) {
      for (const v of evicted) restore(scratch, state, v.id);
      actions.push({ type: 'pending', versionId, reasons: result.reasons });
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

/** Idle instances of other versions that may be evicted, least recently used first. */
function evictable(state: AutoscalerState, forVersionId: string, stopped: Set<string>, knobs: AutoscalerKnobs, now: number): InstanceRecord[] {
  const liveCount = new Map<string, number>();
  for (const i of state.instances) if (isLive(i.state) && !stopped.has(i.id)) liveCount.set(i.versionId, (liveCount.get(i.versionId) ?? 0) + 1);
  const minOf = new Map(state.versions.map((v) => [v.versionId, v.deployment?.minInstances ?? 0]));
  const idle = state.instances
    .filter((i) => i.versionId !== forVersionId && !stopped.has(i.id) && i.inFlight === 0 && idleSince(i) !== null)
    .sort((a, b) => idleSince(a)! - idleSince(b)! || (a.id < b.id ? -1 : 1));
  const out: InstanceRecord[] = [];
  if ((knobs as any).evict !== 'value') {
    for (const i of idle) {
      const left = liveCount.get(i.versionId) ?? 0;
      if (left <= (minOf.get(i.versionId) ?? 0)) continue;
      liveCount.set(i.versionId, left - 1);
      out.push(i);
    }
    return out;
  }
  const versions = new Map(state.versions.map((v) => [v.versionId, v]));
  const queues = new Map<string, InstanceRecord[]>();
  for (const i of idle) {
    const q = queues.get(i.versionId) ?? [];
    q.push(i);
    queues.set(i.versionId, q);
  }
  for (;;) {
    let best: InstanceRecord | null = null;
    let bestAt = Infinity;
    for (const [vid, q] of queues) {
      const i = q[0];
      const left = liveCount.get(vid) ?? 0;
      if (!i || left <= (minOf.get(vid) ?? 0)) continue;
      const v = versions.get(vid);
      const window = !v ? 0 : left - 1 === 0 ? lastInstanceKeepAliveMs(v, knobs) : expExtra(v, knobs, (knobs as any).extraMode, left - 1, 0);
      const at = idleSince(i)! + window;
      if (at < bestAt || (at === bestAt && best && i.id < best.id)) {
        best = i;
        bestAt = at;
      }
    }
    if (!best) return out;
    queues.get(best.versionId)!.shift();
    liveCount.set(best.versionId, (liveCount.get(best.versionId) ?? 0) - 1);
    out.push(best);
  }
  void now;
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

function priority(w: Want): number {
  const minFirst = w.reason === 'min-instances' ? -1e15 : 0;
  return minFirst + (w.version.oldestQueuedAt ?? Number.MAX_SAFE_INTEGER / 2);
}

function expExtra(version: VersionDemand, knobs: AutoscalerKnobs, X: any, others: number, rank: number): number {
  if (typeof X === 'string' && X.startsWith('spare:')) return rank === 0 ? expExtra(version, knobs, X.slice(6), others, rank) : knobs.idleWindowMs;
  if (typeof X === 'string' && X.startsWith('spareN:')) return rank === 0 ? expExtra(version, knobs, X.slice(7), others, rank) : knobs.idleWindowMs;
  const last = lastInstanceKeepAliveMs(version, knobs);
  const setup = version.setupMs ?? knobs.defaultSetupMs;
  const clampL = (t: number) => Math.min(last, Math.max(knobs.idleWindowMs, t));
  if (X === 'same') return last;
  if (typeof X === 'number') return X;
  if (/^[0-9]+$/.test(X)) return Number(X);
  if (X === 'half') return clampL(last / 2);
  if (X === 'perk') return clampL(last / (others + 1));
  if (X === 'setup+win') return clampL(knobs.idleWindowMs + setup);
  if (X === 'setup') return clampL(setup);
  if (X === '2setup') return clampL((1 + knobs.coldStartWeight) * setup);
  if (X === 'pen/k') return clampL(adaptiveKeepAliveMs({ gaps: version.gaps, setupMs: setup, minMs: knobs.idleWindowMs, maxMs: knobs.keepAliveMaxMs, coldStartWeight: knobs.coldStartWeight, coldStartPenaltyMs: knobs.coldStartPenaltyMs / (others + 1), minSamples: knobs.minGapSamples }));
  if (X === 'pen0') return clampL(adaptiveKeepAliveMs({ gaps: version.gaps, setupMs: setup, minMs: knobs.idleWindowMs, maxMs: knobs.keepAliveMaxMs, coldStartWeight: knobs.coldStartWeight, coldStartPenaltyMs: 0, minSamples: knobs.minGapSamples }));
  return knobs.idleWindowMs;
}
