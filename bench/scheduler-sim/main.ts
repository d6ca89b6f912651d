/**
 * Scheduler simulation: one trace, several policies, one table (or `--json`).
 *
 *   npx tsc -p bench/scheduler-sim/tsconfig.json && node bench/scheduler-sim/dist/bench/scheduler-sim/main.js \
 *     [--seed N] [--hours H] [--fleet roomy|tight] [--kind bursty|periodic] [--sweep] [--json]
 *     [--trace ARRIVALS.jsonl --models MODELS.jsonl] [--only name,name,…]
 */
import { binpack, getSku, parseDeclaredGpus, type AutoscalerKnobs, type Cluster, type WorkerState } from '../../engine/src/scheduler';
import { simulate, type Policy, type SimConfig, type SimResult } from './sim';
import { makeArrivals, makeModels, makePeriodicArrivals, type Arrival, type Model, type TraceConfig } from './trace';
import { loadArrivals, loadModels, TraceFileError } from './trace-file';

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const n = Number(process.argv[i + 1]);
  if (!Number.isFinite(n)) fail(`--${name} must be a number (got ${JSON.stringify(process.argv[i + 1])})`);
  return n;
}

function flag(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? (process.argv[i + 1] ?? fail(`--${name} needs a value`)) : fallback;
}

function fail(message: string): never {
  console.error(`scheduler-sim: ${message}`);
  process.exit(2);
}

const seed = arg('seed', 42);
const fleetName = flag('fleet', 'roomy');
const kind = flag('kind', 'bursty');
const sweep = process.argv.includes('--sweep');
const json = process.argv.includes('--json');
const traceFile = flag('trace', '');
const modelsFile = flag('models', '');
if (!['roomy', 'tight'].includes(fleetName)) fail(`--fleet must be roomy or tight (got ${JSON.stringify(fleetName)})`);
if (!['bursty', 'periodic'].includes(kind)) fail(`--kind must be bursty or periodic (got ${JSON.stringify(kind)})`);
if (Boolean(traceFile) !== Boolean(modelsFile)) fail('--trace and --models go together');

let models: Model[];
let arrivals: Arrival[];
let horizonS: number;
let describeTrace: string;
if (traceFile) {
  try {
    models = loadModels(modelsFile);
    arrivals = loadArrivals(traceFile, models);
  } catch (err) {
    if (err instanceof TraceFileError) fail(err.message);
    throw err;
  }
  horizonS = arrivals[arrivals.length - 1].t;
  describeTrace = `trace ${traceFile} (${models.length} models from ${modelsFile}), ${arrivals.length} predictions over ${(horizonS / 3600).toFixed(2)} h`;
} else {
  const hours = arg('hours', kind === 'periodic' ? 48 : 12);
  const trace: TraceConfig = { seed, models: 200, zipfS: 1.0, totalRatePerS: 1.0, horizonS: hours * 3600 };
  models = makeModels(trace);
  arrivals = kind === 'periodic' ? makePeriodicArrivals(trace, models) : makeArrivals(trace, models);
  horizonS = trace.horizonS;
  describeTrace =
    `${kind} trace: seed ${seed}, ${models.length} models (Zipf s=${trace.zipfS}), ${arrivals.length} predictions over ${hours} h, ` +
    (kind === 'periodic' ? '30 % cron-like models (every 5–120 min), the rest with a daily rate cycle' : 'MMPP bursts');
}
/** Per-worker cache budget, the same for every policy that has a cache: 500 GB of disk, 128 GB of host memory. */
const sim: SimConfig = { seed, horizonS, bootFailureRate: 0.02, tickMs: 1000, cache: { diskBytes: 500e9, memoryBytes: 128e9 } };

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

interface Summary {
  name: string;
  cold_start_rate: number;
  cold_start_wait_total_s: number;
  cold_start_wait_p99_s: number;
  queue_wait_p50_s: number;
  queue_wait_p99_s: number;
  gpu_hours: number;
  cost_per_1k: number;
  served: number;
  unserved: number;
}

function summarise(name: string, r: SimResult): Summary {
  const waits = [...r.waitsMs].sort((a, b) => a - b);
  const cold = [...r.coldWaitsMs].sort((a, b) => a - b);
  const round = (x: number, d: number) => Number(x.toFixed(d));
  return {
    name,
    cold_start_rate: round(r.served ? r.coldStarts / r.served : 0, 5),
    cold_start_wait_total_s: round(cold.reduce((a, b) => a + b, 0) / 1000, 1),
    cold_start_wait_p99_s: round(cold.length ? quantile(cold, 0.99) / 1000 : 0, 1),
    queue_wait_p50_s: round(quantile(waits, 0.5) / 1000, 2),
    queue_wait_p99_s: round(quantile(waits, 0.99) / 1000, 1),
    gpu_hours: round(r.gpuSeconds / 3600, 1),
    cost_per_1k: round(r.served ? (1000 * r.costUsd) / r.served : 0, 3),
    served: r.served,
    unserved: r.unserved + r.failedFast,
  };
}

function row(s: Summary): string {
  const cells = [
    s.name,
    `${(100 * s.cold_start_rate).toFixed(2)}%`,
    `${s.cold_start_wait_total_s.toFixed(0)}`,
    `${s.cold_start_wait_p99_s.toFixed(1)}`,
    `${s.queue_wait_p50_s.toFixed(2)}`,
    `${s.queue_wait_p99_s.toFixed(1)}`,
    `${s.gpu_hours.toFixed(1)}`,
    `$${s.cost_per_1k.toFixed(3)}`,
    `${s.served}`,
    `${s.unserved}`,
  ];
  return `| ${cells.join(' | ')} |`;
}

const gpusShared = sharedFleet().workers.reduce((n, w) => n + w.gpus.length, 0);

/** Baselines: a plain idle timer evicts least recently used first and never prewarms. */
const TIMER = { keepAlive: 'fixed', eviction: 'lru', prewarm: false } as const;
const auto = (knobs: Partial<AutoscalerKnobs>, cache = true): Policy => ({ kind: 'autoscaled', knobs, cache });
const policies: [string, Policy, () => Cluster][] = [
  ['always-on', { kind: 'always-on' }, () => dedicatedFleet(models)],
  ['fixed-60', auto({ ...TIMER, idleWindowMs: 60_000 }), sharedFleet],
  ['fixed-300', auto({ ...TIMER, idleWindowMs: 300_000 }), sharedFleet],
  ['fixed-900', auto({ ...TIMER, idleWindowMs: 900_000 }), sharedFleet],
  ['knative-30', auto({ ...TIMER, idleWindowMs: 30_000 }), sharedFleet],
  ['hybrid-histogram', { kind: 'hybrid' }, sharedFleet],
  ['ours', auto({}), sharedFleet],
  // Ablations: ours with one part switched off each.
  ['ours-no-locality', auto({ placement: { scorers: [{ scorer: binpack, weight: 1 }] } }), sharedFleet],
  ['ours-no-tiered-cache', auto({}, false), sharedFleet],
  ['ours-no-prewarm', auto({ prewarm: false }), sharedFleet],
  // Prewarm from the idle-time histogram alone (matters only past 1.5 days of history).
  ['ours-no-daily-profile', { kind: 'autoscaled', knobs: {}, cache: true, dailyProfile: false }, sharedFleet],
  ['ours-no-adaptive-keep-alive', auto({ keepAlive: 'fixed' }), sharedFleet],
];
if (sweep) {
  for (const penalty of [60, 120, 600, 1200, 2400]) policies.push([`ours-penalty-${penalty}`, auto({ coldStartPenaltyMs: penalty * 1000 }), sharedFleet]);
  for (const idle of [120, 180, 450, 600]) policies.push([`fixed-${idle}`, auto({ ...TIMER, idleWindowMs: idle * 1000 }), sharedFleet]);
}

const only = flag('only', '');
if (only) {
  const names = only.split(',');
  const unknown = names.filter((n) => !policies.some(([name]) => name === n));
  if (unknown.length) fail(`--only: unknown policies ${unknown.join(', ')} (known: ${policies.map(([n]) => n).join(', ')}; the ours-penalty-* and extra fixed-* ones need --sweep)`);
  policies.splice(0, policies.length, ...policies.filter(([name]) => names.includes(name)));
}

const results: Summary[] = [];
if (!json) {
  console.log(`${describeTrace}; boot = artifact fetch (1–40 GB per model, memory 8 / disk 2 / remote 0.25 GB/s) + setup; boot failure ${100 * sim.bootFailureRate}%; ${fleetName} shared fleet ${gpusShared} GPUs\n`);
  console.log('| policy | cold-start rate | cold wait total (s) | cold wait p99 (s) | queue wait p50 (s) | queue wait p99 (s) | GPU-hours | cost / 1k | served | unserved |');
  console.log('|---|---|---|---|---|---|---|---|---|---|');
}
for (const [name, policy, fleet] of policies) {
  const t0 = Date.now();
  const r = simulate(models, arrivals, fleet(), policy, sim);
  const s = summarise(name, r);
  results.push(s);
  if (!json) console.log(row(s));
  const c = r.coldBy;
  console.error(`  ${name}: ${((Date.now() - t0) / 1000).toFixed(1)} s wall; boots ${r.boots}, evictions ${r.evictions}, prewarms ${r.prewarms} (${r.prewarmsUsed} served); cold by cause: first boot ${c.first}, from zero ${c.fromZero}, scale-up ${c.scaleUp}`);
}
if (json) console.log(JSON.stringify({ policies: results }, null, 2));
