/** `gantry worker`: a worker process on its own, sharing only Postgres (and BullMQ) with the rest. */
import { loadInventory } from '../scheduler';
import type { Config } from '../config';
import { openDatabase, type Engine, type Log } from '../open-database';
import { Dispatcher } from '../queue';
import { Db } from '../store/db';
import { Worker } from './worker';
import { Lifecycle } from '../lifecycle';
import { FileStore } from '../files';
import { openStorage } from '../storage';
import { startWebhooks } from '../webhooks/runtime';

export async function runWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry worker needs DATABASE_URL (the same database as the API)');
  const storage = await openStorage(config.storage, config.dataDir);
  log(`storage: ${storage.description}`);
  const { db: migrated, url } = await openDatabase(config, log);
  await migrated.close();
  // Run-state updates commit asynchronously (see Db): a killed process loses nothing.
  const db = new Db(url, 8, true);
  const dispatcher = new Dispatcher({ databaseUrl: url, redisUrl: config.redisUrl });
  // Webhook rows are enqueued here and delivered by the API process's sender. URLs in bodies and
  // file URLs need the API's public address: GANTRY_PUBLIC_URL. Files and weights go through the
  // storage (GANTRY_STORAGE_URL): a bucket lets this worker run on a host of its own.
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: false, log });
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => publicUrl, onError: (e) => log(`webhooks: ${e.message}`) });
  const files = new FileStore(db, { storage, publicUrl: () => publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds });
  const worker = new Worker({
    db,
    databaseUrl: url,
    dispatcher,
    prices: config.prices,
    name: config.workerName,
    gpus: (await loadInventory({ declaredGpus: config.gpus, cpuSlots: config.cpuSlots })).gpus,
    cpuSlots: config.cpuSlots,
    knobs: config.knobs,
    log,
    lifecycle,
    files,
    dataDir: config.dataDir,
  });
  await worker.start();
  log(`worker ${worker.name} started`);
  return {
    url: '',
    async stop() {
      await worker.stop();
      await webhooks.stop();
      await dispatcher.close();
      await db.close();
      await storage.close();
    },
  };
}
