/**
 * The controller's cluster-wide decision (`decideFleet`) as tables over named fleets: the same
 * autoscaler and placement pipeline as one worker's, over every live worker's devices, with
 * placements holding their devices until their instance is reported gone.
 */
import { FleetMemory, decideFleet, type FleetDemand, type FleetPlacement, type FleetSnapshot, type FleetWorker } from '../../../engine/src/scheduler';

const NOW = 1_000_000;

/** A fleet worker as its heartbeat describes it: `n` GPUs of one SKU. */
function worker(id: string, sku: 'gpu-t4' | 'gpu-h100', n: number, cpuSlots = 2): FleetWorker {
  const memory = sku === 'gpu-t4' ? 16 : 80;
  return { id, cpuSlots, gpus: Array.from({ length: n }, (_, index) => ({ index, name: sku, sku, memory_gb: memory })) };
}

function demand(key: string, extra: Partial<FleetDemand> = {}): FleetDemand {
  return { key, hardware: 'gpu-t4', maxConcurrency: 1, queued: 0, running: 0, oldestQueuedAt: null, ...extra };
}

function placement(id: string, workerId: string, key: string, extra: Partial<FleetPlacement> = {}): FleetPlacement {
  return {
    id, workerId, key, devices: [0], memoryClaimGb: 16, cpuSlots: 0, createdAt: NOW - 60_000, stopRequested: false,
    state: 'ready', since: NOW - 30_000, setupTime: 2, lastUsedAt: NOW - 1000, error: null, stopped: false, ...extra,
  };
}

function snap(s: Partial<FleetSnapshot>): FleetSnapshot {
  return { now: NOW, workers: [], placements: [], demand: [], arrivals: [], completions: [], ...s };
}

let n = 0;
const decide = (s: FleetSnapshot, memory = new FleetMemory(), grace = 0) =>
  decideFleet(s, memory, { newId: () => `new${++n}`, knobs: { scaleUpDelayMs: 0 }, unplaceableGraceMs: grace });

const starts = (d: ReturnType<typeof decide>) => d.starts.map((s) => [s.key, s.placement.worker, s.placement.devices]);

test.each([
  {
    // Check point: scale from zero places on some live worker with room, whole GPU claimed.
    name: 'scale from zero',
    s: snap({ workers: [worker('w1', 'gpu-t4', 1), worker('w2', 'gpu-t4', 1)], demand: [demand('v1', { queued: 1, oldestQueuedAt: NOW - 10 })] }),
    expected: [['v1', 'w1', [0]]],
  },
  {
    // Check point: the backlog of a key whose only instance is busy on w1 gets an instance on w2,
    // not a wait for w1 (cluster-wide placement).
    name: 'backlog goes to the worker with room',
    s: snap({
      workers: [worker('w1', 'gpu-t4', 1), worker('w2', 'gpu-t4', 1)],
      placements: [placement('p1', 'w1', 'v1', { state: 'busy' })],
      demand: [demand('v1', { queued: 1, running: 1, oldestQueuedAt: NOW - 2000 })],
    }),
    expected: [['v1', 'w2', [0]]],
  },
  {
    // Check point: a stopping instance still holds its GPU: nothing is placed on it meanwhile.
    name: 'a stopping instance holds its device',
    s: snap({
      workers: [worker('w1', 'gpu-t4', 1), worker('w2', 'gpu-t4', 1)],
      placements: [placement('p1', 'w1', 'old', { stopRequested: true })],
      demand: [demand('v2', { queued: 1, oldestQueuedAt: NOW - 10 })],
    }),
    expected: [['v2', 'w2', [0]]],
  },
  {
    // Check point: a placement on a worker that is no longer live holds nothing (that worker is lost).
    name: 'placements of a dead worker hold nothing',
    s: snap({
      workers: [worker('w2', 'gpu-t4', 1)],
      placements: [placement('p1', 'w1', 'v1')],
      demand: [demand('v1', { queued: 1, oldestQueuedAt: NOW - 10 })],
    }),
    expected: [['v1', 'w2', [0]]],
  },
  {
    // Check point: H100 work only lands on the H100 worker; a 2-GPU SKU gets two devices of one worker.
    name: 'GPU type and count',
    s: snap({
      workers: [worker('t4box', 'gpu-t4', 4), worker('h100box', 'gpu-h100', 2)],
      demand: [demand('big', { hardware: 'gpu-h100-2x', queued: 1, oldestQueuedAt: NOW - 10 })],
    }),
    expected: [['big', 'h100box', [0, 1]]],
  },
])('$name', ({ s, expected }) => {
  expect(starts(decide(s))).toEqual(expected);
});

test('one tick never claims a device twice, however much waits', () => {
  const d = decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 2), worker('w2', 'gpu-t4', 1)],
      demand: ['a', 'b', 'c', 'd', 'e'].map((k, i) => demand(k, { queued: 3, oldestQueuedAt: NOW - 100 + i })),
    }),
  );
  const claims = d.starts.map((s) => `${s.placement.worker}#${s.placement.devices.join(',')}`);
  expect(claims).toHaveLength(3);
  expect(new Set(claims).size).toBe(3);
  expect(d.pending.map((p) => p.key)).toEqual(expect.arrayContaining(['d', 'e']));
});

test('instances reported gone are released; their devices are free in the same tick', () => {
  const d = decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 1)],
      placements: [placement('p1', 'w1', 'old', { stopped: true, state: 'stopped' })],
      demand: [demand('v1', { queued: 1, oldestQueuedAt: NOW - 10 })],
    }),
  );
  expect(d.releases).toEqual(['p1']);
  expect(starts(d)).toEqual([['v1', 'w1', [0]]]);
});

test('an idle instance past its keep-alive is stopped; a busy one never', () => {
  const memory = new FleetMemory();
  const d = decideFleet(
    snap({
      workers: [worker('w1', 'gpu-t4', 2)],
      placements: [
        placement('idle', 'w1', 'v1', { lastUsedAt: NOW - 10 * 60_000 }),
        placement('busy', 'w1', 'v2', { devices: [1], state: 'busy' }),
      ],
      demand: [demand('v1'), demand('v2', { running: 1 })],
    }),
    memory,
    { newId: () => 'x', knobs: { keepAlive: 'fixed', idleWindowMs: 60_000 } },
  );
  expect(d.stops.map((s) => s.id)).toEqual(['idle']);
});

test('a boot that failed backs off and fails the waiting predictions with its error', () => {
  const memory = new FleetMemory();
  const d = decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 1)],
      placements: [placement('p1', 'w1', 'v1', { state: 'failed', stopped: true, setupTime: null, error: 'setup crashed\nTraceback: boom' })],
      demand: [demand('v1', { queued: 2, oldestQueuedAt: NOW - 10 })],
    }),
    memory,
  );
  expect(d.starts).toEqual([]);
  expect(d.fails).toEqual([{ key: 'v1', error: 'setup crashed (next setup attempt in 5s)', logs: 'Traceback: boom' }]);
});

test('a key nobody can ever hold fails its waiting predictions only after the grace period', () => {
  const memory = new FleetMemory();
  const s = snap({ workers: [worker('w1', 'gpu-t4', 1)], demand: [demand('h', { hardware: 'gpu-h100', queued: 1, oldestQueuedAt: NOW - 10 })] });
  const first = decide(s, memory, 30_000);
  expect(first.fails).toEqual([]);
  expect(first.pending.map((p) => p.key)).toEqual(['h']);
  const later = decide({ ...s, now: NOW + 31_000 }, memory, 30_000);
  expect(later.fails.map((f) => f.key)).toEqual(['h']);
  expect(later.fails[0].error).toMatch(/no capacity can ever hold this version/);
});

test('a deployment keeps min_instances warm without traffic, on any live worker', () => {
  const d = decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 1), worker('w2', 'gpu-t4', 1)],
      demand: [demand('v1@acme/dep', { deployment: { minInstances: 2, maxInstances: 3 } })],
    }),
  );
  expect(starts(d).map((s) => s[1]).sort()).toEqual(['w1', 'w2']);
});

test('arrivals and completions teach the memory gaps and predict times', () => {
  const memory = new FleetMemory();
  decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 1)],
      demand: [demand('v1')],
      arrivals: [{ key: 'v1', at: NOW - 3000 }, { key: 'v1', at: NOW - 1000 }],
      completions: [{ key: 'v1', predictMs: 400 }],
    }),
    memory,
  );
  expect(memory.of('v1').gaps.total).toBeGreaterThan(0);
  expect(memory.of('v1').predictMs).toBe(400);
});

test('on a full cluster every waiting key of the same hardware is told it waits, and other hardware still fits', () => {
  const d = decide(
    snap({
      workers: [worker('w1', 'gpu-t4', 1, 1)],
      demand: [
        demand('first', { queued: 1, oldestQueuedAt: NOW - 50 }),
        ...['b', 'c', 'd'].map((k, i) => demand(k, { queued: 1, oldestQueuedAt: NOW - 40 + i })),
        demand('cpu-key', { hardware: 'cpu', queued: 1, oldestQueuedAt: NOW - 10 }),
      ],
    }),
  );
  expect(starts(d)).toEqual([
    ['first', 'w1', [0]],
    ['cpu-key', 'w1', []],
  ]);
  expect(d.pending.map((p) => p.key).sort()).toEqual(['b', 'c', 'd']);
  expect(new Set(d.pending.map((p) => p.reasons.join('; '))).size).toBe(1);
});

describe('forecast prewarm through the controller', () => {
  // A key called every 20 min, each prediction done before the next: between calls the key has no
  // open prediction and no placement, so it drops out of the snapshot's demand. The controller
  // must still remember it (with the demand it last had) and start it before the next call.
  it('starts a quiet timer-like key shortly before its next arrival, from the arrivals it observed', () => {
    const memory = new FleetMemory();
    const w = worker('w1', 'gpu-t4', 1);
    const period = 20 * 60_000;
    for (let k = 0; k < 30; k++) {
      const at = k * period;
      decideFleet(snap({ now: at, workers: [w], demand: [demand('cron', { queued: 1, oldestQueuedAt: at })], arrivals: [{ key: 'cron', at }] }), memory, { newId: () => 'x', knobs: {} });
      // Its instance booted in 60 s and served it: the setup time the controller learns.
      decideFleet(snap({ now: at + 70_000, workers: [w], placements: [placement('x', 'w1', 'cron', { setupTime: 60, stopped: true })] }), memory, { newId: () => 'x', knobs: {} });
    }
    const last = 29 * period;
    let first: number | null = null;
    let reason = '';
    for (let t = last + 5 * 60_000; t < last + period && first === null; t += 1000) {
      const d = decideFleet(snap({ now: t, workers: [w] }), memory, { newId: () => 'p', knobs: {} });
      if (d.starts.length > 0) [first, reason] = [t, d.starts[0].reason];
    }
    expect(reason).toBe('prewarm');
    expect(first!).toBeGreaterThanOrEqual(last + 14 * 60_000);
    expect(first!).toBeLessThan(last + period);
  });

  it('forgets a quiet key a day and an hour after its last arrival (nothing to prewarm)', () => {
    const memory = new FleetMemory();
    const w = worker('w1', 'gpu-t4', 1);
    decideFleet(snap({ now: 0, workers: [w], demand: [demand('once', { queued: 1, oldestQueuedAt: 0 })], arrivals: [{ key: 'once', at: 0 }] }), memory, { newId: () => 'x', knobs: {} });
    decideFleet(snap({ now: 3600_000, workers: [w] }), memory, { newId: () => 'x', knobs: {} });
    expect(memory.has('once')).toBe(true);
    decideFleet(snap({ now: 26 * 3600_000, workers: [w] }), memory, { newId: () => 'x', knobs: {} });
    expect(memory.has('once')).toBe(false);
  });
});
