/**
 * Turns prediction lifecycle changes into outbox rows: applies the event policy (`events.ts`),
 * the 500 ms throttle with a trailing flush, and the fan-out to the prediction's own webhook and
 * matching subscriptions. The `WebhookSender` then delivers the rows.
 *
 * The engine calls `emit(prediction, event, body)`:
 * - `start` when the prediction starts running (status becomes `processing`),
 * - `output` whenever its output changes, `logs` whenever its logs change,
 * - `completed` once it reaches a terminal status.
 * `body` is the prediction exactly as `GET /v1/predictions/{id}` returns it (object or JSON text).
 * A throttled `output`/`logs` update is kept and sent when its 500 ms window ends (with the
 * newest body given meanwhile), unless `completed` comes first: the completed body carries the
 * final state. Targets that receive `output`/`logs` but not `completed` still get that last
 * pending update at completion.
 */
import type { Queryable } from '../store/db';
import { enqueueDeliveries, listSubscriptions } from '../store/webhooks';
import {
  THROTTLE_MS,
  ThrottleClock,
  fanOut,
  isRetryableEvent,
  isTerminalStatus,
  isThrottledEvent,
  planWebhookEvent,
  subscriptionMatches,
  type WebhookEvent,
  type WebhookPrediction,
  type WebhookSubscription,
  type WebhookTarget,
} from './events';

const SUBSCRIPTIONS_TTL_MS = 1000;

interface Pending {
  prediction: WebhookPrediction;
  body: string;
  timer: NodeJS.Timeout;
}

export interface WebhookDispatcherOptions {
  throttleMs?: number;
  now?: () => number;
  /** Errors from trailing flushes (which run on a timer, outside any caller). */
  onError?: (err: Error) => void;
}

export class WebhookDispatcher {
  private readonly throttleMs: number;
  private readonly now: () => number;
  private readonly clock = new ThrottleClock();
  private readonly pending = new Map<string, Pending>();
  private closed = false;
  /**
   * Subscriptions, read at most once per SUBSCRIPTIONS_TTL_MS instead of once per event: the hot
   * path of a prediction without webhooks then costs no query. A subscription change made in this
   * process takes effect at once (`invalidate`), one made elsewhere within the TTL.
   */
  private subscriptionsCache?: { at: number; rows: Promise<WebhookSubscription[]> };

  constructor(
    private readonly db: Queryable,
    private readonly opts: WebhookDispatcherOptions = {},
  ) {
    this.throttleMs = opts.throttleMs ?? THROTTLE_MS;
    this.now = opts.now ?? Date.now;
  }

  /**
   * Records a lifecycle event. Returns the ids of the deliveries enqueued now (empty when the
   * event was throttled or nobody wants it). Pass `q` to enqueue inside the caller's transaction
   * (the rows then commit, and the sender wakes, with the status change).
   */
  async emit(prediction: WebhookPrediction, event: WebhookEvent, body: unknown, q: Queryable = this.db): Promise<string[]> {
    const text = typeof body === 'string' ? body : JSON.stringify(body);
    const now = this.now();
    if (event === 'completed') return this.complete(prediction, text, q);
    if (!isThrottledEvent(event)) return this.enqueue(q, prediction, event, text);

    const key = `${prediction.id}\u0000${event}`;
    const last = this.clock.get(prediction.id, event);
    if (planWebhookEvent(prediction, event, last, now, this.throttleMs)) {
      this.dropPending(key);
      this.clock.mark(prediction.id, event, now);
      return this.enqueue(q, prediction, event, text);
    }
    if (isTerminalStatus(prediction.status)) return [];
    // Throttled: keep the newest state; flush when the window ends.
    const existing = this.pending.get(key);
    if (existing) {
      existing.prediction = prediction;
      existing.body = text;
    } else if (!this.closed) {
      const wait = Math.max(0, (last ?? now) + this.throttleMs - now);
      const timer = setTimeout(() => void this.flush(key, event), wait);
      this.pending.set(key, { prediction, body: text, timer });
    }
    return [];
  }

  /** Forget cached subscriptions (call after creating or deleting one). */
  invalidate(): void {
    this.subscriptionsCache = undefined;
  }

  private subscriptions(q: Queryable): Promise<WebhookSubscription[]> {
    const now = Date.now();
    if (!this.subscriptionsCache || now - this.subscriptionsCache.at > SUBSCRIPTIONS_TTL_MS) {
      // Oldest first, so that the first subscription of a URL is the one a delivery names.
      const rows: Promise<WebhookSubscription[]> = listSubscriptions(q).then((r) => [...r].reverse());
      this.subscriptionsCache = { at: now, rows };
      rows.catch(() => (this.subscriptionsCache = undefined));
    }
    return this.subscriptionsCache.rows;
  }

  /** Whether any event of this prediction could go anywhere (its own webhook or a subscription). */
  async wanted(prediction: Pick<WebhookPrediction, 'model' | 'deployment' | 'webhook' | 'token_id'>): Promise<boolean> {
    if (prediction.webhook) return true;
    const subs = await this.subscriptions(this.db);
    // A caller that does not know the token is told "wanted" by owned subscriptions: the full row decides.
    const as = (s: WebhookSubscription) => (prediction.token_id === undefined ? { ...prediction, token_id: s.owner_token_id } : prediction);
    return subs.some((s) => subscriptionMatches(s, as(s) as WebhookPrediction));
  }

  /** Cancels pending trailing flushes. */
  close(): void {
    this.closed = true;
    for (const p of this.pending.values()) clearTimeout(p.timer);
    this.pending.clear();
  }

  /** Number of throttled updates waiting for their window (for tests and metrics). */
  get pendingCount(): number {
    return this.pending.size;
  }

  private async flush(key: string, event: WebhookEvent): Promise<void> {
    const p = this.pending.get(key);
    if (!p) return;
    this.pending.delete(key);
    this.clock.mark(p.prediction.id, event, this.now());
    try {
      await this.enqueue(this.db, p.prediction, event, p.body);
    } catch (err) {
      this.opts.onError?.(err as Error);
    }
  }

  private async complete(prediction: WebhookPrediction, body: string, q: Queryable): Promise<string[]> {
    if (!planWebhookEvent(prediction, 'completed', undefined, this.now())) return [];
    const ids: string[] = [];
    for (const event of ['output', 'logs'] as const) {
      const key = `${prediction.id}\u0000${event}`;
      if (!this.pending.has(key)) continue;
      this.dropPending(key);
      // Those who also get `completed` see the final state there; the others get it now.
      ids.push(...(await this.enqueue(q, prediction, event, body, (t) => !t.events.includes('completed'))));
    }
    this.clock.forget(prediction.id);
    this.clock.sweep(this.now());
    ids.push(...(await this.enqueue(q, prediction, 'completed', body)));
    return ids;
  }

  private dropPending(key: string): void {
    const p = this.pending.get(key);
    if (p) clearTimeout(p.timer);
    this.pending.delete(key);
  }

  private async enqueue(
    q: Queryable,
    prediction: WebhookPrediction,
    event: WebhookEvent,
    body: string,
    keep: (t: WebhookTarget) => boolean = () => true,
  ): Promise<string[]> {
    const subs = await this.subscriptions(this.db);
    const targets = fanOut(prediction, event, subs).filter(keep);
    return enqueueDeliveries(
      q,
      targets.map((t) => ({ url: t.url, event, body, predictionId: prediction.id, retryable: isRetryableEvent(event) })),
    );
  }
}
