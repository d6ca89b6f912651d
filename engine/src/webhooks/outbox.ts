/**
 * The webhook sender: drains the `webhook_deliveries` outbox.
 *
 * - Wakes on NOTIFY (a dedicated LISTEN connection) and polls every second as a safety net.
 * - Claims due rows with a lease (`store/webhooks.ts`), so several engine processes can run a
 *   sender each without sending the same attempt twice at once; a crashed sender's rows become
 *   due again when the lease runs out. Everything lives in the table, so restarts lose nothing.
 * - POSTs the stored body verbatim with signed headers (same `webhook-id` on every retry, fresh
 *   `webhook-timestamp` per attempt), `redirect: 'manual'` (a 3xx is a failure, never followed)
 *   and a timeout.
 * - 2xx = delivered. Anything else (network error, timeout, 3xx, 4xx, 5xx) on a terminal event is
 *   retried with exponential backoff and jitter for about 35 minutes, then the row is `dead`.
 *   Replicate retries the final webhook on 4xx and 5xx alike, so we do too. Intermediate events
 *   (start/output/logs) get exactly one attempt.
 */
import { hostname } from 'node:os';
import type { Db } from '../store/db';
import {
  claimDueDeliveries,
  getOrCreateWebhookSecret,
  listenForDeliveries,
  markDead,
  markDelivered,
  newId,
  pruneDeliveries,
  scheduleRetry,
  type ClaimedDelivery,
  type DeliveryListener,
} from '../store/webhooks';
import { webhookHeaders } from './sign';

export interface RetrySchedule {
  /**
   * Delay before the next attempt, after attempt number `attempt` (1 = the first) failed;
   * `elapsedMs` is the delivery's age. null = give up (the delivery is dead).
   */
  next(attempt: number, elapsedMs: number): number | null;
}

export interface BackoffOptions {
  baseMs?: number;
  factor?: number;
  capMs?: number;
  /** Total time budget from the first attempt; the last attempt happens at about this age. */
  maxTotalMs?: number;
  /** Relative jitter, e.g. 0.2 = ±20 %. */
  jitter?: number;
  random?: () => number;
}

/**
 * Exponential backoff with jitter: 1 s, 2 s, 4 s … capped at 5 min, for 35 min in total by
 * default (about 16 attempts). The delay that would overshoot the budget is shortened so that
 * one last attempt happens at the budget's end; after that the delivery is dead.
 */
export function exponentialBackoff(opts: BackoffOptions = {}): RetrySchedule {
  const { baseMs = 1000, factor = 2, capMs = 5 * 60_000, maxTotalMs = 35 * 60_000, jitter = 0.2, random = Math.random } = opts;
  return {
    next(attempt, elapsedMs) {
      if (elapsedMs >= maxTotalMs) return null;
      const raw = Math.min(capMs, baseMs * factor ** Math.max(0, attempt - 1));
      const delay = raw * (1 - jitter + 2 * jitter * random());
      return Math.max(0, Math.min(delay, maxTotalMs - elapsedMs));
    },
  };
}

export const DEFAULT_SCHEDULE = exponentialBackoff();

export interface AttemptReport {
  id: string;
  url: string;
  event: string;
  predictionId: string | null;
  attempt: number;
  /** delivered; retry (scheduled again); dead (gave up); lost (lease was taken over meanwhile). */
  outcome: 'delivered' | 'retry' | 'dead' | 'lost';
  status?: number;
  error?: string;
  durationMs: number;
  nextDelayMs?: number;
}

export interface WebhookSenderOptions {
  /** At most this many requests in flight per sender. Default 16. */
  concurrency?: number;
  /** Safety-net poll interval. Default 1000 ms. */
  pollIntervalMs?: number;
  /** Per-request timeout. Default 10 s. */
  timeoutMs?: number;
  /** How long a claimed row stays leased; must exceed the timeout. Default timeout + 30 s. */
  leaseMs?: number;
  schedule?: RetrySchedule;
  userAgent?: string;
  /** LISTEN for enqueue notifications. Default true. */
  listen?: boolean;
  /** Wait before reopening a lost LISTEN connection (polling covers the gap). Default 5 s. */
  listenRetryMs?: number;
  /** Lease owner id; default host:pid:random. */
  owner?: string;
  /** Delivered/dead rows older than this are pruned (hourly). Default 7 days; 0 disables. */
  retentionMs?: number;
  onAttempt?: (report: AttemptReport) => void;
  /** Internal errors (database unreachable, listener lost); the sender keeps going. */
  onError?: (err: Error) => void;
}

export class WebhookSender {
  private readonly concurrency: number;
  private readonly pollIntervalMs: number;
  private readonly timeoutMs: number;
  private readonly leaseMs: number;
  private readonly schedule: RetrySchedule;
  private readonly userAgent: string;
  private readonly owner: string;
  private readonly retentionMs: number;

  private running = false;
  private pumping: Promise<void> | null = null;
  private again = false;
  private readonly inFlight = new Set<Promise<void>>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private poller: NodeJS.Timeout | null = null;
  private listener: DeliveryListener | null = null;
  private lastPrune = 0;

  constructor(
    private readonly db: Db,
    private readonly opts: WebhookSenderOptions = {},
  ) {
    this.concurrency = Math.max(1, opts.concurrency ?? 16);
    this.pollIntervalMs = opts.pollIntervalMs ?? 1000;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.leaseMs = Math.max(opts.leaseMs ?? this.timeoutMs + 30_000, this.timeoutMs + 1000);
    this.schedule = opts.schedule ?? DEFAULT_SCHEDULE;
    this.userAgent = opts.userAgent ?? 'gantry-webhooks';
    this.owner = opts.owner ?? `${hostname()}:${process.pid}:${newId('s')}`;
    this.retentionMs = opts.retentionMs ?? 7 * 24 * 3600_000;
  }

  get isRunning(): boolean {
    return this.running;
  }

  async start(): Promise<void> {
    if (this.running) return;
    this.running = true;
    this.lastPrune = Date.now();
    if (this.opts.listen !== false) await this.openListener();
    this.poller = setInterval(() => this.kick(), this.pollIntervalMs);
    this.poller.unref();
    this.kick();
  }

  /** Stops claiming, closes the listener, and waits for in-flight requests (bounded by the timeout). */
  async stop(): Promise<void> {
    if (!this.running) return;
    this.running = false;
    if (this.poller) clearInterval(this.poller);
    this.poller = null;
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    const listener = this.listener;
    this.listener = null;
    await listener?.close();
    while (this.pumping || this.inFlight.size > 0) {
      await Promise.allSettled([this.pumping, ...this.inFlight]);
    }
  }

  /** Look for due rows now (also called on NOTIFY, on the poll, and when a slot frees up). */
  kick(): void {
    if (!this.running) return;
    if (this.pumping) {
      this.again = true;
      return;
    }
    this.pumping = this.pump().finally(() => {
      this.pumping = null;
      if (this.again) this.kick();
    });
  }

  private async openListener(): Promise<void> {
    try {
      this.listener = await listenForDeliveries(
        this.db,
        () => this.kick(),
        (err) => {
          this.report(err);
          this.listener = null;
          this.later(this.opts.listenRetryMs ?? 5000, () => {
            if (this.running && !this.listener) void this.openListener();
          });
        },
      );
      if (!this.running) await this.listener.close();
    } catch (err) {
      this.report(err as Error);
      this.later(this.opts.listenRetryMs ?? 5000, () => {
        if (this.running && !this.listener) void this.openListener();
      });
    }
  }

  private later(ms: number, fn: () => void): void {
    if (!this.running) return;
    const t = setTimeout(() => {
      this.timers.delete(t);
      fn();
    }, ms);
    t.unref();
    this.timers.add(t);
  }

  private report(err: Error): void {
    this.opts.onError?.(err);
  }

  private async pump(): Promise<void> {
    try {
      do {
        this.again = false;
        const free = this.concurrency - this.inFlight.size;
        if (free <= 0 || !this.running) break;
        const rows = await claimDueDeliveries(this.db, this.owner, free, this.leaseMs);
        if (rows.length === 0) break;
        const secret = await getOrCreateWebhookSecret(this.db);
        for (const row of rows) {
          const p: Promise<void> = this.deliver(row, secret)
            .catch((err: Error) => this.report(err))
            .finally(() => {
              this.inFlight.delete(p);
              this.kick();
            });
          this.inFlight.add(p);
        }
        if (rows.length === free) this.again = true;
      } while (this.again && this.running);
      await this.maybePrune();
    } catch (err) {
      this.report(err as Error);
    }
  }

  private async maybePrune(): Promise<void> {
    if (this.retentionMs <= 0 || Date.now() - this.lastPrune < 3600_000) return;
    this.lastPrune = Date.now();
    await pruneDeliveries(this.db, this.retentionMs);
  }

  private async deliver(row: ClaimedDelivery, secret: string): Promise<void> {
    const started = Date.now();
    const attempt = row.attempts;
    let status: number | undefined;
    let error: string | undefined;
    try {
      const res = await fetch(row.url, {
        method: 'POST',
        body: row.body,
        redirect: 'manual',
        signal: AbortSignal.timeout(this.timeoutMs),
        headers: {
          ...webhookHeaders({ id: row.id, body: row.body, secret }),
          'content-type': 'application/json',
          'user-agent': this.userAgent,
        },
      });
      status = res.status;
      await res.body?.cancel().catch(() => undefined);
      if (status >= 300 && status < 400) {
        const location = res.headers.get('location');
        error = `HTTP ${status} redirect not followed${location ? ` (location: ${location})` : ''}`;
      } else if (status < 200 || status >= 300) {
        error = `HTTP ${status}`;
      }
    } catch (err) {
      error = describeFetchError(err, this.timeoutMs);
    }
    const durationMs = Date.now() - started;
    const base = { id: row.id, url: row.url, event: row.event, predictionId: row.prediction_id, attempt, status, error, durationMs };

    if (error === undefined) {
      const ok = await markDelivered(this.db, row.id, this.owner, attempt, status!);
      this.opts.onAttempt?.({ ...base, outcome: ok ? 'delivered' : 'lost' });
      return;
    }
    const delay = row.retryable ? this.schedule.next(attempt, row.age_ms + durationMs) : null;
    if (delay === null) {
      const ok = await markDead(this.db, row.id, this.owner, attempt, { status, error });
      this.opts.onAttempt?.({ ...base, outcome: ok ? 'dead' : 'lost' });
      return;
    }
    const ok = await scheduleRetry(this.db, row.id, this.owner, attempt, delay, { status, error });
    this.opts.onAttempt?.({ ...base, outcome: ok ? 'retry' : 'lost', nextDelayMs: delay });
    // Retries sooner than the poll interval would otherwise wait for the next poll.
    if (ok && delay < this.pollIntervalMs) this.later(Math.ceil(delay) + 1, () => this.kick());
  }
}

function describeFetchError(err: unknown, timeoutMs: number): string {
  const e = err as Error & { cause?: { code?: string; message?: string } };
  if (e?.name === 'TimeoutError' || e?.name === 'AbortError') return `timed out after ${timeoutMs} ms`;
  const cause = e?.cause;
  if (cause?.code) return `${cause.code}${cause.message ? `: ${cause.message}` : ''}`;
  if (cause?.message) return cause.message;
  return e?.message ?? String(err);
}
