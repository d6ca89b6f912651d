/**
 * The one place that talks to the Postgres driver. Everything else receives a `Db` and speaks SQL
 * through `query`, or runs a few statements atomically through `tx`.
 */
import { Pool, type PoolClient, type QueryResultRow } from 'pg';

export interface Queryable {
  /** `name` makes it a prepared statement (parsed and planned once per connection): hot paths only. */
  query<T extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
}

export class Db implements Queryable {
  readonly pool: Pool;

  /**
   * `asyncCommit` turns off synchronous_commit for this pool's sessions: commits return before
   * the WAL reaches disk. A killed process (engine or Postgres) loses nothing; only an OS crash
   * or power loss can lose the last fraction of a second of such commits. The engine uses it
   * for run-state updates (a lost one is recovered as "interrupted"), never to accept work.
   */
  constructor(readonly url: string, max = 10, asyncCommit = false) {
    this.pool = new Pool({ connectionString: url, max, ...(asyncCommit ? { options: '-c synchronous_commit=off' } : {}) });
    // An idle client that loses its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  async query<T extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = [], name?: string): Promise<T[]> {
    const result = await this.pool.query<T>(name ? { name, text: sql, values: params } : { text: sql, values: params });
    return result.rows;
  }

  /** Runs `work` inside one transaction; rolls back when it throws. */
  async tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const q: Queryable = {
        query: async <R extends QueryResultRow>(sql: string, params: unknown[] = [], name?: string) =>
          (await client.query<R>(name ? { name, text: sql, values: params } : { text: sql, values: params })).rows,
      };
      const value = await work(q);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw err;
    } finally {
      client.release();
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
