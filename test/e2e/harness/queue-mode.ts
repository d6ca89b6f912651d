/**
 * n8n in queue mode for the e2e tests: a main process and `n8n worker` processes share a
 * Postgres database (queue mode cannot run on SQLite) and Bull queues on the machine's Redis.
 * Each run gets a fresh database and a Bull key prefix of its own, so parallel runs on one Redis
 * never see each other's jobs; both are removed afterwards.
 */
import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import { createDatabase, dropDatabase } from '../../helpers/engine';
import type { Runtime } from './n8n';

export interface QueueMode {
  /** n8n's own database (not the engine's). */
  databaseUrl: string;
  redis: { host: string; port: number; db: number };
  /** QUEUE_BULL_PREFIX: every Bull key of this run starts with `<prefix>:`. */
  prefix: string;
}

/** The queue n8n 1.x and 2.x put executions on (worker pools, an enterprise feature, add others). */
const JOBS_QUEUE = 'jobs';

export async function createQueueMode(): Promise<QueueMode> {
  const redis = new URL(process.env.GANTRY_E2E_REDIS_URL ?? 'redis://127.0.0.1:6379/0');
  return {
    databaseUrl: await createDatabase(),
    redis: { host: redis.hostname, port: Number(redis.port || 6379), db: Number(redis.pathname.slice(1) || 0) },
    prefix: `gantry-e2e-${randomBytes(6).toString('hex')}`,
  };
}

/** The environment that puts an n8n process (main, worker or CLI) into this queue mode. */
export function queueModeEnv(queue: QueueMode): Record<string, string> {
  const db = new URL(queue.databaseUrl);
  return {
    EXECUTIONS_MODE: 'queue',
    DB_TYPE: 'postgresdb',
    DB_POSTGRESDB_HOST: db.hostname,
    DB_POSTGRESDB_PORT: db.port || '5432',
    DB_POSTGRESDB_DATABASE: db.pathname.slice(1),
    DB_POSTGRESDB_USER: decodeURIComponent(db.username) || 'postgres',
    DB_POSTGRESDB_PASSWORD: decodeURIComponent(db.password),
    QUEUE_BULL_REDIS_HOST: queue.redis.host,
    QUEUE_BULL_REDIS_PORT: String(queue.redis.port),
    QUEUE_BULL_REDIS_DB: String(queue.redis.db),
    QUEUE_BULL_PREFIX: queue.prefix,
  };
}

interface RedisClient {
  get(key: string): Promise<string | null>;
  keys(pattern: string): Promise<string[]>;
  del(...keys: string[]): Promise<number>;
  quit(): Promise<unknown>;
}

/** A client on the queue's Redis: the ioredis that n8n's Bull itself uses, from the provisioned n8n. */
async function withRedis<T>(runtime: Runtime, queue: QueueMode, use: (redis: RedisClient) => Promise<T>): Promise<T> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const Redis = require(join(runtime.n8nDir, 'node_modules', 'ioredis')) as new (options: object) => RedisClient;
  const redis = new Redis({ ...queue.redis, maxRetriesPerRequest: 1 });
  try {
    return await use(redis);
  } finally {
    await redis.quit();
  }
}

/** How many jobs were ever added to the run's execution queue (Bull numbers them from `<prefix>:jobs:id`). */
export async function jobsEnqueued(runtime: Runtime, queue: QueueMode): Promise<number> {
  return await withRedis(runtime, queue, async (redis) => Number((await redis.get(`${queue.prefix}:${JOBS_QUEUE}:id`)) ?? 0));
}

/** Drops n8n's database and deletes the run's Bull keys (call after every n8n process has stopped). */
export async function removeQueueMode(runtime: Runtime, queue: QueueMode): Promise<void> {
  await dropDatabase(queue.databaseUrl);
  await withRedis(runtime, queue, async (redis) => {
    const keys = await redis.keys(`${queue.prefix}:*`);
    if (keys.length > 0) await redis.del(...keys);
  });
}
