/**
 * A check's own webhook: `start` when it begins, `logs` after each run, `completed` with the
 * report. Same events, filter rules, signing and outbox as predictions (only `completed` is retried).
 */
import type { Queryable } from '../store/db';
import { enqueueDeliveries } from '../store/webhooks';
import { effectiveEvents, isRetryableEvent, type WebhookEvent } from '../webhooks/events';
import type { CheckRow } from '../store/checks';

export async function emitCheckEvent(q: Queryable, check: CheckRow, event: WebhookEvent, body: Record<string, unknown>): Promise<void> {
  if (!check.webhook || !effectiveEvents(check.webhook_events_filter).includes(event)) return;
  await enqueueDeliveries(q, [{ url: check.webhook, event, body: JSON.stringify(body), predictionId: check.id, retryable: isRetryableEvent(event) }]);
}
