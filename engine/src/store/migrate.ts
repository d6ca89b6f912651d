/**
 * Numbered, append-only migrations. Each lives in `migrations/NNNN_name.ts` and exports `sql`.
 * They run in order inside one transaction each, under an advisory lock so that several
 * processes starting together (API + workers) do not race.
 */
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Db } from './db';

const LOCK_KEY = 774_211_001;

export async function migrate(db: Db): Promise<string[]> {
  const dir = join(__dirname, 'migrations');
  const names = readdirSync(dir)
    .filter((f) => /^\d{4}_.*\.js$/.test(f) || (/^\d{4}_.*\.ts$/.test(f) && !f.endsWith('.d.ts')))
    .map((f) => f.replace(/\.(js|ts)$/, ''))
    .filter((n, i, all) => all.indexOf(n) === i)
    .sort();
  const client = await db.pool.connect();
  const applied: string[] = [];
  try {
    await client.query('SELECT pg_advisory_lock($1)', [LOCK_KEY]);
    await client.query(
      'CREATE TABLE IF NOT EXISTS gantry_migrations (name text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())',
    );
    const done = new Set((await client.query<{ name: string }>('SELECT name FROM gantry_migrations')).rows.map((r) => r.name));
    for (const name of names) {
      if (done.has(name)) continue;
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const { sql } = require(join(dir, name)) as { sql: string };
      await client.query('BEGIN');
      try {
        await client.query(sql);
        await client.query('INSERT INTO gantry_migrations (name) VALUES ($1)', [name]);
        await client.query('COMMIT');
      } catch (err) {
        await client.query('ROLLBACK');
        throw new Error(`migration ${name} failed: ${(err as Error).message}`);
      }
      applied.push(name);
    }
  } finally {
    await client.query('SELECT pg_advisory_unlock($1)', [LOCK_KEY]).catch(() => undefined);
    client.release();
  }
  return applied;
}
