/** Deployments with numbered releases, and the instances workers run (for /v1/cluster and billing). */
export const sql = `
CREATE TABLE deployments (
  owner          text NOT NULL,
  name           text NOT NULL,
  model          text NOT NULL,
  version        text NOT NULL,
  hardware       text NOT NULL,
  min_instances  integer NOT NULL DEFAULT 0,
  max_instances  integer NOT NULL DEFAULT 1,
  release_number integer NOT NULL DEFAULT 1,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  updated_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (owner, name)
);

CREATE TABLE deployment_releases (
  owner          text NOT NULL,
  name           text NOT NULL,
  number         integer NOT NULL,
  model          text NOT NULL,
  version        text NOT NULL,
  hardware       text NOT NULL,
  min_instances  integer NOT NULL,
  max_instances  integer NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  PRIMARY KEY (owner, name, number)
);

-- Written by the worker that runs each instance; the API reads it for /v1/cluster and deployments.
CREATE TABLE instances (
  id           text PRIMARY KEY,
  worker_id    text NOT NULL,
  version      text NOT NULL,
  deployment   text,
  hardware     text NOT NULL,
  devices      jsonb NOT NULL DEFAULT '[]',
  memory_gb    double precision NOT NULL DEFAULT 0,
  state        text NOT NULL,
  since        timestamptz NOT NULL DEFAULT clock_timestamp(),
  setup_time   double precision,
  last_used_at timestamptz,
  error        text,
  stopped_at   timestamptz
);
CREATE INDEX instances_live ON instances (worker_id) WHERE stopped_at IS NULL;
`;
