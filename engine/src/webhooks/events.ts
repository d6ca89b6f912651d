/**
 * Which webhook events a prediction (or training) emits, to whom, and when. Pure policy: no I/O.
 *
 * Events are Replicate's: `start`, `output`, `logs`, `completed` (`completed` = any terminal
 * status: succeeded, failed, canceled, aborted).
 *
 * Default when a prediction has a webhook but no `webhook_events_filter` (or an empty one): all
 * four events. Replicate's wording ("whenever there are new outputs or the prediction has
 * finished") is ambiguous about `start` and `logs`; sending everything is the superset, and a
 * receiver that wants less passes a filter. (The official clients pass a filter when they care.)
 *
 * Throttling: `output` and `logs` go out at most once per 500 ms per prediction and event. A
 * throttled update is not lost: every body is the full prediction at send time, so the next
 * sent update (a trailing flush, or `completed`) carries it. `start` and `completed` are never
 * throttled.
 */
export const WEBHOOK_EVENTS = ['start', 'output', 'logs', 'completed'] as const;
export type WebhookEvent = (typeof WEBHOOK_EVENTS)[number];

/** The events a webhook receives when no filter was given. */
export const DEFAULT_WEBHOOK_EVENTS: readonly WebhookEvent[] = WEBHOOK_EVENTS;

/** Minimum gap between two `output` (or two `logs`) webhooks of one prediction. */
export const THROTTLE_MS = 500;

export const TERMINAL_STATUSES = ['succeeded', 'failed', 'canceled', 'aborted'] as const;

export function isTerminalStatus(status: string | null | undefined): boolean {
  return (TERMINAL_STATUSES as readonly string[]).includes(status ?? '');
}

export function isWebhookEvent(value: unknown): value is WebhookEvent {
  return typeof value === 'string' && (WEBHOOK_EVENTS as readonly string[]).includes(value);
}

/** Only terminal webhooks are retried; intermediate ones get one attempt (as Replicate does). */
export function isRetryableEvent(event: WebhookEvent): boolean {
  return event === 'completed';
}

/** The fields of a prediction/training row this policy reads. */
export interface WebhookPrediction {
  id: string;
  status: string;
  /** `owner/name`. */
  model: string | null;
  /** `owner/name` of the deployment it ran on, if any. */
  deployment?: string | null;
  webhook?: string | null;
  webhook_events_filter?: readonly string[] | null;
  /** The token that created it (subscriptions of a non-admin token see only its own). */
  token_id?: string | null;
}

/** A persistent subscription as stored (`webhook_subscriptions`). */
export interface WebhookSubscription {
  id: string;
  url: string;
  events: readonly string[];
  model: string | null;
  deployment: string | null;
  /** Set when a non-admin token made it: only that token's predictions match. */
  owner_token_id?: string | null;
}

/** A user error in a webhook URL or filter; `field` names the request field for a 422. */
export class WebhookValidationError extends Error {
  constructor(
    message: string,
    readonly field: string,
  ) {
    super(message);
    this.name = 'WebhookValidationError';
  }
}

/**
 * Why `url` cannot be a webhook URL, or null when it can. http and https are accepted (http is
 * normal on a self-hosted box where n8n listens on localhost; https is recommended elsewhere).
 * Private and loopback addresses are deliberately allowed: the SSRF guard applies to inputs the
 * engine downloads, not to the operator's own webhook receivers.
 */
export function webhookUrlProblem(url: unknown): string | null {
  if (typeof url !== 'string' || url.trim() === '') return 'must be a non-empty URL string';
  if (url.length > 2048) return 'must be at most 2048 characters';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `is not a valid absolute URL: ${JSON.stringify(url)}`;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') {
    return `must use http or https, not ${parsed.protocol.replace(/:$/, '')}`;
  }
  if (parsed.username || parsed.password) return 'must not contain credentials (user:password@); put a secret in the path or query instead';
  if (!parsed.hostname) return 'must have a host';
  return null;
}

/** Returns `url` when valid; throws `WebhookValidationError` naming `field` otherwise. */
export function validateWebhookUrl(url: unknown, field = 'webhook'): string {
  const problem = webhookUrlProblem(url);
  if (problem) throw new WebhookValidationError(`${field} ${problem}`, field);
  return url as string;
}

/**
 * Validates a `webhook_events_filter` (or a subscription's `events`). Returns the de-duplicated
 * list, or null when absent (null/undefined), which means `DEFAULT_WEBHOOK_EVENTS`.
 */
export function parseEventsFilter(value: unknown, field = 'webhook_events_filter'): WebhookEvent[] | null {
  if (value === undefined || value === null) return null;
  if (!Array.isArray(value)) throw new WebhookValidationError(`${field} must be an array of events (${WEBHOOK_EVENTS.join(', ')})`, field);
  const out: WebhookEvent[] = [];
  for (const item of value) {
    if (!isWebhookEvent(item)) {
      throw new WebhookValidationError(
        `${field} contains ${JSON.stringify(item)}; allowed events are ${WEBHOOK_EVENTS.join(', ')}`,
        field,
      );
    }
    if (!out.includes(item)) out.push(item);
  }
  return out;
}

/** The events a prediction's own webhook receives: its filter, or all four when none/empty. */
export function effectiveEvents(filter: readonly string[] | null | undefined): WebhookEvent[] {
  const valid = (filter ?? []).filter(isWebhookEvent);
  return valid.length > 0 ? [...new Set(valid)] : [...DEFAULT_WEBHOOK_EVENTS];
}

export function isThrottledEvent(event: WebhookEvent): boolean {
  return event === 'output' || event === 'logs';
}

/**
 * Whether to emit `event` for `prediction` now. `lastSentAt` is when the same event was last
 * emitted for this prediction (ms, or null/undefined when never); `now` in ms.
 * - `start`: yes. `completed`: yes once the status is terminal (never throttled).
 * - `output`/`logs`: not after a terminal status (`completed` carries the final state); otherwise
 *   at most once per `THROTTLE_MS`.
 * Whether anybody receives it is `fanOut`'s decision.
 */
export function planWebhookEvent(
  prediction: Pick<WebhookPrediction, 'status'>,
  event: WebhookEvent,
  lastSentAt: number | null | undefined,
  now: number,
  throttleMs = THROTTLE_MS,
): boolean {
  if (event === 'start') return true;
  if (event === 'completed') return isTerminalStatus(prediction.status);
  if (isTerminalStatus(prediction.status)) return false;
  return lastSentAt === null || lastSentAt === undefined || now - lastSentAt >= throttleMs;
}

export interface WebhookTarget {
  url: string;
  event: WebhookEvent;
  /** All events this target receives (to decide, e.g., whether `completed` will cover it). */
  events: WebhookEvent[];
  source: 'prediction' | 'subscription';
  subscriptionId?: string;
}

/** Whether a subscription covers a prediction: each of its set model/deployment must match. */
export function subscriptionMatches(sub: WebhookSubscription, prediction: WebhookPrediction): boolean {
  if (sub.model !== null && sub.model !== prediction.model) return false;
  if (sub.deployment !== null && sub.deployment !== (prediction.deployment ?? null)) return false;
  if (sub.owner_token_id && sub.owner_token_id !== prediction.token_id) return false;
  return true;
}

/**
 * Who receives `event`: the prediction's own webhook (if its filter includes the event) plus every
 * matching subscription that lists the event. One delivery per URL (the prediction's own first).
 */
export function fanOut(prediction: WebhookPrediction, event: WebhookEvent, subscriptions: readonly WebhookSubscription[]): WebhookTarget[] {
  const targets: WebhookTarget[] = [];
  const seen = new Set<string>();
  if (prediction.webhook) {
    const events = effectiveEvents(prediction.webhook_events_filter);
    if (events.includes(event)) {
      targets.push({ url: prediction.webhook, event, events, source: 'prediction' });
      seen.add(prediction.webhook);
    }
  }
  for (const sub of subscriptions) {
    const events = sub.events.filter(isWebhookEvent);
    if (!events.includes(event) || !subscriptionMatches(sub, prediction) || seen.has(sub.url)) continue;
    seen.add(sub.url);
    targets.push({ url: sub.url, event, events, source: 'subscription', subscriptionId: sub.id });
  }
  return targets;
}

/**
 * The in-memory "last sent" map behind throttling, keyed by prediction and event. Entries go
 * when the prediction completes (`forget`) or after `maxAgeMs` without activity (`sweep`), so a
 * prediction finished by another process does not leak memory here.
 */
export class ThrottleClock {
  private readonly last = new Map<string, number>();

  constructor(private readonly maxAgeMs = 10 * 60_000) {}

  get(predictionId: string, event: WebhookEvent): number | undefined {
    return this.last.get(`${predictionId}\u0000${event}`);
  }

  mark(predictionId: string, event: WebhookEvent, at: number): void {
    this.last.set(`${predictionId}\u0000${event}`, at);
  }

  forget(predictionId: string): void {
    for (const e of WEBHOOK_EVENTS) this.last.delete(`${predictionId}\u0000${e}`);
  }

  sweep(now: number): void {
    for (const [k, at] of this.last) if (now - at > this.maxAgeMs) this.last.delete(k);
  }

  get size(): number {
    return this.last.size;
  }
}
