/** Opening the database every role shares: the embedded Postgres or DATABASE_URL, migrated. */
import type { Config } from './config';
import { Db } from './store/db';
import { migrate } from './store/migrate';
import { startEmbeddedPostgres, type EmbeddedHandle } from './store/embedded';

export interface Engine {
  url: string;
  stop(): Promise<void>;
}

export type Log = (msg: string) => void;

export interface OpenedDatabase {
  /** Ordinary queries: through the pooler when GANTRY_DIRECT_DATABASE_URL is set. */
  db: Db;
  /** The direct URL: LISTEN, leases, BullMQ on Postgres, asynchronous-commit sessions. */
  url: string;
  embedded?: EmbeddedHandle;
}

/**
 * Connects to Postgres (starting the embedded one when no DATABASE_URL is given) and migrates over
 * a direct connection (migrations hold an advisory lock, which a transaction pooler cannot keep).
 */
export async function openDatabase(config: Config, log: Log, max = 12): Promise<OpenedDatabase> {
  let direct = config.directDatabaseUrl ?? config.databaseUrl;
  let embedded: EmbeddedHandle | undefined;
  if (!direct) {
    embedded = await startEmbeddedPostgres(config.dataDir, config.pgPort, log);
    direct = embedded.url;
  }
  const pooled = config.directDatabaseUrl ? config.databaseUrl! : direct;
  const db = new Db(pooled, max, false, { prepared: pooled === direct, directUrl: direct });
  if (pooled === direct) await migrate(db);
  else {
    const migrator = new Db(direct, 1);
    try {
      await migrate(migrator);
    } finally {
      await migrator.close();
    }
  }
  return { db, url: direct, embedded };
}

