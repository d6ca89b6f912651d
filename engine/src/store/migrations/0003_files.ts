/**
 * Files: uploads (`POST /v1/files`) and files produced by predictions, kept on disk under
 * `<data dir>/files`; plus named engine secrets (the key that signs download URLs).
 */
export const sql = `
CREATE TABLE files (
  id             text PRIMARY KEY,
  name           text NOT NULL,
  content_type   text NOT NULL,
  size           bigint NOT NULL,
  sha256         text NOT NULL,
  path           text NOT NULL,               -- absolute path on disk
  metadata       jsonb NOT NULL DEFAULT '{}',
  prediction_id  text,                         -- set for files a prediction produced
  token_id       text,
  created_at     timestamptz NOT NULL DEFAULT clock_timestamp(),
  expires_at     timestamptz
);
CREATE INDEX files_list ON files (created_at DESC, id DESC);
CREATE INDEX files_expiry ON files (expires_at) WHERE expires_at IS NOT NULL;

CREATE TABLE engine_secrets (
  name        text PRIMARY KEY,
  key         text NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);
`;
