/**
 * Holds (or waits for) the controller lease. A standby tries to take it every second once it has
 * expired; the holder renews it every quarter of its length through the fenced database, so the
 * renewal itself is refused when the epoch is stale. Losing it (a refused write, or a renewal
 * that could not reach the database before the lease ran out) emits `lost`; taking it emits
 * `acquired` with the new epoch. No clock of this host is trusted: expiry is the database's.
 */
import { EventEmitter } from 'node:events';
import { hostname } from 'node:os';
import { randomBytes } from 'node:crypto';
import type { Db } from '../store/db';
import { FencedDb, type Fence } from '../store/fenced-db';
import { acquireLease, releaseLease, renewLease } from '../store/leases';

export const CONTROLLER_LEASE = 'controller';
const STANDBY_POLL_MS = 1000;

export interface LeaseKeeperOptions {
  /** Plain (unfenced) direct database, for taking the lease. */
  db: Db;
  /** Direct URL for the fenced pool. */
  url: string;
  seconds: number;
  log: (msg: string) => void;
  name?: string;
}

export class LeaseKeeper extends EventEmitter {
  readonly holder = `${hostname()}:${process.pid}:${randomBytes(3).toString('hex')}`;
  readonly name: string;
  /** The epoch held now; undefined while standing by. */
  epoch?: number;
  /** Every write of this process goes through here while it holds the lease. */
  readonly fenced: FencedDb;
  private timer?: NodeJS.Timeout;
  private stopped = false;
  private busy = false;
  /** Local monotonic deadline of the lease as last renewed (only to log a late renewal). */
  private renewedAt = 0;

  constructor(private readonly opts: LeaseKeeperOptions) {
    super();
    this.name = opts.name ?? CONTROLLER_LEASE;
    const fence: Fence = {
      lease: this.name,
      epoch: () => this.epoch,
      onFenced: (err) => this.lose(`a write was refused: ${err.message}`),
    };
    // A paused holder's open transaction must not block a takeover for long: the server ends it.
    this.fenced = new FencedDb(opts.url, fence, 4, { idleInTransactionMs: Math.max(2000, (opts.seconds * 1000) / 2), queryTimeoutMs: opts.seconds * 1000 });
  }

  get leader(): boolean {
    return this.epoch !== undefined;
  }

  start(): void {
    const loop = () => {
      if (this.stopped) return;
      void this.step().finally(() => {
        if (this.stopped) return;
        this.timer = setTimeout(loop, this.leader ? (this.opts.seconds * 1000) / 4 : STANDBY_POLL_MS);
        this.timer.unref();
      });
    };
    loop();
  }

  private async step(): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      if (this.epoch === undefined) {
        const epoch = await acquireLease(this.opts.db, this.name, this.holder, this.opts.seconds).catch(() => undefined);
        if (epoch !== undefined && !this.stopped) {
          this.epoch = epoch;
          this.renewedAt = Date.now();
          this.opts.log(`controller: took the lease (epoch ${epoch})`);
          this.emit('acquired', epoch);
        }
        return;
      }
      const epoch = this.epoch;
      try {
        const until = await renewLease(this.fenced, this.name, epoch, this.opts.seconds);
        if (until) this.renewedAt = Date.now();
        else this.lose('the lease row is gone');
      } catch (err) {
        // Refused (GF001) is handled by the fence; anything else: keep trying while it may still be valid.
        if (this.epoch === epoch && Date.now() - this.renewedAt > this.opts.seconds * 1000) this.lose(`could not renew: ${(err as Error).message}`);
      }
    } finally {
      this.busy = false;
    }
  }

  private lose(why: string): void {
    if (this.epoch === undefined) return;
    const epoch = this.epoch;
    this.epoch = undefined;
    this.opts.log(`controller: lost the lease (epoch ${epoch}): ${why}`);
    this.emit('lost', epoch);
  }

  /** Stops; a holder gives the lease up so a standby takes over at once. */
  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    const epoch = this.epoch;
    if (epoch !== undefined) {
      await releaseLease(this.fenced, this.name, epoch).catch(() => undefined);
      this.lose('shutting down');
    }
    await this.fenced.close();
  }
}
