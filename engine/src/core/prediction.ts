/**
 * The prediction lifecycle and its wire shape. Rows come from the store; `toWire` turns one into
 * exactly the object Replicate returns (plus `cost`, `tags` and extra metrics, which clients ignore).
 */
export type Status = 'starting' | 'processing' | 'succeeded' | 'failed' | 'canceled' | 'aborted';
export type Kind = 'prediction' | 'training';

export const TERMINAL: ReadonlySet<Status> = new Set(['succeeded', 'failed', 'canceled', 'aborted']);
export const isTerminal = (s: string): boolean => TERMINAL.has(s as Status);

export interface PredictionRow {
  id: string;
  kind: Kind;
  model: string;
  version: string;
  deployment: string | null;
  destination: string | null;
  input: Record<string, unknown>;
  output: unknown;
  logs: string;
  error: string | null;
  status: Status;
  source: string;
  hardware: string;
  created_at: Date;
  started_at: Date | null;
  completed_at: Date | null;
  deadline: Date | null;
  webhook: string | null;
  webhook_events_filter: string[] | null;
  metrics: Record<string, unknown>;
  cost: Record<string, unknown> | null;
  tags: Record<string, string>;
  token_id: string | null;
  /** X-Request-Id of the request that created it (migration 0010; null before). */
  request_id?: string | null;
  stream_key: string | null;
  attempts: number;
  worker_id: string | null;
  cancel_requested_at: Date | null;
  /** Input, output and logs were cleared by data retention (GANTRY_DATA_RETENTION). */
  data_removed: boolean;
}

const iso = (d: Date | null) => (d ? d.toISOString() : null);

export function toWire(row: PredictionRow, publicUrl: string): Record<string, unknown> {
  const base = `${publicUrl}/v1/${row.kind === 'training' ? 'trainings' : 'predictions'}/${row.id}`;
  const urls: Record<string, string> = {
    get: base,
    cancel: `${base}/cancel`,
    web: `${publicUrl}/p/${row.id}`,
  };
  if (row.stream_key) urls.stream = `${publicUrl}/v1/streams/${row.id}/${row.stream_key}`;
  const wire: Record<string, unknown> = {
    id: row.id,
    model: row.model,
    version: row.version,
    input: row.input,
    logs: row.logs,
    output: row.output ?? null,
    data_removed: row.data_removed ?? false,
    error: row.error,
    status: row.status,
    source: row.source,
    created_at: iso(row.created_at),
    started_at: iso(row.started_at),
    completed_at: iso(row.completed_at),
    urls,
    metrics: row.metrics,
  };
  if (row.deployment) wire.deployment = row.deployment;
  if (row.destination) wire.destination = row.destination;
  if (row.deadline) wire.deadline = iso(row.deadline);
  if (row.webhook) wire.webhook = row.webhook;
  if (row.webhook_events_filter) wire.webhook_events_filter = row.webhook_events_filter;
  if (row.cost) wire.cost = row.cost;
  if (Object.keys(row.tags).length > 0) wire.tags = row.tags;
  return wire;
}

/** Replicate's version reference forms: bare 64-hex id, `owner/name`, `owner/name:id`. */
export type VersionRef = { id: string } | { owner: string; name: string; id?: string };

const HEX64 = /^[0-9a-f]{64}$/;
const NAME = /^[a-z0-9][a-z0-9._-]*$/i;

export function parseVersionRef(text: string): VersionRef | undefined {
  if (HEX64.test(text)) return { id: text };
  const m = /^([^/:\s]+)\/([^/:\s]+)(?::([0-9a-f]{64}))?$/.exec(text);
  if (!m || !NAME.test(m[1]) || !NAME.test(m[2])) return undefined;
  return m[3] ? { owner: m[1], name: m[2], id: m[3] } : { owner: m[1], name: m[2] };
}

export function isValidName(text: string): boolean {
  return NAME.test(text) && text.length <= 100;
}

/** Queue, run and total seconds of a prediction that ends at `end`. */
export function timings(row: Pick<PredictionRow, 'created_at' | 'started_at'>, end: Date) {
  return {
    predict_time: row.started_at ? secondsBetween(row.started_at, end) : 0,
    total_time: secondsBetween(row.created_at, end),
    queue_time: secondsBetween(row.created_at, row.started_at ?? end),
  };
}

/** Seconds between two instants, rounded to the millisecond. */
export function secondsBetween(from: Date, to: Date): number {
  return Math.max(0, Math.round(to.getTime() - from.getTime()) / 1000);
}
