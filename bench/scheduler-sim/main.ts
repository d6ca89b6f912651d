/**
 * Scheduler simulation: one trace, several policies, one table.
 *
 *   npx tsc -p bench/scheduler-sim/tsconfig.json && node bench/scheduler-sim/dist/bench/scheduler-sim/main.js \
 *     [--seed N] [--hours H] [--fleet roomy|tight] [--sweep]
 */
import { getSku, parseDeclaredGpus, type Cluster, type WorkerState } from '../../engine/src/scheduler';
import { simulate, type Policy, type SimConfig, type SimResult } from './sim';
import { makeArrivals, makeModels, type Model, type TraceConfig } from './trace';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? process.argv[i + 1] : fallback;
}

const seed = arg('seed', 42);
const fleetName = flag('fleet', 'roomy');
const sweep = process.argv.includes('--sweep');
const hours = arg('hours', 12);
const trace: TraceConfig = { seed, models: 200, zipfS: 1.0, totalRatePerS: 1.0, horizonS: hours * 3600 };
const sim: SimConfig = { seed, horizonS: trace.horizonS, bootFailureRate: 0.02, tickMs: 1000 };

/** The shared fleet, declared the way an operator would (GANTRY_GPUS per worker). */
const TIGHT: [string, string][] = [
  ['t4-a', 'gpu-t4:8'],
  ['t4-b', 'gpu-t4:8'],
  ['l40s-a', 'gpu-l40s:8'],
  ['l40s-b', 'gpu-l40s:8'],
  ['a100-a', 'gpu-a100-large:8'],
  ['a100-b', 'gpu-a100-large:4'],
  ['h100-a', 'gpu-h100:8'],
  ['h100-b', 'gpu-h100:8'],
];
/** Twice the tight fleet: capacity rarely binds, so the keep-alive policy is what differs. */
const ROOMY: [string, string][] = [...TIGHT, ...TIGHT.map(([id, d]): [string, string] => [`${id}2`, d])];
const FLEET = fleetName === 'tight' ? TIGHT : ROOMY;

function sharedFleet(): Cluster {
  return { workers: FLEET.map(([id, declared]) => worker(id, declared)) };
}

/** Always-on needs a device set per model: one worker per model, sized to its SKU. */
function dedicatedFleet(models: Model[]): Cluster {
  return {
    workers: models.map((m) => {
      const sku = getSku(m.sku)!;
      return worker(`dedicated-${m.versionId}`, `${sku.gpu}:${sku.gpuCount}`);
    }),
  };
}

function worker(id: string, declared: string): WorkerState {
  return { id, alive: true, gpus: parseDeclaredGpus(declared), cpuSlots: 0 };
}

function quantile(sorted: number[], q: number): number {
  if (sorted.length === 0) return NaN;
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
}

function row(name: string, r: SimResult): string {
  const waits = [...r.waitsMs].sort((a, b) => a - b);
  const cells = [
    name,
    `${((100 * r.coldStarts) / r.served).toFixed(2)}%`,
    `${(quantile(waits, 0.5) / 1000).toFixed(2)}`,
    `${(quantile(waits, 0.99) / 1000).toFixed(1)}`,
    `${(r.gpuSeconds / 3600).toFixed(1)}`,
    `$${((1000 * r.costUsd) / r.served).toFixed(3)}`,
    `$${r.costUsd.toFixed(2)}`,
    `${r.served}`,
    `${r.boots}`,
    `${r.evictions}`,
    `${r.unserved + r.failedFast}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const models = makeModels(trace);
const arrivals = makeArrivals(trace, models);
const gpusShared = sharedFleet().workers.reduce((n, w) => n + w.gpus.length, 0);
const gpusDedicated = dedicatedFleet(models).workers.reduce((n, w) => n + w.gpus.length, 0);

const FIXED = { keepAlive: 'fixed', eviction: 'lru' } as const;
const policies: [string, Policy, Cluster][] = [
  [`(a) always on, 1 per model (${gpusDedicated} GPUs)`, { kind: 'always-on' }, dedicatedFleet(models)],
  // The fixed-window baselines evict least recently used first (what a plain idle timer does).
  ['(b) fixed idle 300 s', { kind: 'autoscaled', knobs: { ...FIXED, idleWindowMs: 300_000 } }, sharedFleet()],
  ['(b′) fixed idle 60 s', { kind: 'autoscaled', knobs: { ...FIXED, idleWindowMs: 60_000 } }, sharedFleet()],
  ['(b″) fixed idle 900 s', { kind: 'autoscaled', knobs: { ...FIXED, idleWindowMs: 900_000 } }, sharedFleet()],
  ['(c) ours, defaults', { kind: 'autoscaled', knobs: {} }, sharedFleet()],
  // Ablations: which half of ours does what.
  ['(c′) ours, LRU eviction', { kind: 'autoscaled', knobs: { eviction: 'lru' } }, sharedFleet()],
  ['(b‴) fixed idle 300 s + our eviction', { kind: 'autoscaled', knobs: { ...FIXED, idleWindowMs: 300_000, eviction: 'hazard' } }, sharedFleet()],
];
if (sweep) {
  for (const idle of [120, 180, 450, 600]) {
    policies.push([`(b) fixed idle ${idle} s`, { kind: 'autoscaled', knobs: { ...FIXED, idleWindowMs: idle * 1000 } }, sharedFleet()]);
  }
  for (const penalty of [0, 60, 120, 240, 480]) {
    policies.push([`(c) ours, penalty ${penalty} s`, { kind: 'autoscaled', knobs: { coldStartPenaltyMs: penalty * 1000 } }, sharedFleet()]);
  }
}

console.log(
  `trace: seed ${seed}, ${models.length} models (Zipf s=${trace.zipfS}), ${arrivals.length} predictions over ${hours} h, ` +
    `MMPP bursts, setup 5–300 s, boot failure ${100 * sim.bootFailureRate}%; ${fleetName} shared fleet ${gpusShared} GPUs (${FLEET.map((f) => f[1]).join(', ')})\n`,
);
console.log('| policy | cold-start rate | p50 wait (s) | p99 wait (s) | GPU-hours | cost / 1k predictions | total cost | served | boots | evictions | unserved |');
console.log('|---|---|---|---|---|---|---|---|---|---|---|');
for (const [name, policy, cluster] of policies) {
  const t0 = Date.now();
  const r = simulate(models, arrivals, cluster, policy, sim);
  console.log(row(name, r));
  const c = r.coldBy;
  console.error(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s wall; cold by cause: first boot ${c.first}, from zero ${c.fromZero}, scale-up ${c.scaleUp}`);
}
