/**
 * Operating a shared engine: token scopes and spend limits, owners of webhook subscriptions,
 * the request that created a prediction (for logs), deployment queue limits and idempotency keys.
 * Tokens made before this migration keep full rights (`admin`); subscriptions made before it
 * have no owner and keep seeing every prediction that matches them.
 */
export const sql = `
ALTER TABLE tokens
  ADD COLUMN scope text NOT NULL DEFAULT 'admin' CHECK (scope IN ('admin', 'run', 'read')),
  ADD COLUMN usd_per_day double precision CHECK (usd_per_day >= 0),
  ADD COLUMN usd_per_month double precision CHECK (usd_per_month >= 0);

-- Spend limits sum a token's usage records since the start of the day or month.
CREATE INDEX usage_token ON usage_records (token_id, created_at) WHERE token_id IS NOT NULL;
-- Non-admin tokens list only their own predictions, trainings and files.
CREATE INDEX predictions_token ON predictions (token_id, kind, created_at DESC, id DESC) WHERE token_id IS NOT NULL;
CREATE INDEX files_token ON files (token_id, created_at DESC, id DESC) WHERE token_id IS NOT NULL;

-- A subscription made by a non-admin token receives only that token's predictions.
ALTER TABLE webhook_subscriptions ADD COLUMN owner_token_id text;

-- The X-Request-Id of the create request, carried by every log line about the prediction.
ALTER TABLE predictions ADD COLUMN request_id text;

-- Backpressure: creates beyond a deployment's max_queue queued predictions answer 429.
ALTER TABLE deployments ADD COLUMN max_queue integer CHECK (max_queue >= 0);
ALTER TABLE deployment_releases ADD COLUMN max_queue integer;
CREATE INDEX predictions_queued ON predictions (version, deployment) WHERE status = 'starting';

-- Idempotency-Key: the first request with a key stores its answer; a repeat with the same body
-- gets that answer again, a repeat with another body a 422. Rows expire (GANTRY_IDEMPOTENCY_TTL).
CREATE TABLE idempotency_keys (
  token_id      text NOT NULL,
  key           text NOT NULL,
  route         text NOT NULL,                -- METHOD and route pattern, e.g. POST /v1/predictions
  request_hash  text NOT NULL,                -- sha256 of the method, URL and canonical JSON body
  status        integer,                      -- null while the first request is in progress
  headers       jsonb NOT NULL DEFAULT '{}',
  body          text,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  completed_at  timestamptz,
  PRIMARY KEY (token_id, key)
);
CREATE INDEX idempotency_keys_expiry ON idempotency_keys (created_at);
`;
