/**
 * The controller's writes: every statement (or transaction) runs in a transaction that first calls
 * `gantry_fence(lease, epoch)` (migration 0011), so the database itself refuses the writes of a
 * controller whose epoch is no longer current, however long it was paused and whatever it thinks.
 * A refusal is an error with SQLSTATE GF001: counted here, and reported to `onFenced` so the
 * controller steps down.
 */
import type { PoolClient, QueryResultRow } from 'pg';
import { Db, type DbOptions, type Queryable } from './db';

export const FENCED_SQLSTATE = 'GF001';

export function isFenced(err: unknown): boolean {
  return (err as { code?: string } | null)?.code === FENCED_SQLSTATE;
}

export interface Fence {
  lease: string;
  /** The epoch this process believes it holds; undefined when it holds none (nothing is sent). */
  epoch(): number | undefined;
  /** The database refused a write: the lease is gone. */
  onFenced(err: Error): void;
}

/** Thrown without asking the database when this process does not think it holds the lease at all. */
export class NotLeaderError extends Error {
  readonly code = FENCED_SQLSTATE;
  constructor(lease: string) {
    super(`fenced: this process does not hold the ${lease} lease`);
  }
}

export class FencedDb extends Db {
  /** Writes the database refused (stale epoch or expired lease). */
  refused = 0;

  constructor(url: string, private readonly fence: Fence, max = 4, opts: DbOptions = {}) {
    super(url, max, false, opts);
  }

  private begin = async (client: PoolClient): Promise<void> => {
    const epoch = this.fence.epoch();
    if (epoch === undefined) throw new NotLeaderError(this.fence.lease);
    await client.query('SELECT gantry_fence($1, $2)', [this.fence.lease, epoch]);
  };

  private async fenced<T>(work: (client: PoolClient) => Promise<T>): Promise<T> {
    try {
      return await this.transaction(work, this.begin);
    } catch (err) {
      if (isFenced(err) && !(err instanceof NotLeaderError)) {
        this.refused++;
        this.fence.onFenced(err as Error);
      }
      throw err;
    }
  }

  override async query<T extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.fenced(async (client) => (await client.query<T>({ text: sql, values: params })).rows);
  }

  override async tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.fenced((client) =>
      work({ query: async <R extends QueryResultRow>(sql: string, params: unknown[] = []) => (await client.query<R>({ text: sql, values: params })).rows }),
    );
  }
}
