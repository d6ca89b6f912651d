/**
 * `gantry worker`: a worker process on its own beside a `gantry serve` (role `all`), sharing only
 * Postgres (and BullMQ) with it, and placing instances on its own devices.
 */
import type { Config } from '../config';
import type { Engine, Log } from '../open-database';
import { Worker } from './worker';
import { openWorkerProcess } from './process';
import { readiness } from '../observe/readiness';
import { startMetricsServer } from '../observe/metrics-server';
import { ping } from '../store/metrics';

export async function runWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry worker needs DATABASE_URL (the same database as the API)');
  const proc = await openWorkerProcess(config, log, { routing: 'hardware' });
  const worker = new Worker({ ...proc.common, knobs: config.knobs });
  await worker.start();
  // A standalone worker has no API: its metrics (its own events) and probes need their own listener.
  const ready = () =>
    readiness({
      database: async () => void (await ping(proc.common.db)),
      queue: () => proc.common.dispatcher.ping(),
      worker: () => worker.readiness(),
    });
  const metricsServer = config.metricsListen ? await startMetricsServer({ ...config.metricsListen, ready }) : undefined;
  if (metricsServer) log(`metrics and probes on ${metricsServer.url}/metrics`);
  log(`worker ${worker.name} started`);
  return {
    url: '',
    async stop() {
      await metricsServer?.close();
      await worker.stop();
      await proc.close();
    },
  };
}
