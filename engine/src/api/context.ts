/** What route modules need from the running engine. */
import type { Db } from '../store/db';
import type { Dispatcher } from '../queue';
import type { PriceTable } from '../core/hardware';
import type { PriceOverrides } from '../checks/decide/prices';
import type { PredictionWaiter } from './waiter';
import type { Lifecycle } from '../lifecycle';
import type { TtlCache } from '../core/ttl-cache';
import type { TokenRow } from '../store/tokens';
import type { VersionRow } from '../store/catalog';
import type { FileStore } from '../files';
import type { PredictionRow } from '../core/prediction';

/** The local worker's hold on a prediction that is being stored (see Worker.claim). */
export interface LocalClaim {
  /** The worker's id: the prediction is stored as owned by it (its first attempt). */
  workerId: string;
  /** A warm slot is in hand: the prediction is stored already started. */
  started: boolean;
  /** Runs the stored prediction here. */
  start(row: PredictionRow): void;
  /** Lets go (the prediction could not be stored). */
  release(): void;
}

/** What the API asks of the worker running in its own process (see Worker.claim). */
export interface LocalWorker {
  claim(p: { id: string; version: string; deployment: string | null; hardware: string }): LocalClaim | undefined;
}
import type { AdmissionLimits } from './admission';
import type { ReadinessReport } from '../observe/readiness';

export interface ApiContext {
  db: Db;
  dispatcher: Dispatcher;
  waiter: PredictionWaiter;
  publicUrl: string;
  prices: PriceTable;
  /** GANTRY_PRICES overrides of the prices the cost decision compares with (GET /v1/decide). */
  priceOverrides?: PriceOverrides;
  /** Seconds after which a worker without heartbeat counts as gone. */
  workerStaleSeconds: number;
  /** Valid tokens seen recently (a revoke clears it; other processes see a revoke within its TTL). */
  tokens: TtlCache<string, TokenRow>;
  /** Models' latest versions and versions by id, briefly (a new version shows within the TTL). */
  versions: TtlCache<string, VersionRow>;
  /**
   * The in-process worker, when `serve` embeds one: a new prediction skips the queue when a warm
   * instance has a free slot (it is stored already started), or when no other worker could take
   * it (it waits here for an instance, whose boot starts before the row is even stored).
   */
  localWorker?: LocalWorker;
  /** Terminal transitions (with their webhooks) go through this. */
  lifecycle: Lifecycle;
  files: FileStore;
  /** Runs model checks; a new check asks it to start at once (it also sweeps on its own). */
  checkRunner?: { kick(): void };
  /** Queue limits for creates (backpressure); absent: no engine-wide limits. */
  admission?: AdmissionLimits;
  /** How long an Idempotency-Key is remembered (seconds; default 24 h). */
  idempotencyTtlSeconds?: number;
  /** A token that may scrape GET /metrics besides admin API tokens (GANTRY_METRICS_TOKEN). */
  metricsToken?: string;
  /** Readiness of this process (database, queue, its worker's devices); default: database and queue. */
  readiness?: () => Promise<ReadinessReport>;
}
