/**
 * BullMQ wiring. The predictions table is the source of truth; a job only carries a prediction id
 * and is routed by hardware: one queue per hardware SKU, consumed by the workers that have it.
 * BullMQ runs on the same Postgres by default, or on Redis when REDIS_URL is set.
 */
import { Queue, Worker, type Job, createPostgresBackend, withBackend } from 'bullmq';

export interface QueueConnection {
  databaseUrl: string;
  redisUrl?: string;
}

export interface RunJob {
  id: string;
}

export const queueName = (hardware: string) => `run-${hardware}`;

type AnyQueue = { add(name: string, data: RunJob, opts: object): Promise<unknown>; close(): Promise<void> };
type AnyWorker = { close(force?: boolean): Promise<void>; on(event: string, fn: (...args: unknown[]) => void): unknown };

function redisConnection(url: string) {
  const u = new URL(url);
  return {
    host: u.hostname,
    port: Number(u.port || 6379),
    password: u.password || undefined,
    db: u.pathname.length > 1 ? Number(u.pathname.slice(1)) : 0,
    maxRetriesPerRequest: null,
  };
}

export class Dispatcher {
  private readonly queues = new Map<string, AnyQueue>();
  private readonly pg?: ReturnType<typeof withBackend<ReturnType<typeof createPostgresBackend>, unknown>>;

  constructor(private readonly conn: QueueConnection) {
    if (!conn.redisUrl) this.pg = withBackend(createPostgresBackend) as never;
  }

  private connection(): never {
    return (this.conn.redisUrl
      ? redisConnection(this.conn.redisUrl)
      : { connectionString: this.conn.databaseUrl, migrate: true, max: 8 }) as never;
  }

  private queue(hardware: string): AnyQueue {
    let q = this.queues.get(hardware);
    if (!q) {
      const opts = { connection: this.connection() };
      q = (this.pg ? new this.pg.Queue(queueName(hardware), opts) : new Queue(queueName(hardware), opts)) as unknown as AnyQueue;
      this.queues.set(hardware, q);
    }
    return q;
  }

  /** Enqueues a prediction; idempotent per prediction id. */
  async enqueue(id: string, hardware: string): Promise<void> {
    await this.queue(hardware).add('run', { id }, { jobId: id, removeOnComplete: true, removeOnFail: true, attempts: 1 });
  }

  /**
   * Consumes the queue of one hardware SKU. A job whose worker died is handed to another after its
   * lock lapses (10 s) and the stalled check runs (every 5 s), so recovery after a crash takes
   * seconds; the prediction row decides whether it may still run.
   */
  consume(hardware: string, concurrency: number, process: (job: RunJob) => Promise<void>): AnyWorker {
    const processor = async (job: Job<RunJob>) => process(job.data);
    const opts = { connection: this.connection(), concurrency, lockDuration: 10_000, stalledInterval: 5_000, maxStalledCount: 2 };
    const worker = this.pg
      ? new this.pg.Worker(queueName(hardware), processor as never, opts)
      : new Worker(queueName(hardware), processor, opts as never);
    (worker as unknown as AnyWorker).on('error', () => undefined);
    return worker as unknown as AnyWorker;
  }

  /** A round trip to the queue's backend (readiness): counts the waiting jobs of one queue. */
  async ping(): Promise<string> {
    const q = this.queue('cpu') as unknown as { getJobCounts(...types: string[]): Promise<Record<string, number>> };
    const counts = await q.getJobCounts('waiting');
    return `${this.conn.redisUrl ? 'redis' : 'postgres'}: ${counts.waiting ?? 0} job(s) waiting on cpu`;
  }

  async close(): Promise<void> {
    await Promise.all([...this.queues.values()].map((q) => q.close()));
    this.queues.clear();
  }
}
