/**
 * Leases: one row per name (`controller`), held by one process until it expires. Every takeover
 * increments the epoch; `gantry_fence` (migration 0011) refuses writes that carry an older one.
 * All times are the database's clock, so hosts' clocks never matter.
 */
import type { Db } from './db';

export interface LeaseRow {
  name: string;
  holder: string;
  epoch: number;
  acquired_at: Date;
  renewed_at: Date;
  expires_at: Date;
}

const ROW = `name, holder, epoch::int AS epoch, acquired_at, renewed_at, expires_at`;

/**
 * Takes the lease when nobody holds it or its holder let it expire; returns the new epoch, or
 * undefined when another holder's lease is still valid. The takeover waits at most `lockTimeoutMs`
 * for writes in flight under the old epoch (they hold the row's share lock) and then gives up for
 * now: a paused holder's open transaction is ended by the server's idle-in-transaction timeout.
 */
export async function acquireLease(db: Db, name: string, holder: string, seconds: number, lockTimeoutMs = 1000): Promise<number | undefined> {
  return db.tx(async (q) => {
    await q.query(`SELECT set_config('lock_timeout', $1, true)`, [`${lockTimeoutMs}ms`]);
    const inserted = await q.query<{ epoch: number }>(
      `INSERT INTO leases (name, holder, epoch, expires_at) VALUES ($1, $2, 1, clock_timestamp() + make_interval(secs => $3))
       ON CONFLICT (name) DO NOTHING RETURNING epoch::int AS epoch`,
      [name, holder, seconds],
    );
    if (inserted.length) return inserted[0].epoch;
    const taken = await q.query<{ epoch: number }>(
      `UPDATE leases SET holder = $2, epoch = epoch + 1, acquired_at = clock_timestamp(), renewed_at = clock_timestamp(),
         expires_at = clock_timestamp() + make_interval(secs => $3)
       WHERE name = $1 AND expires_at <= clock_timestamp() RETURNING epoch::int AS epoch`,
      [name, holder, seconds],
    );
    return taken[0]?.epoch;
  });
}

/**
 * Extends a lease held at `epoch`. Run it through the holder's FencedDb: a stale epoch is refused
 * by the fence (GF001) before this statement runs. Returns the new expiry.
 */
export async function renewLease(db: Db, name: string, epoch: number, seconds: number): Promise<Date | undefined> {
  const [row] = await db.query<{ expires_at: Date }>(
    `UPDATE leases SET renewed_at = clock_timestamp(), expires_at = clock_timestamp() + make_interval(secs => $3)
     WHERE name = $1 AND epoch = $2 RETURNING expires_at`,
    [name, epoch, seconds],
  );
  return row?.expires_at;
}

/** Gives the lease up at once (a clean shutdown), so a standby need not wait for it to expire. */
export async function releaseLease(db: Db, name: string, epoch: number): Promise<void> {
  await db.query(`UPDATE leases SET expires_at = clock_timestamp() WHERE name = $1 AND epoch = $2 AND expires_at > clock_timestamp()`, [name, epoch]);
}

export async function getLease(db: Db, name: string): Promise<LeaseRow | undefined> {
  const [row] = await db.query<LeaseRow>(`SELECT ${ROW} FROM leases WHERE name = $1`, [name]);
  return row;
}
