/**
 * How one webhook delivery looks on the wire (`GET /v1/predictions/{id}/webhooks`). The body is
 * left out: it is the prediction itself, which the caller already reads, and it can be large.
 */
import type { DeliveryRow } from '../store/webhooks';

export function deliveryWire(d: DeliveryRow) {
  return {
    id: d.id,
    url: d.url,
    event: d.event,
    /** `pending` (being sent or waiting for a retry), `delivered` or `dead` (given up). */
    status: d.status,
    attempts: d.attempts,
    /** Final events are retried with backoff; intermediate ones get one attempt. */
    retryable: d.retryable,
    last_status: d.last_status,
    last_error: d.last_error,
    created_at: d.created_at.toISOString(),
    delivered_at: d.delivered_at?.toISOString() ?? null,
    next_attempt_at: d.status === 'pending' ? d.next_attempt_at.toISOString() : null,
  };
}
