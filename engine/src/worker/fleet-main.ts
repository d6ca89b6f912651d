/**
 * `gantry serve --role worker`: a fleet worker (fleet-worker.ts) on its own host: it owns the
 * host's devices (GANTRY_GPUS or nvidia-smi), runs what the controller places on it, reads and
 * writes files and weights through the storage, and answers `/health` on GANTRY_PORT.
 */
import { loadInventory } from '../scheduler';
import type { Config } from '../config';
import { openDatabase, type Engine, type Log } from '../open-database';
import { Dispatcher } from '../queue';
import { Db } from '../store/db';
import { Listener } from '../store/listen';
import { CACHE_CHANNEL } from '../store/invalidation';
import { Lifecycle } from '../lifecycle';
import { FileStore } from '../files';
import { openStorage } from '../storage';
import { startWebhooks } from '../webhooks/runtime';
import { startHealthServer } from '../health';
import { FleetWorker } from './fleet-worker';

/** A query that gets no answer within this long fails (the host may be cut off). */
const QUERY_TIMEOUT_MS = 5000;

export async function runFleetWorker(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry serve --role worker needs DATABASE_URL (the fleet\'s Postgres)');
  const storage = await openStorage(config.storage, config.dataDir);
  log(`storage: ${storage.description}`);
  const { db: migrated, url } = await openDatabase(config, log, 1);
  await migrated.close();
  // Run-state updates commit asynchronously (see Db), on a direct connection: a killed process loses nothing.
  const db = new Db(url, 8, true, { queryTimeoutMs: QUERY_TIMEOUT_MS });
  const dispatcher = new Dispatcher({ databaseUrl: url, redisUrl: config.redisUrl, routing: 'key' });
  // Webhook rows are enqueued here and delivered by the API's and controllers' senders. URLs in
  // bodies need the API's public address: GANTRY_PUBLIC_URL.
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: false, log });
  const cache = new Listener(url, [CACHE_CHANNEL]);
  cache.on(CACHE_CHANNEL, (what: string) => what === 'subscriptions' && webhooks.dispatcher.invalidate());
  cache.on('reconnected', () => webhooks.dispatcher.invalidate());
  await cache.start();
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => publicUrl, onError: (e) => log(`webhooks: ${e.message}`) });
  const files = new FileStore(db, { storage, publicUrl: () => publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds });
  const worker = new FleetWorker({
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
  });
  await worker.start();
  const health = await startHealthServer(config.host, config.port, () => ({
    role: 'worker',
    worker: worker.id,
    name: worker.name,
    membership: worker.membership,
    instances: worker.instanceCount,
    running: worker.running,
  }));
  log(`gantry worker ${worker.name} (${worker.id}) listening on http://${config.host}:${health.port} (health)`);
  return {
    url: `http://${config.host}:${health.port}`,
    async stop() {
      await health.close();
      await worker.stop();
      await cache.close();
      await webhooks.stop();
      await dispatcher.close();
      await db.close();
      await storage.close();
    },
  };
}
