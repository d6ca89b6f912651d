/**
 * `gantry serve [--role all|api|controller|worker]`.
 *
 * - `all` (the default): Postgres (embedded or DATABASE_URL), migrations, BullMQ, the HTTP API,
 *   the sweeper (deadlines, recovery, retention, the reconciler) and, by default, one in-process
 *   worker: one process does everything, with the fast paths that skip the queue.
 * - `api`: the HTTP API only. Stateless: any number behind a load balancer; every endpoint,
 *   waits, streams and webhooks work whichever replica a client reaches (changes arrive by
 *   NOTIFY, caches are invalidated across processes).
 * - `controller`: elected by a Postgres lease with a fencing epoch (controller/); the active one
 *   runs the sweeps, the autoscaler and cluster-wide placement.
 * - `worker`: owns this host's devices and runs what the controller placed on it (worker/).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInventory } from './scheduler';
import type { Config } from './config';
import { Db } from './store/db';
import { openDatabase, type Engine, type Log } from './open-database';
import { Listener } from './store/listen';
import { PREDICTION_CHANNEL, getPrediction } from './store/predictions';
import { CACHE_CHANNEL, announceInvalidation, isCacheName } from './store/invalidation';
import { WORKER_STALE_SECONDS } from './store/workers';
import { countTokens, insertToken, type TokenRow } from './store/tokens';
import type { VersionRow } from './store/catalog';
import { Dispatcher } from './queue';
import { buildApp } from './api/app';
import { catalogueRoutes } from './api/catalogue';
import { PredictionWaiter } from './api/waiter';
import type { ApiContext } from './api/context';
import { Worker } from './worker/worker';
import { ensureBuiltins } from './builtins';
import { newToken } from './core/ids';
import { isTerminal } from './core/prediction';
import { Lifecycle } from './lifecycle';
import { InvalidatingCache } from './core/ttl-cache';
import { FileStore, fileSweepMs } from './files';
import { openStorage } from './storage';
import { startWebhooks } from './webhooks/runtime';
import { Sweeper } from './controller/sweeper';
import { runController } from './controller/main';
import { runFleetWorker } from './worker/fleet-main';

export { openDatabase, type Engine, type Log, type OpenedDatabase } from './open-database';

async function bootstrapToken(db: Db, config: Config, log: Log): Promise<void> {
  if (config.apiToken) {
    await insertToken(db, 'admin', 'admin (GANTRY_API_TOKEN)', config.apiToken);
    return;
  }
  if ((await countTokens(db)) > 0) return;
  const secret = newToken();
  await insertToken(db, 'admin', 'admin (generated)', secret);
  await mkdir(config.dataDir, { recursive: true });
  const file = join(config.dataDir, 'admin-token');
  await writeFile(file, `${secret}\n`, { mode: 0o600 });
  log(`generated an admin API token (shown once; also in ${file}):\n\n    ${secret}\n`);
}

export async function serve(config: Config, log: Log): Promise<Engine> {
  if (config.role === 'controller') return runController(config, log);
  if (config.role === 'worker') return runFleetWorker(config, log);
  return serveApi(config, log);
}

/** Roles `all` and `api`: the HTTP API (and for `all`, the sweeper and an embedded worker). */
async function serveApi(config: Config, log: Log): Promise<Engine> {
  const fleet = config.role === 'api';
  if (fleet && !config.databaseUrl) throw new Error('gantry serve --role api needs DATABASE_URL (the fleet\'s Postgres)');
  // First: a store that cannot be used is a configuration error, reported before anything starts.
  const storage = await openStorage(config.storage, config.dataDir);
  log(`storage: ${storage.description}`);
  const { db, url: databaseUrl, embedded } = await openDatabase(config, log);
  await bootstrapToken(db, config, log);
  await ensureBuiltins(db, log);

  // A fleet routes each prediction to its instances' queue; one process routes by hardware.
  const dispatcher = new Dispatcher({ databaseUrl, redisUrl: config.redisUrl, routing: fleet ? 'key' : 'hardware' });
  const listener = new Listener(databaseUrl, [PREDICTION_CHANNEL, CACHE_CHANNEL]);
  await listener.start();
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: true, retryBaseMs: config.webhookRetryBaseMs, retryMaxMs: config.webhookRetryMaxMs, log });
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => ctx.publicUrl, onError: (e) => log(`webhooks: ${e.message}`), onFinished: (row) => ctx.waiter.deliver(row) });
  const fileOptions = { storage, publicUrl: () => ctx.publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds };
  const files = new FileStore(db, fileOptions);
  // Caches shared in spirit across API replicas: a change here clears everyone's copy (NOTIFY).
  const announce = (what: 'tokens' | 'versions') => () => void announceInvalidation(db, what).catch((e: Error) => log(`cache: ${e.message}`));
  const tokens = new InvalidatingCache<string, TokenRow>(5000, announce('tokens'));
  const versions = new InvalidatingCache<string, VersionRow>(1000, announce('versions'));
  const clearAll = () => (tokens.clearLocal(), versions.clearLocal(), webhooks.dispatcher.invalidate());
  listener.on(CACHE_CHANNEL, (what: string) => {
    if (!isCacheName(what)) return;
    if (what === 'tokens') tokens.clearLocal();
    else if (what === 'versions') versions.clearLocal();
    else webhooks.dispatcher.invalidate();
  });
  listener.on('reconnected', clearAll);
  const ctx: ApiContext = {
    db,
    dispatcher,
    waiter: new PredictionWaiter(listener, async (id) => isTerminal((await getPrediction(db, id))?.status ?? 'starting')),
    publicUrl,
    prices: config.prices,
    workerStaleSeconds: WORKER_STALE_SECONDS,
    tokens,
    versions,
    lifecycle,
    files,
  };

  let worker: Worker | undefined;
  let sweeper: Sweeper | undefined;
  let fileSweep: NodeJS.Timeout | undefined;
  // Run-state updates go through their own pool with asynchronous commit (see Db), on a direct
  // connection; accepting a prediction (the API's insert) stays synchronous.
  const workerDb = !fleet && config.embeddedWorker ? new Db(databaseUrl, 8, true) : undefined;
  if (workerDb) {
    worker = new Worker({
      db: workerDb,
      databaseUrl,
      dispatcher,
      prices: config.prices,
      name: config.workerName ?? `embedded@${config.dataDir}`,
      gpus: (await loadInventory({ declaredGpus: config.gpus, cpuSlots: config.cpuSlots })).gpus,
      cpuSlots: config.cpuSlots,
      knobs: config.knobs,
      log,
      lifecycle: lifecycle.using(workerDb),
      files,
      dataDir: config.dataDir,
    });
    await worker.start();
    ctx.localWorker = worker;
  }
  if (!fleet) {
    // One process: it is also the controller (without a lease: nobody else sweeps).
    sweeper = new Sweeper({ db, dispatcher, lifecycle, files, retentionSeconds: config.dataRetentionSeconds, declareLost: false, log });
    sweeper.start();
    fileSweep = setInterval(() => void files.sweep().catch((e: Error) => log(`files: ${e.message}`)), fileSweepMs(config.fileTtlSeconds));
    fileSweep.unref();
  }

  const app = buildApp(ctx, {
    bodyLimitBytes: config.bodyLimit,
    logger: config.log === 'debug',
    plugins: [(api, apiCtx) => catalogueRoutes(api, apiCtx, config.catalogueImport)],
  });
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (!config.publicUrl) ctx.publicUrl = `http://${config.host}:${port}`;
  log(`gantry${fleet ? ' api' : ''} listening on ${ctx.publicUrl}`);

  return {
    url: ctx.publicUrl,
    async stop() {
      // Stop accepting, let running work finish (or leave it queued for the next start).
      await app.close();
      sweeper?.stop();
      await worker?.stop();
      await workerDb?.close();
      if (fileSweep) clearInterval(fileSweep);
      await storage.close();
      await webhooks.stop();
      await dispatcher.close();
      await listener.close();
      await db.close();
      await embedded?.stop();
    },
  };
}
