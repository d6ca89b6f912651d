/**
 * The one place that talks to the Postgres driver. Everything else receives a `Db` and speaks SQL
 * through `query`, or runs a few statements atomically through `tx`.
 */
import { Pool, type PoolClient, type PoolConfig, type QueryResultRow } from 'pg';

export interface Queryable {
  /** `name` makes it a prepared statement (parsed and planned once per connection): hot paths only. */
  query<T extends QueryResultRow = QueryResultRow>(sql: string, params?: unknown[], name?: string): Promise<T[]>;
}

export interface DbOptions {
  /**
   * False when `url` is a transaction-mode pooler (PgBouncer): statement names are then ignored,
   * since the next transaction may run on a server connection that never prepared them.
   */
  prepared?: boolean;
  /** A direct connection to the same database, for LISTEN (defaults to `url`). */
  directUrl?: string;
  /** Client-side limit on one query: a host cut off from the database gets an error, not a hang. */
  queryTimeoutMs?: number;
  /** Server-side: a session left idle inside a transaction (its process paused) is ended. */
  idleInTransactionMs?: number;
}

export class Db implements Queryable {
  readonly pool: Pool;
  /** Where a LISTEN connection for this database goes (never through a transaction pooler). */
  readonly directUrl: string;
  private readonly prepared: boolean;

  /**
   * `asyncCommit` turns off synchronous_commit for this pool's sessions: commits return before
   * the WAL reaches disk. A killed process (engine or Postgres) loses nothing; only an OS crash
   * or power loss can lose the last fraction of a second of such commits. The engine uses it
   * for run-state updates (a lost one is recovered as "interrupted"), never to accept work.
   */
  constructor(readonly url: string, max = 10, asyncCommit = false, opts: DbOptions = {}) {
    const settings = [
      ...(asyncCommit ? ['-c synchronous_commit=off'] : []),
      ...(opts.idleInTransactionMs ? [`-c idle_in_transaction_session_timeout=${opts.idleInTransactionMs}`] : []),
    ];
    const config: PoolConfig = {
      connectionString: url,
      max,
      ...(settings.length ? { options: settings.join(' ') } : {}),
      ...(opts.queryTimeoutMs ? { query_timeout: opts.queryTimeoutMs, connectionTimeoutMillis: opts.queryTimeoutMs, keepAlive: true } : {}),
    };
    this.pool = new Pool(config);
    this.prepared = opts.prepared ?? true;
    this.directUrl = opts.directUrl ?? url;
    // An idle client that loses its connection must not crash the process; the pool replaces it.
    this.pool.on('error', () => undefined);
  }

  private statement(sql: string, params: unknown[], name?: string) {
    return name && this.prepared ? { name, text: sql, values: params } : { text: sql, values: params };
  }

  async query<T extends QueryResultRow = QueryResultRow>(sql: string, params: unknown[] = [], name?: string): Promise<T[]> {
    const result = await this.pool.query<T>(this.statement(sql, params, name));
    return result.rows;
  }

  /** Runs `work` inside one transaction; rolls back when it throws. */
  async tx<T>(work: (q: Queryable) => Promise<T>): Promise<T> {
    return this.transaction(async (client) => {
      const q: Queryable = {
        query: async <R extends QueryResultRow>(sql: string, params: unknown[] = [], name?: string) =>
          (await client.query<R>(this.statement(sql, params, name))).rows,
      };
      return work(q);
    });
  }

  /** One transaction on one client; `begin` runs first inside it (e.g. a fencing check). */
  protected async transaction<T>(work: (client: PoolClient) => Promise<T>, begin?: (client: PoolClient) => Promise<void>): Promise<T> {
    const client: PoolClient = await this.pool.connect();
    let broken = false;
    // The server may end the session while we hold it (idle in a transaction, a shutdown): that
    // must fail this transaction, not crash the process with an unhandled 'error' event.
    const onError = () => (broken = true);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      if (begin) await begin(client);
      const value = await work(client);
      await client.query('COMMIT');
      return value;
    } catch (err) {
      await client.query('ROLLBACK').catch(() => (broken = true));
      throw err;
    } finally {
      // A client whose connection failed mid-transaction is dropped, not handed out again.
      client.off('error', onError);
      client.release(broken || undefined);
    }
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
