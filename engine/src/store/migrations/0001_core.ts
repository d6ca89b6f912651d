/** Core catalogue, predictions (and trainings), tokens and usage records. */
export const sql = `
CREATE TABLE tokens (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  hash        text NOT NULL UNIQUE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  revoked_at  timestamptz
);

CREATE TABLE models (
  owner            text NOT NULL,
  name             text NOT NULL,
  description      text,
  visibility       text NOT NULL DEFAULT 'public',
  hardware         text NOT NULL DEFAULT 'cpu',
  github_url       text,
  paper_url        text,
  license_url      text,
  cover_image_url  text,
  latest_version   text,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (owner, name)
);

CREATE TABLE versions (
  id               text PRIMARY KEY,
  owner            text NOT NULL,
  name             text NOT NULL,
  runner           jsonb NOT NULL,
  openapi_schema   jsonb NOT NULL,
  hardware         text NOT NULL DEFAULT 'cpu',
  gpu_count        integer,
  gpu_memory_gb    real,
  max_concurrency  integer NOT NULL DEFAULT 1,
  pricing          jsonb NOT NULL DEFAULT '[]',
  weights          text,
  streams          boolean NOT NULL DEFAULT false,
  trainable        boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT clock_timestamp(),
  deleted_at       timestamptz,
  FOREIGN KEY (owner, name) REFERENCES models (owner, name)
);
CREATE INDEX versions_model ON versions (owner, name, created_at DESC);

-- Predictions and trainings share one table: same lifecycle, same queue, same cost rules.
CREATE TABLE predictions (
  id                     text PRIMARY KEY,
  kind                   text NOT NULL DEFAULT 'prediction',
  model                  text NOT NULL,
  version                text NOT NULL,
  deployment             text,
  destination            text,
  input                  jsonb NOT NULL,
  output                 jsonb,
  logs                   text NOT NULL DEFAULT '',
  error                  text,
  status                 text NOT NULL,
  source                 text NOT NULL DEFAULT 'api',
  hardware               text NOT NULL,
  created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at             timestamptz,
  completed_at           timestamptz,
  deadline               timestamptz,
  webhook                text,
  webhook_events_filter  text[],
  metrics                jsonb NOT NULL DEFAULT '{}',
  cost                   jsonb,
  tags                   jsonb NOT NULL DEFAULT '{}',
  token_id               text,
  stream_key             text,
  attempts               integer NOT NULL DEFAULT 0,
  worker_id              text,
  cancel_requested_at    timestamptz
);
CREATE INDEX predictions_list ON predictions (kind, created_at DESC, id DESC);
CREATE INDEX predictions_open ON predictions (status) WHERE status IN ('starting', 'processing');

-- A worker process that owns devices; a stale heartbeat means its running work was interrupted.
CREATE TABLE workers (
  id            text PRIMARY KEY,
  name          text NOT NULL,
  devices       jsonb NOT NULL DEFAULT '[]',
  started_at    timestamptz NOT NULL DEFAULT clock_timestamp(),
  heartbeat_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  stopped_at    timestamptz
);

CREATE TABLE usage_records (
  id            bigserial PRIMARY KEY,
  kind          text NOT NULL,
  prediction_id text,
  model         text,
  version       text,
  deployment    text,
  token_id      text,
  tags          jsonb NOT NULL DEFAULT '{}',
  hardware      text,
  rule          text NOT NULL,
  quantity      double precision NOT NULL,
  unit_price_usd double precision NOT NULL,
  total_usd     double precision NOT NULL,
  created_at    timestamptz NOT NULL DEFAULT clock_timestamp()
);
CREATE INDEX usage_created ON usage_records (created_at);
`;
