/**
 * Model checks. A check's plan (the runs it will make) is fixed at creation; each run it makes is
 * a row in `check_runs` naming its prediction, so a check resumed after a restart knows what it
 * already did. The runner holds a check through a lease (`runner_id`, `lease_until`): a check
 * whose lease ran out (its engine died) is taken over by the next runner that looks.
 */
export const sql = `
CREATE TABLE checks (
  id                     text PRIMARY KEY,
  status                 text NOT NULL CHECK (status IN ('starting', 'processing', 'succeeded', 'failed', 'canceled')),
  model                  text NOT NULL,
  version                text NOT NULL,
  deployment             text,
  request                jsonb NOT NULL,
  plan                   jsonb NOT NULL,
  observations           jsonb NOT NULL DEFAULT '{}',
  report                 json,        -- json, not jsonb: the report keeps its key order
  error                  text,
  logs                   text NOT NULL DEFAULT '',
  -- Data retention removed the check's input, its runs' inputs and output texts (GANTRY_DATA_RETENTION).
  data_removed           boolean NOT NULL DEFAULT false,
  webhook                text,
  webhook_events_filter  text[],
  token_id               text,
  -- Set by a cancel before it stops the check's runs, so the runner makes no new run meanwhile.
  cancel_requested_at    timestamptz,
  runner_id              text,
  lease_until            timestamptz,
  created_at             timestamptz NOT NULL DEFAULT clock_timestamp(),
  started_at             timestamptz,
  completed_at           timestamptz
);
CREATE INDEX checks_list ON checks (created_at DESC, id DESC);
CREATE INDEX checks_open ON checks (lease_until) WHERE status IN ('starting', 'processing');
CREATE INDEX checks_retention ON checks (completed_at) WHERE NOT data_removed AND completed_at IS NOT NULL;

CREATE TABLE check_runs (
  check_id       text NOT NULL REFERENCES checks (id) ON DELETE CASCADE,
  run_key        text NOT NULL,
  attempt        integer NOT NULL,
  prediction_id  text,
  -- Why the prediction could not be created (the create path's 4xx detail); null when it was.
  refused        text,
  -- Kept when the prediction ends: its data is removed later (GANTRY_DATA_RETENTION).
  output_digest  text,
  output_text    text,
  file_hashes    text[] NOT NULL DEFAULT '{}',
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (check_id, run_key, attempt)
);
CREATE INDEX check_runs_prediction ON check_runs (prediction_id);
`;
