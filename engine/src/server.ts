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
import { countTokens, insertToken, setBootstrapToken, type TokenRow } from './store/tokens';
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
import { Teardown } from './teardown';
import { CheckRunner } from './checks/runner';
import { clusterSnapshot, readinessOf } from './api/observability';
import { setClusterState } from './observe/metrics';
import { startMetricsServer } from './observe/metrics-server';

export { openDatabase, type Engine, type Log, type OpenedDatabase } from './open-database';

/** The bootstrap admin token: GANTRY_API_TOKEN (rotated when it changes), or one generated on the first start. */
async function bootstrapToken(db: Db, config: Config, log: Log): Promise<void> {
  if (config.apiToken) {
    await setBootstrapToken(db, 'admin', 'admin (GANTRY_API_TOKEN)', config.apiToken);
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

/** GANTRY_METRICS_LISTEN: /metrics (with the cluster's gauges) and the probes on their own address. */
async function startMetricsListener(config: Config, ctx: ApiContext, log: Log) {
  if (!config.metricsListen) return undefined;
  const server = await startMetricsServer({
    ...config.metricsListen,
    refresh: async () => setClusterState(await clusterSnapshot(ctx)),
    ready: ctx.readiness!,
  });
  log(`metrics and probes on ${server.url}/metrics`);
  return server;
}

/**
 * Roles `all` and `api`: the HTTP API (and for `all`, the sweeper and an embedded worker). A start
 * that fails stops what it had started before the error is thrown.
 */
async function serveApi(config: Config, log: Log): Promise<Engine> {
  const teardown = new Teardown();
  try {
    return await startApi(config, log, teardown);
  } catch (err) {
    await teardown.run((e) => log(`while stopping after a failed start: ${e.message}`));
    throw err;
  }
}

async function startApi(config: Config, log: Log, teardown: Teardown): Promise<Engine> {
  const fleet = config.role === 'api';
  if (fleet && !config.databaseUrl) throw new Error('gantry serve --role api needs DATABASE_URL (the fleet\'s Postgres)');
  // First: a store that cannot be used is a configuration error, reported before anything starts.
  const storage = await openStorage(config.storage, config.dataDir);
  teardown.add(() => storage.close());
  log(`storage: ${storage.description}`);
  const { db, url: databaseUrl, embedded } = await openDatabase(config, log);
  if (embedded) teardown.add(() => embedded.stop());
  teardown.add(() => db.close());
  await bootstrapToken(db, config, log);
  await ensureBuiltins(db, log);

  // A fleet routes each prediction to its instances' queue; one process routes by hardware.
  const dispatcher = new Dispatcher({ databaseUrl, redisUrl: config.redisUrl, routing: fleet ? 'key' : 'hardware' });
  teardown.add(() => dispatcher.close());
  const listener = new Listener(databaseUrl, [PREDICTION_CHANNEL, CACHE_CHANNEL]);
  teardown.add(() => listener.close());
  await listener.start();
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: true, retryBaseMs: config.webhookRetryBaseMs, retryMaxMs: config.webhookRetryMaxMs, log });
  teardown.add(() => webhooks.stop());
  const lifecycle = new Lifecycle(db, {
    webhooks: webhooks.dispatcher,
    publicUrl: () => ctx.publicUrl,
    onError: (e) => log(`webhooks: ${e.message}`),
    onFinishing: (id) => ctx.waiter.finishingHere(id),
    onFinished: (id, row) => ctx.waiter.finishedHere(id, row),
  });
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
    priceOverrides: config.priceOverrides,
    workerStaleSeconds: WORKER_STALE_SECONDS,
    tokens,
    versions,
    lifecycle,
    files,
    admission: { maxQueue: config.maxQueue, maxQueuePerVersion: config.maxQueuePerVersion, retryAfterSeconds: config.queueRetryAfterSeconds },
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    metricsToken: config.metricsToken,
  };

  let worker: Worker | undefined;
  // Run-state updates go through their own pool with asynchronous commit (see Db), on a direct
  // connection; accepting a prediction (the API's insert) stays synchronous.
  const workerDb = !fleet && config.embeddedWorker ? new Db(databaseUrl, 8, true) : undefined;
  if (workerDb) {
    teardown.add(() => workerDb.close());
    const embeddedWorker = new Worker({
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
      artifactCache: config.artifactCache,
    });
    await embeddedWorker.start();
    teardown.add(() => embeddedWorker.stop());
    ctx.localWorker = worker = embeddedWorker;
  }
  if (!fleet) {
    // One process: it is also the controller (without a lease: nobody else sweeps).
    const sweeper = new Sweeper({ db, dispatcher, lifecycle, files, retentionSeconds: config.dataRetentionSeconds, declareLost: false, log });
    sweeper.start();
    teardown.add(() => sweeper.stop());
    const fileSweep = setInterval(() => void files.sweep().catch((e: Error) => log(`files: ${e.message}`)), fileSweepMs(config.fileTtlSeconds));
    fileSweep.unref();
    teardown.add(() => clearInterval(fileSweep));
  }
  // Model checks run where the API runs: they create their predictions through its create path
  // (several API replicas share the work: each check is held through a lease).
  const checkRunner = new CheckRunner(ctx, { log });
  ctx.checkRunner = checkRunner;
  teardown.add(() => checkRunner.stop());
  ctx.readiness = readinessOf(ctx, worker ? { worker: () => worker!.readiness() } : {});
  const metricsServer = await startMetricsListener(config, ctx, log);
  if (metricsServer) teardown.add(() => metricsServer.close());

  const app = buildApp(ctx, {
    bodyLimitBytes: config.bodyLimit,
    logger: config.log === 'debug',
    plugins: [(api, apiCtx) => catalogueRoutes(api, apiCtx, config.catalogueImport)],
  });
  // Stop accepting first, let running work finish (or leave it queued for the next start).
  teardown.add(() => app.close());
  await app.listen({ host: config.host, port: config.port });
  const address = app.server.address();
  const port = typeof address === 'object' && address ? address.port : config.port;
  if (!config.publicUrl) ctx.publicUrl = `http://${config.host}:${port}`;
  log(`gantry${fleet ? ' api' : ''} listening on ${ctx.publicUrl}`);

  checkRunner.start();

  return {
    url: ctx.publicUrl,
    stop: () => teardown.run((e) => log(`while stopping: ${e.message}`)),
  };
}
