/**
 * The controller's placement over a synthetic cluster: `decideFleet` (the code the controller
 * runs every tick: the snapshot's placements into a ledger, the autoscaler's plan over every key,
 * filter → score → select → reserve over every live worker) on 100 workers × 8 GPUs.
 *
 *   npx tsc -p bench/fleet-placement/tsconfig.json && node bench/fleet-placement/dist/bench/fleet-placement/main.js [--seed N] [--decisions N]
 *
 * Two measurements, each against a same-run baseline of one worker × 8 GPUs (the scope each
 * worker placed over before the fleet controller):
 *
 * 1. One decision: the cluster is filled step by step; at each step one new key waits for one
 *    instance and `decideFleet` places it. Its latency (the whole tick for that one start, with
 *    every existing placement in the ledger) is recorded: p50, p99, decisions per second.
 * 2. A burst: one tick in which many keys wait at once (a controller failover or a traffic spike);
 *    decisions per second = instances placed / tick time.
 *
 * Hardware mix of the keys: 1×, 2×, 4× and 8× H100 SKUs and shared-GPU memory requests
 * (`{gpu_count: 1, gpu_memory_gb: 20}`), seeded.
 */
import { FleetMemory, decideFleet, type FleetDemand, type FleetPlacement, type FleetSnapshot, type FleetWorker, type HardwareRequest } from '../../engine/src/scheduler';
import { mulberry32 } from '../scheduler-sim/prng';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

const seed = arg('seed', 7);
const decisions = arg('decisions', 2000);

function workers(n: number, gpus: number): FleetWorker[] {
  return Array.from({ length: n }, (_, w) => ({
    id: `w${String(w).padStart(3, '0')}`,
    cpuSlots: 8,
    gpus: Array.from({ length: gpus }, (_, index) => ({ index, name: 'NVIDIA H100 80GB HBM3', sku: 'gpu-h100', memory_gb: 80 })),
  }));
}

const MIX: Array<[HardwareRequest, number]> = [
  ['gpu-h100', 0.45],
  ['gpu-h100-2x', 0.2],
  ['gpu-h100-4x', 0.1],
  ['gpu-h100-8x', 0.05],
  [{ gpu_count: 1, gpu_memory_gb: 20 }, 0.2],
];

function drawHardware(rand: () => number): HardwareRequest {
  let u = rand();
  for (const [hw, p] of MIX) {
    if ((u -= p) <= 0) return hw;
  }
  return 'gpu-h100';
}

const quantile = (sorted: number[], q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];

interface Result {
  scope: string;
  decisions: number;
  placed: number;
  p50Ms: number;
  p99Ms: number;
  perSecond: number;
  finalPlacements: number;
}

/**
 * Fills the cluster one decision at a time. Each placed instance becomes a ready placement in the
 * next snapshot (as the worker would report it), so later decisions see a fuller ledger.
 */
function oneAtATime(fleet: FleetWorker[], n: number, label: string): Result {
  const rand = mulberry32(seed);
  const placements: FleetPlacement[] = [];
  const memory = new FleetMemory();
  const latencies: number[] = [];
  let placed = 0;
  let next = 0;
  const now = 1_000_000;
  for (let i = 0; i < n; i++) {
    const key = `k${i}`;
    const demand: FleetDemand[] = [{ key, hardware: drawHardware(rand), maxConcurrency: 1, queued: 1, running: 0, oldestQueuedAt: now - 10 }];
    // Keys already placed stay in the snapshot, busy (their instances are not scaled down here).
    for (const p of placements) demand.push({ key: p.key, hardware: 'gpu-h100', maxConcurrency: 1, queued: 0, running: 1, oldestQueuedAt: null });
    const snap: FleetSnapshot = { now, workers: fleet, placements, demand, arrivals: [], completions: [] };
    const t0 = process.hrtime.bigint();
    const d = decideFleet(snap, memory, { newId: () => `p${next++}`, knobs: { scaleUpDelayMs: 0, onDemandMaxInstances: 1 } });
    latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
    for (const s of d.starts) {
      placed++;
      placements.push({
        id: s.id, workerId: s.placement.worker, key: s.key, devices: s.placement.devices, memoryClaimGb: s.placement.memoryClaimGb,
        cpuSlots: s.placement.cpuSlots, createdAt: now, stopRequested: false, state: 'busy', since: now, setupTime: 1, lastUsedAt: now, error: null, stopped: false,
      });
    }
    // A full cluster frees the oldest instances (as idle ones would be stopped), so decisions keep happening on a busy ledger.
    if (d.starts.length === 0 && placements.length) placements.splice(0, Math.ceil(placements.length / 4));
  }
  const sorted = [...latencies].sort((a, b) => a - b);
  const total = latencies.reduce((a, b) => a + b, 0);
  return { scope: label, decisions: n, placed, p50Ms: quantile(sorted, 0.5), p99Ms: quantile(sorted, 0.99), perSecond: n / (total / 1000), finalPlacements: placements.length };
}

/** One tick in which `keys` keys each wait for one instance on an empty cluster. */
function burst(fleet: FleetWorker[], keys: number, label: string): Result {
  const rand = mulberry32(seed + 1);
  const demand: FleetDemand[] = Array.from({ length: keys }, (_, i) => ({ key: `b${i}`, hardware: drawHardware(rand), maxConcurrency: 1, queued: 1, running: 0, oldestQueuedAt: 1000 + i }));
  const runs: number[] = [];
  let placed = 0;
  for (let r = 0; r < 5; r++) {
    let next = 0;
    const t0 = process.hrtime.bigint();
    const d = decideFleet({ now: 1_000_000, workers: fleet, placements: [], demand, arrivals: [], completions: [] }, new FleetMemory(), {
      newId: () => `p${next++}`,
      knobs: { scaleUpDelayMs: 0, onDemandMaxInstances: 1 },
    });
    runs.push(Number(process.hrtime.bigint() - t0) / 1e6);
    placed = d.starts.length;
  }
  const sorted = [...runs].sort((a, b) => a - b);
  const median = quantile(sorted, 0.5);
  return { scope: label, decisions: keys, placed, p50Ms: median, p99Ms: sorted[sorted.length - 1], perSecond: placed / (median / 1000), finalPlacements: placed };
}

const big = workers(100, 8);
const small = workers(1, 8);
// Warm up the JIT on both scopes before measuring.
oneAtATime(big, 200, 'warm-up');
oneAtATime(small, 200, 'warm-up');

const rows = [
  oneAtATime(small, decisions, 'baseline: 1 worker × 8 GPUs, one decision per tick'),
  oneAtATime(big, decisions, 'cluster: 100 workers × 8 GPUs, one decision per tick'),
  burst(small, 16, 'baseline: 1 × 8, burst of 16 keys in one tick'),
  burst(big, 1000, 'cluster: 100 × 8, burst of 1000 keys in one tick'),
];

console.log(`seed ${seed}, node ${process.version}`);
console.log('| scope | ticks / keys | instances placed | p50 tick (ms) | p99 tick (ms) | placement decisions/s | placements held at the end |');
console.log('|---|---|---|---|---|---|---|');
for (const r of rows) {
  console.log(`| ${r.scope} | ${r.decisions} | ${r.placed} | ${r.p50Ms.toFixed(3)} | ${r.p99Ms.toFixed(3)} | ${Math.round(r.perSecond)} | ${r.finalPlacements} |`);
}
const [b1, c1] = rows;
console.log(`\none decision: cluster/baseline p99 latency ${(c1.p99Ms / b1.p99Ms).toFixed(1)}×, decisions/s ${(c1.perSecond / b1.perSecond).toFixed(3)}×`);
