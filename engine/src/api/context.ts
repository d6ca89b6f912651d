/** What route modules need from the running engine. */
import type { Db } from '../store/db';
import type { Dispatcher } from '../queue';
import type { PriceTable } from '../core/hardware';
import type { PredictionWaiter } from './waiter';
import type { Lifecycle } from '../lifecycle';
import type { TtlCache } from '../core/ttl-cache';
import type { TokenRow } from '../store/tokens';
import type { VersionRow } from '../store/catalog';
import type { FileStore } from '../files';
import type { AdmissionLimits } from './admission';
import type { ReadinessReport } from '../observe/readiness';

export interface ApiContext {
  db: Db;
  dispatcher: Dispatcher;
  waiter: PredictionWaiter;
  publicUrl: string;
  prices: PriceTable;
  /** Seconds after which a worker without heartbeat counts as gone. */
  workerStaleSeconds: number;
  /** Valid tokens seen recently (a revoke clears it; other processes see a revoke within its TTL). */
  tokens: TtlCache<string, TokenRow>;
  /** Models' latest versions and versions by id, briefly (a new version shows within the TTL). */
  versions: TtlCache<string, VersionRow>;
  /**
   * The in-process worker, when `serve` embeds one. Offering it a new prediction skips the queue
   * when a warm instance has a free slot; the row is already stored, so nothing is lost either way.
   */
  localWorker?: { offer(row: { id: string; version: string; deployment: string | null; hardware: string }): boolean };
  /** Terminal transitions (with their webhooks) go through this. */
  lifecycle: Lifecycle;
  files: FileStore;
  /** Queue limits for creates (backpressure); absent: no engine-wide limits. */
  admission?: AdmissionLimits;
  /** How long an Idempotency-Key is remembered (seconds; default 24 h). */
  idempotencyTtlSeconds?: number;
  /** A token that may scrape GET /metrics besides admin API tokens (GANTRY_METRICS_TOKEN). */
  metricsToken?: string;
  /** Readiness of this process (database, queue, its worker's devices); default: database and queue. */
  readiness?: () => Promise<ReadinessReport>;
}
