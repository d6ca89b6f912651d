import {
  Ledger,
  binpack,
  buildOption,
  candidatesOf,
  freeMemory,
  gpuCount,
  gpuType,
  reserve,
  sameWorker,
  scoreOption,
  select,
  spread,
  weightsCached,
  workerAlive,
  type Need,
  type PlacementContext,
} from '../../../engine/src/scheduler/placement';
import { cluster, eightH100, mixedT4L40S, oneH100 } from '../../fixtures/gpus';

const ctx = (need: Need, versionId = 'v1'): PlacementContext => ({ request: { versionId, hardware: 'gpu-h100' }, need });
const h100x2: Need = { kind: 'gpu', gpu: 'gpu-h100', count: 2, memoryGbPerDevice: 'whole' };

describe('filters, called directly', () => {
  it('worker-alive drops dead workers with a reason', () => {
    const cands = candidatesOf(cluster(oneH100({ alive: false }), eightH100('w2')), new Ledger());
    const r = workerAlive.filter(ctx(h100x2), cands);
    expect(r.kept.map((c) => c.worker.id)).toEqual(['w2']);
    expect(r.reasons).toEqual(['worker w1: not alive']);
  });

  it('gpu-type keeps only matching devices', () => {
    const r = gpuType.filter(ctx({ kind: 'gpu', gpu: 'gpu-l40s', count: 1, memoryGbPerDevice: 'whole' }), candidatesOf(cluster(mixedT4L40S()), new Ledger()));
    expect(r.kept[0].devices.map((d) => d.device.index)).toEqual([2, 3]);
  });

  it('gpu-count compares owned devices, free or not', () => {
    const r = gpuCount.filter(ctx(h100x2), candidatesOf(cluster(oneH100()), new Ledger()));
    expect(r).toEqual({ kept: [], reasons: ['worker w1: has 1 gpu-h100, needs 2'] });
  });

  it('free-memory and same-worker: one free device of two needed', () => {
    const c = cluster(eightH100());
    const ledger = new Ledger();
    reserve(ledger, c, 'x', { ok: true, worker: 'w1', devices: [0, 1, 2, 3, 4, 5, 6], memoryClaimGb: 80, cudaVisibleDevices: '', cpuSlots: 0, score: 0 });
    const afterMemory = freeMemory.filter(ctx(h100x2), candidatesOf(c, ledger));
    expect(afterMemory.kept[0].devices.map((d) => d.device.index)).toEqual([7]);
    expect(afterMemory.reasons).toHaveLength(7);
    expect(sameWorker.filter(ctx(h100x2), afterMemory.kept)).toEqual({ kept: [], reasons: ['worker w1: only 1 of 2 needed gpu-h100 free'] });
  });
});

describe('scorers and select', () => {
  const c = cluster(eightH100('a', { artifacts: { v1: 'disk' } }), eightH100('b'));
  const ledger = new Ledger();
  reserve(ledger, c, 'x', { ok: true, worker: 'b', devices: [0, 1, 2, 3], memoryClaimGb: 80, cudaVisibleDevices: '', cpuSlots: 0, score: 0 });
  const need: Need = { kind: 'gpu', gpu: 'gpu-h100', count: 1, memoryGbPerDevice: 'whole' };
  const [a, b] = candidatesOf(c, ledger).map((cand) => buildOption(ctx(need), cand, 'binpack'));

  it('binpack = % of worker memory used after placement; spread is its complement', () => {
    expect(binpack.score(ctx(need), a)).toBeCloseTo(12.5);
    expect(binpack.score(ctx(need), b)).toBeCloseTo(62.5);
    expect(spread.score(ctx(need), b)).toBeCloseTo(37.5);
  });

  it('weights-cached scores the share of the remote fetch a tier saves: memory > disk > remote = 0', () => {
    expect(weightsCached.score(ctx(need), a)).toBeCloseTo(87.5); // disk at 2 GB/s vs remote at 0.25 GB/s
    expect(weightsCached.score(ctx(need), b)).toBe(0);
    const inMemory = { ...a, candidate: { ...a.candidate, worker: { ...a.candidate.worker, artifacts: { v1: 'memory' as const } } } };
    expect(weightsCached.score(ctx(need), inMemory)).toBeCloseTo(96.875);
  });

  it('scores are clamped to 0–100 before weighting', () => {
    const wild = { name: 'wild', score: () => 1e6 };
    const nan = { name: 'nan', score: () => NaN };
    expect(scoreOption(ctx(need), a, [{ scorer: wild, weight: 2 }, { scorer: nan, weight: 1 }])).toBe(200);
  });

  it('select takes the max; ties go to the lower worker id', () => {
    expect(select([{ option: b, score: 10 }, { option: a, score: 10 }])!.option).toBe(a);
    expect(select([{ option: a, score: 10 }, { option: b, score: 11 }])!.option).toBe(b);
    expect(select([])).toBeUndefined();
  });
});
