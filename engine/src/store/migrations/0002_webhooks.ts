/**
 * Webhooks: the account signing secret, the delivery outbox, persistent subscriptions.
 *
 * The outbox row is the whole state of a delivery: a sender claims a due row by moving
 * `next_attempt_at` forward by a lease (and stamping `lease_owner`), so a sender that dies
 * mid-send leaves a row that becomes due again when the lease runs out.
 */
export const sql = `
CREATE TABLE webhook_secret (
  singleton   boolean PRIMARY KEY DEFAULT true CHECK (singleton),
  key         text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE webhook_deliveries (
  id               text PRIMARY KEY,            -- the webhook-id header, reused on every retry
  seq              bigserial NOT NULL,          -- insertion order (stable listing)
  url              text NOT NULL,
  event            text NOT NULL,               -- start | output | logs | completed
  body             text NOT NULL,               -- the exact JSON sent
  prediction_id    text,
  retryable        boolean NOT NULL,            -- only terminal events are retried
  status           text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
  attempts         integer NOT NULL DEFAULT 0,
  next_attempt_at  timestamptz NOT NULL DEFAULT now(),
  lease_owner      text,
  last_error       text,
  last_status      integer,
  created_at       timestamptz NOT NULL DEFAULT now(),
  delivered_at     timestamptz,
  updated_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_prediction ON webhook_deliveries (prediction_id, seq);

CREATE TABLE webhook_subscriptions (
  id          text PRIMARY KEY,
  url         text NOT NULL,
  events      text[] NOT NULL,
  model       text,                             -- owner/name, or null for any
  deployment  text,                             -- owner/name, or null for any
  created_at  timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX webhook_subscriptions_model ON webhook_subscriptions (model);
CREATE INDEX webhook_subscriptions_deployment ON webhook_subscriptions (deployment);
`;
