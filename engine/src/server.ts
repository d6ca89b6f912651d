/**
 * `gantry serve`: Postgres (embedded or DATABASE_URL), migrations, BullMQ, the HTTP API and, by
 * default, one in-process worker. Also the sweeper that enforces deadlines and recovers work
 * after a crash, so that no accepted prediction is ever left behind, and removes old predictions'
 * data (GANTRY_DATA_RETENTION).
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadInventory } from './scheduler';
import type { Config } from './config';
import { Db } from './store/db';
import { migrate } from './store/migrate';
import { startEmbeddedPostgres, type EmbeddedHandle } from './store/embedded';
import { Listener } from './store/listen';
import { PREDICTION_CHANNEL, expiredQueued, expiredRunning, orphanedRunning, queuedPredictions, requestCancel, getPrediction, removeExpiredData } from './store/predictions';
import { countTokens, insertToken, setBootstrapToken } from './store/tokens';
import { Teardown } from './teardown';
import { Dispatcher } from './queue';
import { buildApp } from './api/app';
import { catalogueRoutes } from './api/catalogue';
import { PredictionWaiter } from './api/waiter';
import type { ApiContext } from './api/context';
import { Worker } from './worker/worker';
import { ensureBuiltins } from './builtins';
import { newToken } from './core/ids';
import { Lifecycle } from './lifecycle';
import { TtlCache } from './core/ttl-cache';
import { FileStore, fileSweepMs } from './files';
import { openStorage } from './storage';
import { startWebhooks } from './webhooks/runtime';
import { CheckRunner } from './checks/runner';
import { checkWithoutData } from './checks/retention';
import { removeExpiredCheckData } from './store/checks';
import { clusterSnapshot, readinessOf } from './api/observability';
import { setClusterState } from './observe/metrics';
import { startMetricsServer } from './observe/metrics-server';

const WORKER_STALE_SECONDS = 15;
/** Data retention works in batches of this many predictions, at most this many batches a sweep. */
const RETENTION_BATCH = 500;
const RETENTION_BATCHES_PER_SWEEP = 20;

export interface Engine {
  url: string;
  stop(): Promise<void>;
}

export type Log = (msg: string) => void;

/** Connects to Postgres (starting the embedded one when no DATABASE_URL is given) and migrates. */
export async function openDatabase(config: Config, log: Log): Promise<{ db: Db; url: string; embedded?: EmbeddedHandle }> {
  let url = config.databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!url) {
    embedded = await startEmbeddedPostgres(config.dataDir, config.pgPort, log);
    url = embedded.url;
  }
  const db = new Db(url, 12);
  try {
    await migrate(db);
  } catch (err) {
    await db.close().catch(() => undefined);
    await embedded?.stop();
    throw err;
  }
  return { db, url, embedded };
}

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

/**
 * Clears the data of predictions past the retention, a batch per statement so that a large backlog
 * never holds many row locks at once; what is left waits for the next sweep.
 */
async function removeOldData(db: Db, files: FileStore, retentionSeconds: number): Promise<void> {
  for (let i = 0; i < RETENTION_BATCHES_PER_SWEEP; i++) {
    const { removed, paths } = await removeExpiredData(db, retentionSeconds, RETENTION_BATCH);
    await files.deleteBytes(paths);
    if (removed < RETENTION_BATCH) return;
  }
}

/** Periodic recovery, deadline enforcement and data retention. Everything it does is idempotent. */
function startSweeper(db: Db, dispatcher: Dispatcher, log: Log, lifecycle: Lifecycle, files: FileStore, retentionSeconds: number | null): () => void {
  let running = false;
  const sweep = async () => {
    if (running) return;
    running = true;
    try {
      for (const id of await expiredQueued(db)) {
        const row = await getPrediction(db, id);
        if (row) await lifecycle.endWithoutRun(row, { status: 'aborted', error: 'the Cancel-After deadline passed before the prediction started' });
      }
      for (const id of await expiredRunning(db)) await requestCancel(db, id);
      for (const id of await orphanedRunning(db, WORKER_STALE_SECONDS)) {
        const row = await getPrediction(db, id);
        if (row) await lifecycle.endWithoutRun(row, { status: 'failed', error: 'interrupted: the worker running this prediction stopped responding' });
      }
      if (retentionSeconds !== null) {
        await removeOldData(db, files, retentionSeconds);
        await removeExpiredCheckData(db, retentionSeconds, checkWithoutData);
      }
    } catch (err) {
      log(`sweeper: ${(err as Error).message}`);
    } finally {
      running = false;
    }
  };
  const timer = setInterval(() => void sweep(), 1000);
  void (async () => {
    // After a crash, queued predictions may have lost their job (killed between insert and
    // enqueue): enqueueing is idempotent per prediction id, so re-enqueue them all.
    for (const p of await queuedPredictions(db)) await dispatcher.enqueue(p.id, p.hardware).catch(() => undefined);
  })().catch((err: Error) => log(`sweeper: re-enqueueing after start: ${err.message}`));
  return () => clearInterval(timer);
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

/** Starts everything; a start that fails stops what it had started before the error is thrown. */
export async function serve(config: Config, log: Log): Promise<Engine> {
  const teardown = new Teardown();
  try {
    return await start(config, log, teardown);
  } catch (err) {
    await teardown.run((e) => log(`while stopping after a failed start: ${e.message}`));
    throw err;
  }
}

async function start(config: Config, log: Log, teardown: Teardown): Promise<Engine> {
  // First: a store that cannot be used is a configuration error, reported before anything starts.
  const storage = await openStorage(config.storage, config.dataDir);
  teardown.add(() => storage.close());
  log(`storage: ${storage.description}`);
  const { db, url: databaseUrl, embedded } = await openDatabase(config, log);
  if (embedded) teardown.add(() => embedded.stop());
  teardown.add(() => db.close());
  await bootstrapToken(db, config, log);
  await ensureBuiltins(db, log);

  const dispatcher = new Dispatcher({ databaseUrl, redisUrl: config.redisUrl });
  teardown.add(() => dispatcher.close());
  const listener = new Listener(databaseUrl, [PREDICTION_CHANNEL]);
  teardown.add(() => listener.close());
  await listener.start();
  const publicUrl = config.publicUrl ?? `http://${config.host}:${config.port}`;
  const webhooks = await startWebhooks(db, { send: true, retryBaseMs: config.webhookRetryBaseMs, retryMaxMs: config.webhookRetryMaxMs, log });
  teardown.add(() => webhooks.stop());
  const lifecycle = new Lifecycle(db, { webhooks: webhooks.dispatcher, publicUrl: () => ctx.publicUrl, onError: (e) => log(`webhooks: ${e.message}`), onFinishing: (id) => ctx.waiter.finishingHere(id), onFinished: (id, row) => ctx.waiter.finishedHere(id, row) });
  const files = new FileStore(db, { storage, publicUrl: () => ctx.publicUrl, maxBytes: config.maxFileBytes, ttlSeconds: config.fileTtlSeconds });
  const fileSweep = setInterval(() => void files.sweep().catch((e: Error) => log(`files: ${e.message}`)), fileSweepMs(config.fileTtlSeconds));
  fileSweep.unref();
  teardown.add(() => clearInterval(fileSweep));
  const ctx: ApiContext = {
    db,
    dispatcher,
    waiter: new PredictionWaiter(listener),
    publicUrl,
    prices: config.prices,
    priceOverrides: config.priceOverrides,
    workerStaleSeconds: WORKER_STALE_SECONDS,
    tokens: new TtlCache(5000),
    versions: new TtlCache(1000),
    lifecycle,
    files,
    admission: { maxQueue: config.maxQueue, maxQueuePerVersion: config.maxQueuePerVersion, retryAfterSeconds: config.queueRetryAfterSeconds },
    idempotencyTtlSeconds: config.idempotencyTtlSeconds,
    metricsToken: config.metricsToken,
  };

  // Run-state updates go through their own pool with asynchronous commit (see Db); accepting a
  // prediction (the API's insert) stays synchronous.
  let worker: Worker | undefined;
  if (config.embeddedWorker) {
    const workerDb = new Db(databaseUrl, 8, true);
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
    });
    await embeddedWorker.start();
    teardown.add(() => embeddedWorker.stop());
    ctx.localWorker = worker = embeddedWorker;
  }
  teardown.add(startSweeper(db, dispatcher, log, lifecycle, files, config.dataRetentionSeconds));
  // Model checks run where the API runs: they create their predictions through its create path.
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
  log(`gantry listening on ${ctx.publicUrl}`);
  checkRunner.start();

  return {
    url: ctx.publicUrl,
    stop: () => teardown.run((e) => log(`while stopping: ${e.message}`)),
  };
}
