/**
 * `gantry worker`: a worker process on its own beside a `gantry serve` (role `all`), sharing only
 * Postgres (and BullMQ) with it, and placing instances on its own devices.
 */
import type { Config } from '../config';
import type { Engine, Log } from '../open-database';
import { Worker } from './worker';
import { openWorkerProcess } from './process';

export async function runWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry worker needs DATABASE_URL (the same database as the API)');
  const proc = await openWorkerProcess(config, log, { routing: 'hardware' });
  const worker = new Worker({ ...proc.common, knobs: config.knobs });
  await worker.start();
  log(`worker ${worker.name} started`);
  return {
    url: '',
    async stop() {
      await worker.stop();
      await proc.close();
    },
  };
}
