/**
 * Prometheus metrics (prom-client), one registry per process.
 *
 * Two kinds:
 * - Events counted by the process that saw them: predictions created (API) and finished (whoever
 *   finished them: worker, cancel, sweeper), their queue/setup/predict times, cost, webhook
 *   attempts. In a fleet each process exposes its own; sum them in PromQL.
 * - The cluster's state read from Postgres at scrape time by processes that serve the API: queue
 *   depth, instances by state, GPU memory in use per device, workers, the webhook outbox. A
 *   standalone worker leaves these out, so a sum over processes counts them once.
 *
 * Names follow Prometheus conventions: `_total` counters, seconds, bytes, USD in `_usd_total`.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { PredictionRow } from '../core/prediction';

export const registry = new Registry();
collectDefaultMetrics({ register: registry, prefix: 'gantry_' });

const registers = [registry];
const TIME_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];

const created = new Counter({
  name: 'gantry_predictions_created_total',
  help: 'Predictions and trainings accepted by this process, by kind, model and deployment ("" for none).',
  labelNames: ['kind', 'model', 'deployment'],
  registers,
});
const completed = new Counter({
  name: 'gantry_predictions_completed_total',
  help: 'Predictions and trainings this process moved to a terminal status, by kind, model, deployment and status.',
  labelNames: ['kind', 'model', 'deployment', 'status'],
  registers,
});
const queueSeconds = new Histogram({
  name: 'gantry_prediction_queue_seconds',
  help: 'Time from create to start (metrics.queue_time) of finished predictions that started.',
  labelNames: ['kind', 'model'],
  buckets: TIME_BUCKETS,
  registers,
});
const setupSeconds = new Histogram({
  name: 'gantry_prediction_setup_seconds',
  help: 'Cold-start setup time (metrics.setup_time) of finished predictions that waited for an instance to boot.',
  labelNames: ['kind', 'model'],
  buckets: TIME_BUCKETS,
  registers,
});
const predictSeconds = new Histogram({
  name: 'gantry_prediction_predict_seconds',
  help: 'Run time (metrics.predict_time) of finished predictions that started.',
  labelNames: ['kind', 'model', 'status'],
  buckets: TIME_BUCKETS,
  registers,
});
const costUsd = new Counter({
  name: 'gantry_cost_usd_total',
  help: 'Cost charged (USD, as in the usage records) by kind (prediction, training, setup, idle), model and deployment.',
  labelNames: ['kind', 'model', 'deployment'],
  registers,
});
const webhookAttempts = new Counter({
  name: 'gantry_webhook_deliveries_total',
  help: 'Webhook delivery attempts by event and outcome: delivered, retry (failed, will retry), dead (failed for good), lost (lease lost).',
  labelNames: ['event', 'outcome'],
  registers,
});

const artifactLookups = new Counter({
  name: 'gantry_artifact_cache_lookups_total',
  help: "Version artifacts (weights) a worker of this process needed, by outcome (memory, disk: cache hits; miss: fetched from the store) and purpose (boot, prefetch).",
  labelNames: ['outcome', 'purpose'],
  registers,
});
const artifactFetchedBytes = new Counter({
  name: 'gantry_artifact_fetched_bytes_total',
  help: 'Bytes of version artifacts read from the store into a worker cache of this process, by purpose (boot, prefetch).',
  labelNames: ['purpose'],
  registers,
});
const artifactFetchSeconds = new Histogram({
  name: 'gantry_artifact_fetch_seconds',
  help: 'The fetch phase of cold starts (metrics.fetch_time) by where the artifacts were: memory, disk or miss.',
  labelNames: ['outcome'],
  buckets: TIME_BUCKETS,
  registers,
});

/** A worker of this process got a version's artifacts for a boot or a prefetch. */
export function observeArtifactFetch(f: { outcome: 'memory' | 'disk' | 'miss'; purpose: 'boot' | 'prefetch'; fetchedBytes: number; seconds?: number }): void {
  artifactLookups.inc({ outcome: f.outcome, purpose: f.purpose });
  if (f.fetchedBytes > 0) artifactFetchedBytes.inc({ purpose: f.purpose }, f.fetchedBytes);
  if (f.seconds !== undefined) artifactFetchSeconds.observe({ outcome: f.outcome }, f.seconds);
}

const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

type Created = Pick<PredictionRow, 'kind' | 'model' | 'deployment'>;

export function observeCreated(row: Created): void {
  created.inc({ kind: row.kind, model: row.model, deployment: row.deployment ?? '' });
}

/** A row this process just moved to a terminal status (see Lifecycle.finish). */
export function observeFinished(row: PredictionRow): void {
  const base = { kind: row.kind, model: row.model };
  completed.inc({ ...base, deployment: row.deployment ?? '', status: row.status });
  const m = (row.metrics ?? {}) as Record<string, unknown>;
  if (row.started_at) {
    const queued = num(m.queue_time);
    const ran = num(m.predict_time);
    if (queued !== undefined) queueSeconds.observe(base, queued);
    if (ran !== undefined) predictSeconds.observe({ ...base, status: row.status }, ran);
  }
  const setup = num(m.setup_time);
  if (setup !== undefined) setupSeconds.observe(base, setup);
  const usd = num((row.cost as { total_usd?: unknown } | null)?.total_usd);
  if (usd) costUsd.inc({ kind: row.kind, model: row.model, deployment: row.deployment ?? '' }, usd);
}

/** A usage record of instance time (a deployment's setup or idle seconds). */
export function observeUsage(u: { kind: string; model: string; deployment: string | null; totalUsd: number }): void {
  if (u.totalUsd > 0) costUsd.inc({ kind: u.kind, model: u.model, deployment: u.deployment ?? '' }, u.totalUsd);
}

export function observeWebhookAttempt(a: { event: string; outcome: string }): void {
  webhookAttempts.inc({ event: a.event, outcome: a.outcome });
}

// ---------------------------------------------------------------------------------------------
// Cluster state (set from a snapshot just before each scrape)

/** What the cluster looks like now, as read from Postgres. */
export interface ClusterSnapshot {
  queues: Array<{ hardware: string; deployment: string | null; queued: number; running: number }>;
  instances: Array<{ state: string; hardware: string; deployment: string | null }>;
  gpus: Array<{ worker: string; device: number; sku: string | null; usedBytes: number; totalBytes: number | null }>;
  workers: { alive: number; stale: number };
  webhookOutbox: Array<{ status: string; count: number }>;
}

const clusterGauges = {
  queued: new Gauge({ name: 'gantry_queue_depth', help: 'Queued predictions and trainings (not started) by hardware and deployment ("" for on-demand).', labelNames: ['hardware', 'deployment'], registers }),
  running: new Gauge({ name: 'gantry_predictions_running', help: 'Running predictions and trainings by hardware and deployment.', labelNames: ['hardware', 'deployment'], registers }),
  instances: new Gauge({ name: 'gantry_instances', help: 'Live model instances by state (booting, ready, busy, ...), hardware and deployment.', labelNames: ['state', 'hardware', 'deployment'], registers }),
  gpuUsed: new Gauge({ name: 'gantry_gpu_memory_used_bytes', help: 'GPU memory in use per device: what the worker reports, else the claims of the instances on it.', labelNames: ['worker', 'device', 'sku'], registers }),
  gpuTotal: new Gauge({ name: 'gantry_gpu_memory_total_bytes', help: 'GPU memory per device.', labelNames: ['worker', 'device', 'sku'], registers }),
  workers: new Gauge({ name: 'gantry_workers', help: 'Workers by liveness (alive: fresh heartbeat).', labelNames: ['alive'], registers }),
  outbox: new Gauge({ name: 'gantry_webhook_outbox', help: 'Webhook deliveries in the outbox by status (pending: waiting or being retried; dead: given up).', labelNames: ['status'], registers }),
};

function sumInto(g: Gauge, rows: Array<{ labels: Record<string, string>; value: number }>): void {
  const sums = new Map<string, { labels: Record<string, string>; value: number }>();
  for (const r of rows) {
    const key = JSON.stringify(r.labels);
    const s = sums.get(key);
    if (s) s.value += r.value;
    else sums.set(key, { labels: r.labels, value: r.value });
  }
  for (const s of sums.values()) g.set(s.labels, s.value);
}

/** Replaces every cluster gauge with the snapshot's values (label sets that vanished go). */
export function setClusterState(s: ClusterSnapshot): void {
  for (const g of Object.values(clusterGauges)) g.reset();
  sumInto(clusterGauges.queued, s.queues.map((q) => ({ labels: { hardware: q.hardware, deployment: q.deployment ?? '' }, value: q.queued })));
  sumInto(clusterGauges.running, s.queues.map((q) => ({ labels: { hardware: q.hardware, deployment: q.deployment ?? '' }, value: q.running })));
  sumInto(clusterGauges.instances, s.instances.map((i) => ({ labels: { state: i.state, hardware: i.hardware, deployment: i.deployment ?? '' }, value: 1 })));
  for (const d of s.gpus) {
    const labels = { worker: d.worker, device: String(d.device), sku: d.sku ?? '' };
    clusterGauges.gpuUsed.set(labels, d.usedBytes);
    if (d.totalBytes !== null) clusterGauges.gpuTotal.set(labels, d.totalBytes);
  }
  clusterGauges.workers.set({ alive: 'true' }, s.workers.alive);
  clusterGauges.workers.set({ alive: 'false' }, s.workers.stale);
  for (const status of ['pending', 'dead']) clusterGauges.outbox.set({ status }, s.webhookOutbox.find((o) => o.status === status)?.count ?? 0);
}

/** The exposition text (after `refresh`, which updates the cluster gauges, when given). */
export async function renderMetrics(refresh?: () => Promise<void>): Promise<{ contentType: string; body: string }> {
  if (refresh) await refresh();
  return { contentType: registry.contentType, body: await registry.metrics() };
}
