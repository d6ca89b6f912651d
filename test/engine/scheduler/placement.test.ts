import { Ledger, place, reserve, unreserve, type HardwareRequest, type PlaceOptions, type WorkerState } from '../../../engine/src/scheduler/placement';
import { cluster, cpuOnly, eightH100, mixedT4L40S, oneH100, smiMixed } from '../../fixtures/gpus';

/** Claims already on the cluster before the case runs: [worker, devices, GB per device]. */
type Busy = [string, number[], number][];

interface Case {
  name: string;
  hardware: HardwareRequest;
  workers: WorkerState[];
  busy?: Busy;
  options?: PlaceOptions;
  want: { worker: string; devices: number[]; memoryClaimGb: number } | { code: 'busy' | 'impossible'; reason: string };
}

function ledgerWith(workers: WorkerState[], busy: Busy = []): Ledger {
  const ledger = new Ledger();
  busy.forEach(([worker, devices, gb], i) => {
    const r = reserve(ledger, cluster(...workers), `busy-${i}`, {
      ok: true, worker, devices, memoryClaimGb: gb, cudaVisibleDevices: devices.join(','), cpuSlots: devices.length ? 0 : 1, score: 0,
    });
    if (!r.ok) throw new Error(r.reason);
  });
  return ledger;
}

const cases: Case[] = [
  // A single-GPU SKU takes the only device, whole.
  { name: 'gpu-h100 on oneH100', hardware: 'gpu-h100', workers: [oneH100()], want: { worker: 'w1', devices: [0], memoryClaimGb: 80 } },
  // A whole-device claim needs an unclaimed device: a 10 GB tenant makes the H100 busy, not impossible.
  { name: 'gpu-h100 when shared', hardware: 'gpu-h100', workers: [oneH100()], busy: [['w1', [0], 10]], want: { code: 'busy', reason: 'worker w1: device 0: in use' } },
  // More GPUs than any worker owns can never fit.
  { name: 'gpu-h100-2x on oneH100', hardware: 'gpu-h100-2x', workers: [oneH100()], want: { code: 'impossible', reason: 'worker w1: has 1 gpu-h100, needs 2' } },
  // Binpack keeps free devices together: 2x goes to the lowest free pair after used device 0.
  { name: 'gpu-h100-2x on eightH100 with 0 taken', hardware: 'gpu-h100-2x', workers: [eightH100()], busy: [['w1', [0], 80]], want: { worker: 'w1', devices: [1, 2], memoryClaimGb: 80 } },
  // 8x needs a whole empty box; one busy GPU makes it busy (retry later), not impossible.
  { name: 'gpu-h100-8x with one device taken', hardware: 'gpu-h100-8x', workers: [eightH100()], busy: [['w1', [3], 80]], want: { code: 'busy', reason: 'only 7 of 8 needed gpu-h100 free' } },
  // Multi-GPU never spans workers: two boxes with 4 free each cannot hold 8x now.
  {
    name: '8x across two half-full boxes',
    hardware: 'gpu-h100-8x',
    workers: [eightH100('a'), eightH100('b')],
    busy: [['a', [0, 1, 2, 3], 80], ['b', [4, 5, 6, 7], 80]],
    want: { code: 'busy', reason: 'worker b: only 4 of 8' },
  },
  // GPU type must match: T4 request lands on the T4s of a mixed worker, lowest index.
  { name: 'gpu-t4 on mixedT4L40S', hardware: 'gpu-t4', workers: [mixedT4L40S()], want: { worker: 'mix', devices: [0], memoryClaimGb: 16 } },
  // L40S devices are 2 and 3 on the mixed worker.
  { name: 'gpu-l40s-2x on mixedT4L40S', hardware: 'gpu-l40s-2x', workers: [mixedT4L40S()], want: { worker: 'mix', devices: [2, 3], memoryClaimGb: 48 } },
  // No worker has an A100 at all: impossible, with the hardware each worker does have.
  { name: 'gpu-a100-large on mixedT4L40S', hardware: 'gpu-a100-large', workers: [mixedT4L40S()], want: { code: 'impossible', reason: 'no gpu-a100-large (has 2x gpu-t4, 2x gpu-l40s)' } },
  // Memory requests take any GPU type; binpack picks the tightest fit (a T4 for 12 GB).
  { name: '12 GB on mixedT4L40S', hardware: { gpu_count: 1, gpu_memory_gb: 12 }, workers: [mixedT4L40S()], want: { worker: 'mix', devices: [0], memoryClaimGb: 12 } },
  // 20 GB does not fit a T4 (16 GB), so it goes to an L40S.
  { name: '20 GB on mixedT4L40S', hardware: { gpu_count: 1, gpu_memory_gb: 20 }, workers: [mixedT4L40S()], want: { worker: 'mix', devices: [2], memoryClaimGb: 20 } },
  // Binpack shares a partly used L40S (28 GB free) rather than opening the empty one.
  { name: '20 GB binpacks onto used L40S', hardware: { gpu_count: 1, gpu_memory_gb: 20 }, workers: [mixedT4L40S()], busy: [['mix', [3], 20]], want: { worker: 'mix', devices: [3], memoryClaimGb: 20 } },
  // Spread takes the emptiest device instead.
  { name: '20 GB spread', hardware: { gpu_count: 1, gpu_memory_gb: 20 }, workers: [mixedT4L40S()], busy: [['mix', [3], 20]], options: { strategy: 'spread' }, want: { worker: 'mix', devices: [2], memoryClaimGb: 20 } },
  // Memory larger than any device can never fit.
  { name: '100 GB anywhere', hardware: { gpu_count: 1, gpu_memory_gb: 100 }, workers: [eightH100()], want: { code: 'impossible', reason: 'device 0: 80 GB free of 80, needs 100' } },
  // Unknown-SKU GPUs (A100 40GB from nvidia-smi) still serve memory requests.
  { name: '30 GB on smiMixed', hardware: { gpu_count: 1, gpu_memory_gb: 30 }, workers: [smiMixed()], want: { worker: 'smi', devices: [1], memoryClaimGb: 30 } },
  // ...but not SKU requests for their type: the 40GB A100 is not gpu-a100-large.
  { name: 'gpu-a100-large-2x on smiMixed', hardware: 'gpu-a100-large-2x', workers: [smiMixed()], want: { code: 'impossible', reason: 'has 1 gpu-a100-large, needs 2' } },
  // Dead workers are skipped; a request only they could serve is busy (they may come back).
  { name: 'only worker dead', hardware: 'gpu-h100', workers: [oneH100({ alive: false })], want: { code: 'busy', reason: 'worker w1: not alive' } },
  // Binpack prefers the fuller worker of two.
  {
    name: 'binpack picks fuller box',
    hardware: 'gpu-h100',
    workers: [eightH100('a'), eightH100('b')],
    busy: [['b', [0, 1], 80]],
    want: { worker: 'b', devices: [2], memoryClaimGb: 80 },
  },
  // Spread prefers the emptier one.
  {
    name: 'spread picks emptier box',
    hardware: 'gpu-h100',
    workers: [eightH100('a'), eightH100('b')],
    busy: [['a', [0], 80]],
    options: { strategy: 'spread' },
    want: { worker: 'b', devices: [0], memoryClaimGb: 80 },
  },
  // Cached weights outweigh a small binpack edge (100 vs ~12.5 points).
  {
    name: 'weights cached wins',
    hardware: 'gpu-h100',
    workers: [eightH100('a', { artifacts: { v1: 'disk' } }), eightH100('b')],
    busy: [['b', [0], 80]],
    want: { worker: 'a', devices: [0], memoryClaimGb: 80 },
  },
  // Equal scores: the lower worker id wins (stated tie-break).
  { name: 'tie goes to lower id', hardware: 'gpu-h100', workers: [eightH100('b'), eightH100('a')], want: { worker: 'a', devices: [0], memoryClaimGb: 80 } },
  // CPU requests take a CPU slot and no GPU.
  { name: 'cpu on cpuOnly', hardware: 'cpu', workers: [cpuOnly()], want: { worker: 'cpu1', devices: [], memoryClaimGb: 0 } },
  // All CPU slots taken is busy.
  { name: 'cpu slots full', hardware: 'cpu', workers: [cpuOnly('cpu1', 1)], busy: [['cpu1', [], 0]], want: { code: 'busy', reason: 'all 1 CPU slots in use' } },
  // A SKU that does not exist is impossible, not an exception.
  { name: 'unknown sku', hardware: 'gpu-b200', workers: [eightH100()], want: { code: 'impossible', reason: 'unknown hardware SKU "gpu-b200"' } },
  // Malformed memory request is impossible too.
  { name: 'zero gpu_count', hardware: { gpu_count: 0, gpu_memory_gb: 10 }, workers: [eightH100()], want: { code: 'impossible', reason: 'gpu_count must be' } },
];

describe('place', () => {
  it.each(cases)('$name', ({ hardware, workers, busy, options, want }) => {
    const result = place({ versionId: 'v1', hardware }, cluster(...workers), ledgerWith(workers, busy), options);
    if ('code' in want) {
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.code).toBe(want.code);
      expect(result.reasons.join('\n')).toContain(want.reason);
    } else {
      expect(result).toMatchObject({ ok: true, ...want, cudaVisibleDevices: want.devices.join(',') });
    }
  });
});

describe('reserve / unreserve', () => {
  it('reserve then place again never double-books; unreserve is idempotent', () => {
    const c = cluster(oneH100());
    const ledger = new Ledger();
    const first = place({ versionId: 'v1', hardware: 'gpu-h100' }, c, ledger);
    if (!first.ok) throw new Error('expected a fit');
    expect(reserve(ledger, c, 'i1', first)).toMatchObject({ ok: true });
    expect(reserve(ledger, c, 'i2', first)).toEqual({ ok: false, reason: 'worker w1: device 0: 0 GB free, needs 80' });
    expect(reserve(ledger, c, 'i1', first)).toEqual({ ok: false, reason: 'instance i1 already holds a claim' });
    expect(place({ versionId: 'v2', hardware: 'gpu-h100' }, c, ledger)).toMatchObject({ ok: false, code: 'busy' });
    expect(unreserveTwice(ledger, 'i1')).toEqual([true, false]);
    expect(place({ versionId: 'v2', hardware: 'gpu-h100' }, c, ledger)).toMatchObject({ ok: true, devices: [0] });
  });

  it('two 40 GB claims share an H100; a third does not fit', () => {
    const c = cluster(oneH100());
    const ledger = new Ledger();
    for (const id of ['a', 'b']) {
      const p = place({ versionId: id, hardware: { gpu_count: 1, gpu_memory_gb: 40 } }, c, ledger);
      if (!p.ok) throw new Error(p.reasons.join());
      expect(reserve(ledger, c, id, p).ok).toBe(true);
    }
    expect(ledger.usedMemoryGb('w1', 0)).toBe(80);
    expect(place({ versionId: 'c', hardware: { gpu_count: 1, gpu_memory_gb: 40 } }, c, ledger)).toMatchObject({ ok: false, code: 'busy' });
  });
});

function unreserveTwice(ledger: Ledger, id: string): boolean[] {
  return [unreserve(ledger, id), unreserve(ledger, id)];
}
