/**
 * A fleet (`gantry serve --role api|controller|worker`): the controller lease with its fencing
 * epoch, the instances the controller places on workers (desired state), and why a worker row
 * stopped.
 *
 * Fencing: a controller's writes run in transactions that start with `gantry_fence(lease, epoch)`.
 * It share-locks the lease row, so a takeover (an UPDATE of that row) waits until the write has
 * committed, and raises SQLSTATE GF001 unless the epoch is the lease's current one and the lease
 * has not expired. A controller that was paused past its lease and wakes up therefore cannot
 * write anything: the database refuses it, whatever the controller believes.
 */
export const sql = `
CREATE TABLE leases (
  name         text PRIMARY KEY,
  holder       text NOT NULL,
  epoch        bigint NOT NULL,
  acquired_at  timestamptz NOT NULL DEFAULT clock_timestamp(),
  renewed_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at   timestamptz NOT NULL
);

CREATE FUNCTION gantry_fence(lease text, claimed bigint) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
  current_epoch bigint;
  valid_until   timestamptz;
BEGIN
  SELECT epoch, expires_at INTO current_epoch, valid_until FROM leases WHERE name = lease FOR SHARE;
  IF current_epoch IS NULL OR current_epoch <> claimed OR valid_until <= clock_timestamp() THEN
    RAISE EXCEPTION 'fenced: lease % epoch % is not current (current epoch %, valid until %)',
      lease, claimed, current_epoch, valid_until USING ERRCODE = 'GF001';
  END IF;
  -- Rows written in this transaction can name the epoch that wrote them.
  PERFORM set_config('gantry.epoch', claimed::text, true);
  RETURN claimed;
END $$;

-- Desired state: the instances the controller decided each worker runs. The worker boots what is
-- here and stops what is gone or asked to stop; it reports what it runs in \`instances\` (same id).
-- A row holds its devices until the worker reports the instance stopped (or the worker is lost).
CREATE TABLE placements (
  id                 text PRIMARY KEY,
  worker_id          text NOT NULL,
  key                text NOT NULL,
  version            text NOT NULL,
  deployment         text,
  hardware           jsonb NOT NULL,
  devices            integer[] NOT NULL DEFAULT '{}',
  memory_claim_gb    double precision NOT NULL DEFAULT 0,
  cpu_slots          integer NOT NULL DEFAULT 0,
  epoch              bigint NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT clock_timestamp(),
  stop_requested_at  timestamptz
);
CREATE INDEX placements_worker ON placements (worker_id);

-- Why a worker row stopped: it said goodbye (NULL) or the controller declared it lost.
ALTER TABLE workers ADD COLUMN lost_at timestamptz;
CREATE INDEX workers_live ON workers (heartbeat_at) WHERE stopped_at IS NULL;
`;
