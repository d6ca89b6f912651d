/**
 * `gantry serve --role controller`: the lease, and while it holds it the sweeps, the autoscaler
 * and cluster-wide placement (controller.ts). Also a webhook sender (any number may run; the
 * outbox's row leases keep them from sending one attempt twice) and `/health` on GANTRY_PORT.
 */
import type { Config } from '../config';
import { openDatabase, type Engine, type Log } from '../open-database';
import { Dispatcher } from '../queue';
import { Lifecycle } from '../lifecycle';
import { openStorage } from '../storage';
import { startWebhooks } from '../webhooks/runtime';
import { Listener } from '../store/listen';
import { CACHE_CHANNEL } from '../store/invalidation';
import { startHealthServer } from '../health';
import { Controller } from './controller';

export async function runController(config: Config, log: Log): Promise<Engine> {
  if (!config.databaseUrl) throw new Error('gantry serve --role controller needs DATABASE_URL (the fleet\'s Postgres)');
  const storage = await openStorage(config.storage, config.dataDir);
  // The controller's reads and writes go to the database directly (its lease and fence need a session).
  const { db: pooled, url } = await openDatabase({ ...config, databaseUrl: config.directDatabaseUrl ?? config.databaseUrl, directDatabaseUrl: undefined }, log, 6);
  const db = pooled;
  const dispatcher = new Dispatcher({ databaseUrl: url, redisUrl: config.redisUrl, routing: 'key' });
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: true, retryBaseMs: config.webhookRetryBaseMs, retryMaxMs: config.webhookRetryMaxMs, log });
  // Subscriptions changed elsewhere: the final webhooks this controller enqueues use the new list.
  const listener = new Listener(url, [CACHE_CHANNEL]);
  listener.on(CACHE_CHANNEL, (what: string) => what === 'subscriptions' && webhooks.dispatcher.invalidate());
  listener.on('reconnected', () => webhooks.dispatcher.invalidate());
  await listener.start();
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => publicUrl, onError: (e) => log(`webhooks: ${e.message}`) });
  const controller = new Controller({
    db,
    url,
    dispatcher,
    lifecycle,
    fileOptions: { storage, publicUrl: () => publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds },
    retentionSeconds: config.dataRetentionSeconds,
    fileTtlSeconds: config.fileTtlSeconds,
    knobs: config.knobs,
    leaseSeconds: config.leaseSeconds,
    log,
  });
  const health = await startHealthServer(config.host, config.port, () => ({ role: 'controller', ...controller.status }));
  controller.start();
  log(`gantry controller ${controller.lease.holder} listening on http://${config.host}:${health.port} (health)`);
  return {
    url: `http://${config.host}:${health.port}`,
    async stop() {
      await controller.stop();
      await health.close();
      await listener.close();
      await webhooks.stop();
      await dispatcher.close();
      await storage.close();
      await db.close();
    },
  };
}
