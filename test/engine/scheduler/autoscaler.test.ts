import {
  Ledger,
  adaptiveKeepAliveMs,
  createInstance,
  emptyForecast,
  emptyGapHistogram,
  recordArrival,
  evictionOrder,
  extraInstanceKeepAliveMs,
  hazardWithin,
  lastInstanceKeepAliveMs,
  plan,
  recordGap,
  reserve,
  setupBackoffMs,
  transition,
  beginPrediction,
  type Action,
  type AutoscalerState,
  type InstanceRecord,
  type VersionDemand,
  type WorkerState,
} from '../../../engine/src/scheduler';
import { cluster, eightH100, oneH100 } from '../../fixtures/gpus';

const S = 1000;
const MIN = 60 * S;

/** A ready instance idle since `idleFrom`, holding `devices` on `worker`. */
function idle(id: string, versionId: string, idleFrom: number, worker = 'w1', devices = [0]): [InstanceRecord, [string, number[]]] {
  const rec = { ...transition(createInstance(id, versionId, 0), 'ready', 0), lastUsedAt: idleFrom };
  return [rec, [worker, devices]];
}

function busy(id: string, versionId: string, worker = 'w1', devices = [0], inFlight = 1): [InstanceRecord, [string, number[]]] {
  let rec = transition(createInstance(id, versionId, 0), 'ready', 0);
  for (let k = 0; k < inFlight; k++) rec = beginPrediction(rec, 0);
  return [rec, [worker, devices]];
}

function booting(id: string, versionId: string, worker = 'w1', devices = [0]): [InstanceRecord, [string, number[]]] {
  return [createInstance(id, versionId, 0), [worker, devices]];
}

function state(workers: WorkerState[], versions: VersionDemand[], placed: [InstanceRecord, [string, number[]]][] = []): AutoscalerState {
  const c = cluster(...workers);
  const ledger = new Ledger();
  for (const [rec, [worker, devices]] of placed) {
    const r = reserve(ledger, c, rec.id, { ok: true, worker, devices, memoryClaimGb: 80, cudaVisibleDevices: '', cpuSlots: 0, score: 0 });
    if (!r.ok) throw new Error(r.reason);
  }
  return { versions, instances: placed.map(([r]) => r), cluster: c, ledger };
}

const v = (versionId: string, extra: Partial<VersionDemand> = {}): VersionDemand => ({
  versionId, hardware: 'gpu-h100', maxConcurrency: 1, queued: 0, oldestQueuedAt: null, ...extra,
});

/** Actions without placement scores, for compact comparison. */
function brief(actions: Action[]): string[] {
  return actions.map((a) => {
    switch (a.type) {
      case 'start': return `start ${a.versionId} on ${a.placement.worker}:[${a.placement.devices}] (${a.reason})`;
      case 'stop': return `stop ${a.instanceId} (${a.reason})`;
      case 'evict': return `evict ${a.instanceId} for ${a.forVersionId}`;
      case 'backoff': return `backoff ${a.versionId} until ${a.retryAt}`;
      default: return `${a.type} ${a.versionId}`;
    }
  });
}

const fixed = { keepAlive: 'fixed' as const };

describe('plan: on-demand versions', () => {
  it.each<[string, AutoscalerState, number, object, string[]]>([
    // A waiting prediction boots an instance at once (no scale-up delay from zero).
    ['scale from zero', state([oneH100()], [v('a', { queued: 1, oldestQueuedAt: 10 * S })]), 10 * S, {}, ['start a on w1:[0] (scale-from-zero)']],
    // Nothing waits, nothing runs: no action.
    ['quiet', state([oneH100()], [v('a')]), 0, {}, []],
    // An idle instance survives until the idle window has passed…
    ['idle 59 s', state([oneH100()], [v('a')], [idle('i1', 'a', 0)]), 59 * S, fixed, []],
    // …and stops once it has.
    ['idle 60 s', state([oneH100()], [v('a')], [idle('i1', 'a', 0)]), 60 * S, fixed, ['stop i1 (idle)']],
    // A booting instance counts as capacity: no second boot for the same waiting prediction.
    ['booting covers backlog', state([eightH100()], [v('a', { queued: 1, oldestQueuedAt: 0 })], [booting('i1', 'a')]), 5 * S, {}, []],
    // Backlog per instance above max concurrency adds instances to cover it, after the scale-up delay.
    ['backlog scale-up', state([eightH100()], [v('a', { queued: 2, oldestQueuedAt: 0 })], [busy('i1', 'a')]), 2 * S, {}, ['start a on w1:[1] (backlog)', 'start a on w1:[2] (backlog)']],
    // Within the scale-up delay (1 s) the backlog waits.
    ['backlog too young', state([eightH100()], [v('a', { queued: 2, oldestQueuedAt: 1.5 * S })], [busy('i1', 'a')]), 2 * S, {}, []],
    // A steady backlog of short waits: no wait is 1 s old, but predictions have waited without a
    // break for 1.5 s, which is how long the README says a backlog must persist.
    ['steady backlog of short waits', state([eightH100()], [v('a', { queued: 3, oldestQueuedAt: 9.9 * S, backlogSince: 8.5 * S })], [busy('i1', 'a')]), 10 * S, {}, ['start a on w1:[1] (backlog)', 'start a on w1:[2] (backlog)', 'start a on w1:[3] (backlog)']],
    // The backlog broke off and started again 0.5 s ago: not yet.
    ['backlog that just began', state([eightH100()], [v('a', { queued: 3, oldestQueuedAt: 9.9 * S, backlogSince: 9.5 * S })], [busy('i1', 'a')]), 10 * S, {}, []],
    // Slow predictions: 2 queued × 20 s on one slot would wait 40 s, longer than a 5 s boot: boot now.
    ['booting beats waiting', state([eightH100()], [v('a', { queued: 2, oldestQueuedAt: 9.9 * S, backlogSince: 9.9 * S, predictMs: 20 * S, setupMs: 5 * S })], [busy('i1', 'a')]), 10 * S, {}, ['start a on w1:[1] (backlog)', 'start a on w1:[2] (backlog)']],
    // Fast predictions: 3 × 5 ms drains in 15 ms, far less than a boot: the young backlog waits.
    ['fast predictions wait', state([eightH100()], [v('a', { queued: 3, oldestQueuedAt: 9.9 * S, backlogSince: 9.9 * S, predictMs: 5, setupMs: 5 * S })], [busy('i1', 'a')]), 10 * S, {}, []],
    // Concurrency 4 with 3 waiting and 1 running fits one instance: no scale-up.
    ['within concurrency', state([eightH100()], [v('a', { maxConcurrency: 4, queued: 3, oldestQueuedAt: 0 })], [busy('i1', 'a')]), 10 * S, {}, []],
    // Never above onDemandMaxInstances.
    ['capped at max', state([eightH100()], [v('a', { queued: 10, oldestQueuedAt: 0 })], [busy('i1', 'a')]), 10 * S, { onDemandMaxInstances: 2 }, ['start a on w1:[1] (backlog)']],
    // With two idle instances the extra one stops after its break-even window (its 120 s setup);
    // the last stays for its keep-alive (2 × 120 s setup + 300 s penalty).
    [
      'last instance keeps warm longer',
      state([eightH100()], [v('a', { setupMs: 120 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]),
      200 * S, {}, ['stop i1 (idle)'],
    ],
    // An extra instance of a slow-booting version outlives the 60 s window until it has idled a boot time…
    [
      'extra waits out its boot time',
      state([eightH100()], [v('a', { setupMs: 120 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]),
      119 * S, {}, [],
    ],
    ['extra stops after its boot time', state([eightH100()], [v('a', { setupMs: 120 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]), 120 * S, {}, ['stop i1 (idle)']],
    // …a fast-booting one's extra goes at the 60 s floor.
    ['fast boot: extra at the floor', state([eightH100()], [v('a', { setupMs: 10 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]), 60 * S, {}, ['stop i1 (idle)']],
    // Fixed keep-alive: every instance gets the idle window.
    ['fixed: extra at the window', state([eightH100()], [v('a', { setupMs: 120 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]), 60 * S, fixed, ['stop i1 (idle)']],
    // An operator's short window (GANTRY_IDLE_WINDOW) still bounds extras from below only by itself: setup decides.
    ['short window, slow boot', state([eightH100()], [v('a', { setupMs: 20 * S })], [idle('i1', 'a', 0, 'w1', [0]), idle('i2', 'a', 10 * S, 'w1', [1])]), 21 * S, { idleWindowMs: 2 * S }, ['stop i1 (idle)']],
    // A version no worker can hold is reported unplaceable (fail fast), not retried.
    ['impossible', state([oneH100()], [v('a', { hardware: 'gpu-h100-2x', queued: 1, oldestQueuedAt: 0 })]), 0, {}, ['unplaceable a']],
  ])('%s', (_name, s, now, knobs, want) => {
    expect(brief(plan(s, now, knobs))).toEqual(want);
  });
});

describe('plan: deployments', () => {
  const dep = (min: number, max: number, extra: Partial<VersionDemand> = {}) => v('d', { deployment: { minInstances: min, maxInstances: max }, ...extra });
  it.each<[string, AutoscalerState, number, object, string[]]>([
    // min 2 with no traffic still boots two.
    ['boots to min', state([eightH100()], [dep(2, 4)]), 0, {}, ['start d on w1:[0] (min-instances)', 'start d on w1:[1] (min-instances)']],
    // Idle instances at min never stop.
    ['keeps min warm', state([eightH100()], [dep(1, 4)], [idle('i1', 'd', 0)]), 3600 * S, {}, []],
    // Above min, an idle extra stops after the idle window.
    ['extra stops', state([eightH100()], [dep(1, 4)], [idle('i1', 'd', 0), idle('i2', 'd', 30 * S, 'w1', [1])]), 61 * S, {}, ['stop i1 (idle)']],
    // min 0: the last instance goes after the to-zero delay, not before.
    ['to zero too early', state([eightH100()], [dep(0, 2)], [idle('i1', 'd', 0)]), 100 * S, { toZeroDelayMs: 120 * S }, []],
    ['to zero', state([eightH100()], [dep(0, 2)], [idle('i1', 'd', 0)]), 120 * S, { toZeroDelayMs: 120 * S }, ['stop i1 (idle)']],
    // Never above max, however long the backlog.
    ['at max', state([eightH100()], [dep(0, 2, { queued: 9, oldestQueuedAt: 0 })], [busy('i1', 'd'), busy('i2', 'd', 'w1', [1])]), 60 * S, {}, []],
    // Max lowered below the live count: idle extras stop at once.
    ['above max', state([eightH100()], [dep(0, 1)], [idle('i1', 'd', 50 * S), idle('i2', 'd', 50 * S, 'w1', [1])]), 51 * S, {}, ['stop i1 (above-max)']],
  ])('%s', (_name, s, now, knobs, want) => {
    expect(brief(plan(s, now, knobs))).toEqual(want);
  });
});

describe('plan: eviction when capacity is short', () => {
  it('evicts the idle instance of another version to make room', () => {
    const s = state([oneH100()], [v('old'), v('new', { queued: 1, oldestQueuedAt: 0 })], [idle('i1', 'old', 0)]);
    expect(brief(plan(s, 5 * S, fixed))).toEqual(['evict i1 for new', 'start new on w1:[0] (scale-from-zero)']);
  });

  it('evicts least recently used first, and only as many as needed', () => {
    const placed = [0, 1, 2, 3, 4, 5, 6, 7].map((d) => idle(`i${d}`, `m${d}`, (10 - d) * S, 'w1', [d]));
    const versions = [...placed.map(([r]) => v(r.versionId)), v('new', { hardware: 'gpu-h100-2x', queued: 1, oldestQueuedAt: 0 })];
    // i7 (idle since 3 s) and i6 (since 4 s) are the least recently used. Without gap history
    // hazard eviction has nothing to go on and falls back to the same order.
    expect(brief(plan(state([eightH100()], versions, placed), 20 * S, fixed))).toEqual(['evict i7 for new', 'evict i6 for new', 'start new on w1:[6,7] (scale-from-zero)']);
    expect(brief(plan(state([eightH100()], versions, placed), 20 * S, { ...fixed, eviction: 'lru' }))).toEqual(['evict i7 for new', 'evict i6 for new', 'start new on w1:[6,7] (scale-from-zero)']);
  });

  it('hazard eviction spares the instance likeliest to be needed soon, LRU does not', () => {
    const hist = (gapsMs: number[]) => gapsMs.reduce(recordGap, emptyGapHistogram());
    // "hot" gets an arrival every ~90 s and has been idle 80 s; "cold" sees one every ~2 h and has been idle 30 s.
    const hot = v('hot', { gaps: hist(Array(50).fill(90 * S)), setupMs: 60 * S });
    const cold = v('cold', { gaps: hist(Array(50).fill(120 * MIN)), setupMs: 60 * S });
    const placed = [idle('ih', 'hot', 20 * S), idle('ic', 'cold', 70 * S, 'w1', [1])];
    const s = () => state([{ ...oneH100(), gpus: [...eightH100().gpus.slice(0, 2)] }], [hot, cold, v('new', { queued: 1, oldestQueuedAt: 0 })], placed);
    expect(brief(plan(s(), 100 * S, { eviction: 'lru' }))).toEqual(['evict ih for new', 'start new on w1:[0] (scale-from-zero)']);
    expect(brief(plan(s(), 100 * S))).toEqual(['evict ic for new', 'start new on w1:[1] (scale-from-zero)']);
  });

  it('spares victims that did not help (different worker)', () => {
    const workers = [oneH100(), { ...oneH100(), id: 'w2' }];
    const placed = [idle('i1', 'x', 0, 'w1', [0]), busy('i2', 'y', 'w2', [0])];
    const versions = [v('x'), v('y'), v('new', { queued: 1, oldestQueuedAt: 0 })];
    expect(brief(plan(state(workers, versions, placed), 5 * S, fixed))).toEqual(['evict i1 for new', 'start new on w1:[0] (scale-from-zero)']);
  });

  it('never evicts busy instances or a deployment at its min; reports pending', () => {
    const s = state(
      [eightH100()],
      [v('d', { deployment: { minInstances: 1, maxInstances: 1 } }), v('b'), v('new', { hardware: 'gpu-h100-8x', queued: 1, oldestQueuedAt: 0 })],
      [idle('i1', 'd', 0), busy('i2', 'b', 'w1', [1])],
    );
    expect(brief(plan(s, 5 * S, fixed))).toEqual(['pending new']);
  });

  it('does not modify the ledger it was given', () => {
    const s = state([oneH100()], [v('old'), v('new', { queued: 1, oldestQueuedAt: 0 })], [idle('i1', 'old', 0)]);
    plan(s, 5 * S, fixed);
    expect(s.ledger.all().map((c) => c.instanceId)).toEqual(['i1']);
  });
});

describe('setup-failure backoff', () => {
  it.each([
    [1, 5 * S], [2, 10 * S], [3, 20 * S], [7, 300 * S], [50, 300 * S],
  ])('after %i failures waits %i ms (5 s doubling, capped at 5 min)', (count, ms) => {
    expect(setupBackoffMs(count, 5 * S, 300 * S)).toBe(ms);
  });

  it('holds boots until the backoff has passed', () => {
    const failing = v('a', { queued: 1, oldestQueuedAt: 0, setupFailures: { count: 3, lastAt: 100 * S } });
    expect(brief(plan(state([oneH100()], [failing]), 110 * S))).toEqual(['backoff a until 120000']);
    expect(brief(plan(state([oneH100()], [failing]), 120 * S))).toEqual(['start a on w1:[0] (scale-from-zero)']);
  });
});

describe('adaptive keep-alive', () => {
  // penalty 0 isolates the setup-time trade-off; one case below adds it.
  const knobs = { setupMs: 120 * S, minMs: MIN, maxMs: 30 * MIN, coldStartWeight: 1, coldStartPenaltyMs: 0, minSamples: 8 };
  const hist = (gapsMs: number[]) => gapsMs.reduce(recordGap, emptyGapHistogram());

  it('without history keeps warm for (1 + w) × setup + penalty, clamped', () => {
    expect(adaptiveKeepAliveMs({ ...knobs })).toBe(240 * S);
    expect(adaptiveKeepAliveMs({ ...knobs, coldStartPenaltyMs: 120 * S })).toBe(360 * S);
    expect(adaptiveKeepAliveMs({ ...knobs, setupMs: 5 * S })).toBe(MIN);
    expect(adaptiveKeepAliveMs({ ...knobs, setupMs: 3600 * S })).toBe(30 * MIN);
  });

  it('stays warm through regular gaps shorter than 2 × setup', () => {
    // 3-minute gaps, 2-minute boots: idling 3 min costs less than a boot plus the caller's wait.
    const t = adaptiveKeepAliveMs({ ...knobs, gaps: hist(Array(50).fill(3 * MIN)) });
    expect(t).toBeGreaterThanOrEqual(3 * MIN);
    expect(t).toBeLessThan(4 * MIN);
  });

  it('does not idle through gaps longer than 2 × setup', () => {
    // 10-minute gaps, 2-minute boots: booting again is cheaper than idling 10 min.
    expect(adaptiveKeepAliveMs({ ...knobs, gaps: hist(Array(50).fill(10 * MIN)) })).toBe(MIN);
  });

  it('covers the short gaps of a bursty mix and gives up on the long ones', () => {
    // 80% of gaps ~2 min (within bursts), 20% ~2 h (between bursts): keep warm just past 2 min.
    const t = adaptiveKeepAliveMs({ ...knobs, gaps: hist([...Array(40).fill(2 * MIN), ...Array(10).fill(120 * MIN)]) });
    expect(t).toBeGreaterThanOrEqual(2 * MIN);
    expect(t).toBeLessThan(3 * MIN);
  });

  it('a flat cold-start penalty keeps cheap-to-boot versions warm through moderate gaps', () => {
    // 5 s boots, 4-minute gaps: without a penalty idling is not worth it; at 5 min per cold start it is.
    const gaps = hist(Array(50).fill(4 * MIN));
    expect(adaptiveKeepAliveMs({ ...knobs, setupMs: 5 * S, gaps })).toBe(MIN);
    expect(adaptiveKeepAliveMs({ ...knobs, setupMs: 5 * S, coldStartPenaltyMs: 5 * MIN, gaps })).toBeGreaterThanOrEqual(4 * MIN);
  });

  it('prices a cold boot by the predictions it catches: bursts keep slow-booting versions warm', () => {
    // 60% of gaps are 20 s (inside bursts, shorter than the 120 s boot), 40% are 10 min.
    // One cold boot catches ~2.5 predictions: at 240 s each (wait + 120 s penalty) idling 10 min pays.
    const gaps = hist([...Array(30).fill(20 * S), ...Array(20).fill(10 * MIN)]);
    expect(adaptiveKeepAliveMs({ ...knobs, gaps })).toBe(MIN);
    const t = adaptiveKeepAliveMs({ ...knobs, coldStartPenaltyMs: 120 * S, gaps });
    expect(t).toBeGreaterThanOrEqual(10 * MIN);
    expect(t).toBeLessThan(13 * MIN);
  });

  it('stops at the floor when gaps are hours long', () => {
    expect(adaptiveKeepAliveMs({ ...knobs, gaps: hist(Array(50).fill(120 * MIN)) })).toBe(MIN);
  });

  it('stops at the floor when boots are cheap next to the gaps', () => {
    expect(adaptiveKeepAliveMs({ ...knobs, setupMs: 5 * S, gaps: hist(Array(50).fill(10 * MIN)) })).toBe(MIN);
  });

  it.each<[string, VersionDemand, object, number]>([
    // Extra instances: max(window, setup), at most the last instance's keep-alive.
    ['slow boot', v('a', { setupMs: 200 * S }), {}, 200 * S],
    ['fast boot: floor', v('a', { setupMs: 5 * S }), {}, MIN],
    ['unknown setup: default 30 s, floor', v('a'), {}, MIN],
    ['capped by the last keep-alive', v('a', { setupMs: 3600 * S }), { keepAliveMaxMs: 10 * MIN }, 10 * MIN],
    ['operator window below setup', v('a', { setupMs: 20 * S }), { idleWindowMs: 2 * S }, 20 * S],
    ['fixed keep-alive: the window', v('a', { setupMs: 200 * S }), { keepAlive: 'fixed', idleWindowMs: 300 * S }, 300 * S],
    ['deployment: the window', v('d', { setupMs: 200 * S, deployment: { minInstances: 0, maxInstances: 3 } }), { idleWindowMs: 2 * S }, 2 * S],
  ])('extra instance keep-alive: %s', (_name, version, knobs, want) => {
    expect(extraInstanceKeepAliveMs(version, knobs)).toBe(want);
  });

  it.each<[string, number[], number, number, number]>([
    // gaps (s), idle so far (s), horizon (s), P(arrival within horizon | idle so far)
    ['all gaps 90 s, idle 50 s: next within a minute', [90], 50, 60, 1],
    ['all gaps 90 s, idle 10 s: not yet', [90], 10, 60, 0],
    ['half 10 s, half 1 h; idle 30 s: only the long ones remain', [10, 3600], 30, 60, 0],
    ['half 10 s, half 50 s; idle 30 s', [10, 50], 30, 60, 1],
    ['nothing this long recorded', [10], 100, 60, 0],
  ])('hazardWithin: %s', (_name, gapsS, idleS, horizonS, want) => {
    const gaps = gapsS.flatMap((g) => Array(20).fill(g * S)).reduce(recordGap, emptyGapHistogram());
    expect(hazardWithin(gaps, idleS * S, horizonS * S)).toBeCloseTo(want, 5);
  });

  it('evictionOrder: no history keeps LRU order; history ranks by expected loss', () => {
    const hist = (gapsMs: number[]) => gapsMs.reduce(recordGap, emptyGapHistogram());
    const [a] = idle('ia', 'a', 0);
    const [b] = idle('ib', 'b', 50 * S);
    const [c] = idle('ic', 'c', 60 * S);
    expect(evictionOrder([a, b, c], [v('a'), v('b'), v('c')], {}, 100 * S).map((i) => i.id)).toEqual(['ia', 'ib', 'ic']);
    // a (idle 100 s) sees gaps of ~2 min: likely needed within a minute; b and c have rare traffic.
    const versions = [v('a', { gaps: hist(Array(30).fill(2 * MIN)) }), v('b', { gaps: hist(Array(30).fill(3 * 3600 * S)) }), v('c')];
    expect(evictionOrder([a, b, c], versions, {}, 100 * S).map((i) => i.id)).toEqual(['ib', 'ic', 'ia']);
  });

  it('fixed keep-alive and deployments use their windows', () => {
    expect(lastInstanceKeepAliveMs(v('a', { setupMs: 600 * S }), { keepAlive: 'fixed', idleWindowMs: 300 * S })).toBe(300 * S);
    expect(lastInstanceKeepAliveMs(v('d', { deployment: { minInstances: 0, maxInstances: 1 } }), { idleWindowMs: 90 * S })).toBe(90 * S);
  });
});

describe('plan: forecast prewarm', () => {
  /** A version called every 20 min (30 times from t = 0), boot 60 s. */
  function timerVersion(extra: Partial<VersionDemand> = {}): VersionDemand {
    let gaps = emptyGapHistogram();
    let forecast = emptyForecast();
    for (let k = 0; k < 30; k++) {
      if (k > 0) gaps = recordGap(gaps, 20 * MIN);
      forecast = recordArrival(forecast, k * 20 * MIN);
    }
    return v('t', { gaps, forecast, setupMs: 60 * S, ...extra });
  }
  const last = 29 * 20 * MIN;
  /** The first 1 s tick in [from, to) at which plan starts something, with its actions. */
  function firstStart(s: AutoscalerState, from: number, to: number, knobs = {}): [number, string[]] | null {
    for (let t = from; t < to; t += S) {
      const a = plan(s, t, knobs);
      if (a.length > 0) return [t, brief(a)];
    }
    return null;
  }

  it('starts an instance of a quiet timer-like version shortly before its next arrival', () => {
    const got = firstStart(state([oneH100()], [timerVersion()]), last + 5 * MIN, last + 20 * MIN);
    expect(got).not.toBeNull();
    expect(got![1]).toEqual(['start t on w1:[0] (prewarm)']);
    expect(got![0]).toBeGreaterThanOrEqual(last + 14 * MIN);
  });

  it('does nothing with the knob off, or without a forecast', () => {
    expect(firstStart(state([oneH100()], [timerVersion()]), last + 5 * MIN, last + 20 * MIN, { prewarm: false })).toBeNull();
    expect(firstStart(state([oneH100()], [timerVersion({ forecast: undefined })]), last + 5 * MIN, last + 20 * MIN)).toBeNull();
  });

  it('never evicts for a prewarm and reports nothing when there is no room', () => {
    const s = state([oneH100()], [timerVersion(), v('other')], [idle('o1', 'other', last)]);
    for (let t = last + 5 * MIN; t < last + 20 * MIN; t += 10 * S) expect(plan(s, t, { keepAlive: 'fixed', idleWindowMs: 3600 * S })).toEqual([]);
  });

  it('keeps a prewarmed instance through the likely window and stops it after (prewarm-expired)', () => {
    const prewarmed = transition(createInstance('p1', 't', last + 18 * MIN), 'ready', last + 19 * MIN);
    const s = state([oneH100()], [timerVersion()], [[prewarmed, ['w1', [0]]]]);
    expect(brief(plan(s, last + 20 * MIN, fixed))).toEqual([]);
    expect(brief(plan(s, last + 30 * MIN, fixed))).toEqual(['stop p1 (prewarm-expired)']);
    // Without the forecast the same idle instance follows the ordinary idle window.
    const plain = state([oneH100()], [timerVersion({ forecast: undefined })], [[prewarmed, ['w1', [0]]]]);
    expect(brief(plan(plain, last + 30 * MIN, { ...fixed, idleWindowMs: 3600 * S }))).toEqual([]);
  });

  it('waits out a boot backoff before prewarming', () => {
    const failing = timerVersion({ setupFailures: { count: 3, lastAt: last + 15 * MIN } });
    expect(firstStart(state([oneH100()], [failing]), last + 15 * MIN, last + 15 * MIN + 19 * S)).toBeNull();
  });
});
