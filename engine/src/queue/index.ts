/**
 * BullMQ wiring. The predictions table is the source of truth; a job only carries a prediction id
 * (its job id too, so enqueueing is idempotent) and the queue is a hint that can be rebuilt from
 * Postgres (the reconciler enqueues every waiting prediction that no live worker holds).
 *
 * Two routings:
 * - `hardware` (one process, or `gantry worker`s that each place on their own devices): one queue
 *   per hardware SKU, consumed by every worker that has it.
 * - `key` (a fleet): one queue per version (or version served by a deployment), consumed by the
 *   instances the controller placed for it, each taking only as many jobs as it has free slots. A
 *   job is therefore never held by a busy worker while another worker's instance has room.
 *
 * BullMQ runs on the same Postgres by default (a direct connection), or on Redis when REDIS_URL is
 * set; `?cluster=true` on the URL makes it a Redis Cluster (a seed node; the rest is discovered).
 * On Redis every queue's keys carry a hash tag of its own name (`{run-cpu}:run-cpu:…`), so each
 * queue lives in one cluster slot (BullMQ's scripts need that) while different queues spread.
 */
import { Cluster, type ClusterOptions, type RedisOptions } from 'ioredis';
import { Queue, Worker, type Job, createPostgresBackend, withBackend } from 'bullmq';

export type Routing = 'hardware' | 'key';

export interface QueueConnection {
  /** A direct Postgres connection (BullMQ on Postgres uses LISTEN and advisory locks). */
  databaseUrl: string;
  redisUrl?: string;
  routing?: Routing;
}

export interface RunJob {
  id: string;
}

/** What decides a prediction's queue. */
export interface Routable {
  id: string;
  hardware: string;
  version: string;
  deployment: string | null;
}

/** What instances are shared by: a version, or a version served by a deployment. */
export const instanceKey = (p: { version: string; deployment: string | null }): string => (p.deployment ? `${p.version}@${p.deployment}` : p.version);

export const queueName = (hardware: string) => `run-${hardware}`;
/** The queue of an instance key (`@` and `/` are escaped; BullMQ refuses `:` in names). */
export const keyQueueName = (key: string) => `run-${encodeURIComponent(key)}`;

/** A queue operation must not hang a request while the queue's server is away. */
const ENQUEUE_TIMEOUT_MS = 3000;

type AnyQueue = {
  add(name: string, data: RunJob, opts: object): Promise<unknown>;
  addBulk(jobs: Array<{ name: string; data: RunJob; opts: object }>): Promise<unknown>;
  close(): Promise<void>;
};
export type Consumer = { close(force?: boolean): Promise<void>; on(event: string, fn: (...args: unknown[]) => void): unknown };

interface RedisTarget {
  cluster: boolean;
  options: RedisOptions;
}

/** Reads REDIS_URL: `redis://[:password@]host:port[/db][?cluster=true]` (`rediss://` for TLS). */
export function parseRedisUrl(url: string): RedisTarget {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`REDIS_URL: expected redis:// or rediss://, got ${u.protocol}`);
  const cluster = u.searchParams.get('cluster') === 'true';
  return {
    cluster,
    options: {
      host: u.hostname,
      port: Number(u.port || 6379),
      username: u.username ? decodeURIComponent(u.username) : undefined,
      password: u.password ? decodeURIComponent(u.password) : undefined,
      db: !cluster && u.pathname.length > 1 ? Number(u.pathname.slice(1)) : undefined,
      ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    },
  };
}

function withTimeout<T>(work: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what}: no answer from the queue within ${ms} ms`)), ms);
  });
  return Promise.race([work, timeout]).finally(() => clearTimeout(timer));
}

export class Dispatcher {
  readonly routing: Routing;
  private readonly queues = new Map<string, AnyQueue>();
  private readonly pg?: ReturnType<typeof withBackend<ReturnType<typeof createPostgresBackend>, unknown>>;
  private readonly redis?: RedisTarget;
  /** Cluster clients handed to BullMQ (it does not close clients it was given). */
  private readonly clusterClients = new Set<Cluster>();

  constructor(private readonly conn: QueueConnection) {
    this.routing = conn.routing ?? 'hardware';
    if (conn.redisUrl) this.redis = parseRedisUrl(conn.redisUrl);
    else this.pg = withBackend(createPostgresBackend) as never;
  }

  /** The queue a prediction goes to under this dispatcher's routing. */
  queueOf(p: Pick<Routable, 'hardware' | 'version' | 'deployment'>): string {
    return this.routing === 'key' ? keyQueueName(instanceKey(p)) : queueName(p.hardware);
  }

  /**
   * Connection settings for one BullMQ object. Producers fail fast while the server is away
   * (the row is stored; the reconciler enqueues later); consumers queue commands and reconnect.
   */
  private connection(name: string, producer: boolean): { opts: { connection: never; prefix?: string }; client?: Cluster } {
    if (!this.redis) return { opts: { connection: { connectionString: this.conn.databaseUrl, migrate: true, max: producer ? 8 : 3 } as never } };
    const base: RedisOptions = { ...this.redis.options, maxRetriesPerRequest: null, enableOfflineQueue: !producer };
    const prefix = `{${name}}`;
    if (!this.redis.cluster) return { opts: { connection: base as never, prefix } };
    const { host, port, ...redisOptions } = base;
    const options: ClusterOptions = { redisOptions, enableOfflineQueue: !producer, maxRedirections: 32 };
    const client = new Cluster([{ host, port }], options);
    client.on('error', () => undefined);
    this.clusterClients.add(client);
    return { opts: { connection: client as never, prefix }, client };
  }

  private queue(name: string): AnyQueue {
    let q = this.queues.get(name);
    if (!q) {
      const { opts } = this.connection(name, true);
      q = (this.pg ? new this.pg.Queue(name, opts) : new Queue(name, opts)) as unknown as AnyQueue;
      (q as unknown as { on(e: string, f: () => void): void }).on('error', () => undefined);
      this.queues.set(name, q);
    }
    return q;
  }

  private static jobOpts(id: string) {
    return { jobId: id, removeOnComplete: true, removeOnFail: true, attempts: 1 };
  }

  /** Enqueues a prediction; idempotent per prediction id (a job with that id is not added twice). */
  async enqueue(p: Routable): Promise<void> {
    await withTimeout(this.queue(this.queueOf(p)).add('run', { id: p.id }, Dispatcher.jobOpts(p.id)), ENQUEUE_TIMEOUT_MS, `enqueue ${p.id}`);
  }

  /** Enqueues many (the reconciler), one round trip per queue; idempotent like `enqueue`. */
  async enqueueMany(ps: readonly Routable[]): Promise<void> {
    const byQueue = new Map<string, Routable[]>();
    for (const p of ps) {
      const name = this.queueOf(p);
      byQueue.set(name, [...(byQueue.get(name) ?? []), p]);
    }
    for (const [name, list] of byQueue) {
      const jobs = list.map((p) => ({ name: 'run', data: { id: p.id }, opts: Dispatcher.jobOpts(p.id) }));
      await withTimeout(this.queue(name).addBulk(jobs), ENQUEUE_TIMEOUT_MS * 2, `enqueue ${jobs.length} jobs`);
    }
  }

  /**
   * Consumes one queue, at most `concurrency` jobs at a time. A job whose worker died is handed
   * to another consumer after its lock lapses (10 s) and the stalled check runs (every 5 s); the
   * prediction row decides whether it may still run.
   */
  consume(name: string, concurrency: number, process: (job: RunJob) => Promise<void>): Consumer {
    const processor = async (job: Job<RunJob>) => process(job.data);
    const { opts: connection, client } = this.connection(name, false);
    const opts = { ...connection, concurrency, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 2 };
    const worker = (this.pg
      ? new this.pg.Worker(name, processor as never, opts)
      : new Worker(name, processor, opts as never)) as unknown as Consumer;
    worker.on('error', () => undefined);
    return {
      on: (event, fn) => worker.on(event, fn),
      close: async (force) => {
        await worker.close(force);
        if (client) {
          client.disconnect();
          this.clusterClients.delete(client);
        }
      },
    };
  }

  /** A round trip to the queue's backend (readiness): counts the waiting jobs of one queue. */
  async ping(): Promise<string> {
    const q = this.queue('cpu') as unknown as { getJobCounts(...types: string[]): Promise<Record<string, number>> };
    const counts = await q.getJobCounts('waiting');
    return `${this.conn.redisUrl ? 'redis' : 'postgres'}: ${counts.waiting ?? 0} job(s) waiting on cpu`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close().catch(() => undefined)));
    this.queues.clear();
    for (const c of this.clusterClients) c.disconnect();
    this.clusterClients.clear();
  }
}
