/**
 * What every worker process opens before its worker starts (`gantry worker`, `serve --role
 * worker`): the storage, a migrated database, the run-state pool (asynchronous commit, a direct
 * connection), the queue, the webhook dispatcher (rows are enqueued here and delivered by the
 * API's and controllers' senders), a listener that drops the cached subscriptions when another
 * process changes them, and the options both kinds of worker take.
 */
import { loadInventory } from '../scheduler';
import type { Config } from '../config';
import { openDatabase, type Log } from '../open-database';
import { Dispatcher, type Routing } from '../queue';
import { Db } from '../store/db';
import { Listener } from '../store/listen';
import { CACHE_CHANNEL } from '../store/invalidation';
import { Lifecycle } from '../lifecycle';
import { FileStore } from '../files';
import { openStorage } from '../storage';
import { startWebhooks } from '../webhooks/runtime';
import type { WorkerBasics } from './worker';

export interface WorkerProcess {
  /** What both `Worker` and `FleetWorker` are built from. */
  common: WorkerBasics & { lifecycle: Lifecycle; files: FileStore; dataDir: string };
  close(): Promise<void>;
}

export async function openWorkerProcess(config: Config, log: Log, opts: { routing: Routing; queryTimeoutMs?: number }): Promise<WorkerProcess> {
  const storage = await openStorage(config.storage, config.dataDir);
  log(`storage: ${storage.description}`);
  const { db: migrated, url } = await openDatabase(config, log, 1);
  await migrated.close();
  // Run-state updates commit asynchronously (see Db), on a direct connection: a killed process loses nothing.
  const db = new Db(url, 8, true, { queryTimeoutMs: opts.queryTimeoutMs });
  const dispatcher = new Dispatcher({ databaseUrl: url, redisUrl: config.redisUrl, routing: opts.routing });
  // URLs in webhook bodies and file URLs need the API's public address: GANTRY_PUBLIC_URL. Files
  // and weights go through the storage (GANTRY_STORAGE_URL): a bucket lets a worker run on a host of its own.
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: false, log });
  const cache = new Listener(url, [CACHE_CHANNEL]);
  cache.on(CACHE_CHANNEL, (what: string) => what === 'subscriptions' && webhooks.dispatcher.invalidate());
  cache.on('reconnected', () => webhooks.dispatcher.invalidate());
  await cache.start();
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => publicUrl, onError: (e) => log(`webhooks: ${e.message}`) });
  const files = new FileStore(db, { storage, publicUrl: () => publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds });
  return {
    common: {
      db,
      databaseUrl: url,
      dispatcher,
      prices: config.prices,
      name: config.workerName,
      gpus: (await loadInventory({ declaredGpus: config.gpus, cpuSlots: config.cpuSlots })).gpus,
      cpuSlots: config.cpuSlots,
      log,
      lifecycle,
      files,
      dataDir: config.dataDir,
      artifactCache: config.artifactCache,
    },
    async close() {
      await cache.close();
      await webhooks.stop();
      await dispatcher.close();
      await db.close();
      await storage.close();
    },
  };
}
