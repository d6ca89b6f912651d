/**
 * `gantry serve --role worker`: a fleet worker (fleet-worker.ts) on its own host: it owns the
 * host's devices (GANTRY_GPUS or nvidia-smi), runs what the controller places on it, reads and
 * writes files and weights through the storage, and answers `/health` on GANTRY_PORT. With
 * GANTRY_METRICS_LISTEN its own events (boots, artifact cache hits and misses) are on `/metrics`.
 */
import type { Config } from '../config';
import type { Engine, Log } from '../open-database';
import { startHealthServer } from '../health';
import { FleetWorker } from './fleet-worker';
import { openWorkerProcess } from './process';
import { readiness } from '../observe/readiness';
import { startMetricsServer } from '../observe/metrics-server';
import { ping } from '../store/metrics';

/** A query that gets no answer within this long fails (the host may be cut off). */
const QUERY_TIMEOUT_MS = 5000;

export async function runFleetWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry serve --role worker needs DATABASE_URL (the fleet\'s Postgres)');
  const proc = await openWorkerProcess(config, log, { routing: 'key', queryTimeoutMs: QUERY_TIMEOUT_MS });
  const worker = new FleetWorker(proc.common);
  await worker.start();
  const health = await startHealthServer(config.host, config.port, () => ({
    role: 'worker',
    worker: worker.id,
    name: worker.name,
    membership: worker.membership,
    instances: worker.instanceCount,
    running: worker.running,
  }));
  const ready = () =>
    readiness({
      database: async () => void (await ping(proc.common.db)),
      queue: () => proc.common.dispatcher.ping(),
    });
  const metricsServer = config.metricsListen ? await startMetricsServer({ ...config.metricsListen, ready }) : undefined;
  if (metricsServer) log(`metrics and probes on ${metricsServer.url}/metrics`);
  log(`gantry worker ${worker.name} (${worker.id}) listening on http://${config.host}:${health.port} (health)`);
  return {
    url: `http://${config.host}:${health.port}`,
    async stop() {
      await metricsServer?.close();
      await health.close();
      await worker.stop();
      await proc.close();
    },
  };
}
