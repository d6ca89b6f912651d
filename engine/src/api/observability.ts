/**
 * Operating endpoints: `GET /metrics` (Prometheus text; an admin token or GANTRY_METRICS_TOKEN)
 * and `GET /health/ready` (readiness: database, queue, and the embedded worker's devices; no auth,
 * for probes). `GET /health` (liveness) stays in app.ts. GANTRY_METRICS_LISTEN serves the same
 * on a separate address without auth (observe/metrics-server.ts).
 */
import { timingSafeEqual } from 'node:crypto';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError, forbidden, unauthorized } from '../core/errors';
import { renderMetrics, setClusterState, type ClusterSnapshot } from '../observe/metrics';
import { readiness, type ReadinessReport } from '../observe/readiness';
import { clusterWorkers, queueDepths } from '../store/cluster';
import { liveInstances } from '../store/deployments';
import { ping, webhookOutboxCounts } from '../store/metrics';
import { findActiveToken } from '../store/tokens';
import type { ApiContext } from './context';
import { workerWire } from './cluster';

const GIB = 1024 ** 3;
const POINTER = '/headers/authorization';

/** Reads the cluster's state for the gauges (one query per table). */
export async function clusterSnapshot(ctx: Pick<ApiContext, 'db' | 'workerStaleSeconds'>): Promise<ClusterSnapshot> {
  const [workers, instances, queues, outbox] = await Promise.all([
    clusterWorkers(ctx.db, ctx.workerStaleSeconds, ctx.workerStaleSeconds),
    liveInstances(ctx.db),
    queueDepths(ctx.db),
    webhookOutboxCounts(ctx.db),
  ]);
  const alive = workers.filter((w) => w.alive);
  const gpus = alive.flatMap((w) =>
    workerWire(w, instances).gpus.map((g) => ({
      worker: w.name,
      device: g.index,
      sku: g.sku,
      usedBytes: Math.round((g.memory_in_use_gb ?? 0) * GIB),
      totalBytes: g.memory_gb === null ? null : Math.round(g.memory_gb * GIB),
    })),
  );
  return {
    queues,
    instances: instances.map((i) => ({ state: i.state, hardware: i.hardware, deployment: i.deployment })),
    gpus,
    workers: { alive: alive.length, stale: workers.length - alive.length },
    webhookOutbox: outbox,
  };
}

function sameSecret(a: string, b: string): boolean {
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** The metrics token, or an admin API token. */
async function authorizeScrape(ctx: ApiContext, req: FastifyRequest): Promise<void> {
  const m = /^(?:Bearer|Token)\s+(.+)$/i.exec(req.headers.authorization ?? '');
  if (!m) throw unauthorized('GET /metrics needs `Authorization: Bearer <token>`: GANTRY_METRICS_TOKEN or an admin API token.');
  const secret = m[1].trim();
  if (ctx.metricsToken && sameSecret(secret, ctx.metricsToken)) return;
  const token = await ctx.tokens.through(secret, () => findActiveToken(ctx.db, secret));
  if (!token) throw new ApiError(401, 'Unauthenticated', 'The token is neither GANTRY_METRICS_TOKEN nor a valid API token.', [{ pointer: POINTER, detail: 'is not a valid token' }]);
  if (token.scope !== 'admin') throw forbidden(`GET /metrics needs an admin token or GANTRY_METRICS_TOKEN; this token's scope is "${token.scope}".`, [{ pointer: POINTER, detail: `scope "${token.scope}" may not read metrics` }]);
}

/** Database and queue, plus whatever the process adds (its worker's devices). */
export function readinessOf(ctx: ApiContext, extra: Record<string, () => Promise<string | void>> = {}): () => Promise<ReadinessReport> {
  return () =>
    readiness({
      database: async () => {
        await ping(ctx.db);
      },
      queue: () => ctx.dispatcher.ping(),
      ...extra,
    });
}

export function observabilityRoutes(app: FastifyInstance, ctx: ApiContext): void {
  const ready = ctx.readiness ?? readinessOf(ctx);

  app.get('/metrics', async (req, reply) => {
    await authorizeScrape(ctx, req);
    const m = await renderMetrics(async () => setClusterState(await clusterSnapshot(ctx)));
    return reply.type(m.contentType).send(m.body);
  });

  app.get('/health/ready', async (_req, reply) => {
    const report = await ready();
    if (report.status === 'ready') return report;
    const failed = Object.entries(report.checks).filter(([, c]) => !c.ok);
    return reply
      .code(503)
      .type('application/problem+json')
      .send({ type: 'about:blank', title: 'Not ready', status: 503, detail: failed.map(([n, c]) => `${n}: ${c.detail}`).join('; '), checks: report.checks });
  });
}
