/** `gantry worker`: a worker process on its own, sharing only Postgres (and BullMQ) with the rest. */
import type { Config } from '../config';
import { openDatabase, type Engine, type Log } from '../server';
import { Dispatcher } from '../queue';
import { Worker } from './worker';

export async function runWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry worker needs DATABASE_URL (the same database as the API)');
  const { db, url } = await openDatabase(config, log);
  const dispatcher = new Dispatcher({ databaseUrl: url, redisUrl: config.redisUrl });
  const worker = new Worker({
    db,
    databaseUrl: url,
    dispatcher,
    prices: config.prices,
    name: config.workerName,
    hardware: ['cpu'],
    cpuSlots: config.cpuSlots,
    idleWindowMs: config.idleWindowMs,
    log,
  });
  await worker.start();
  log(`worker ${worker.name} started`);
  return {
    url: '',
    async stop() {
      await worker.stop();
      await dispatcher.close();
      await db.close();
    },
  };
}
