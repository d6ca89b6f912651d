/**
 * Model checks (the Test stage). Terminology:
 * - check: one request to test a model version; it runs real predictions and ends with a report.
 * - planned run: one prediction the check will make (which input, on which hardware, under which
 *   deadline, for which checklist item). The plan is fixed when the check is created.
 * - run: a planned run as it happened: the prediction it made (or why it could not make one).
 *   A run whose prediction was interrupted by an engine restart is made again (a new attempt).
 * - item: one row of the checklist (consistency, cold_start, ...), computed from the runs only,
 *   so every time and cost in a report can be recomputed from the predictions it lists.
 */

export const ITEM_KEYS = [
  'consistency',
  'cold_start',
  'runtime',
  'worst_case',
  'compare',
  'hardware',
  'timeout_retry',
  'cost_per_action',
  'license',
  'version_stability',
] as const;
export type ItemKey = (typeof ITEM_KEYS)[number];

export type ItemStatus = 'pass' | 'warn' | 'fail' | 'skipped';

export interface ReportItem {
  key: ItemKey;
  title: string;
  status: ItemStatus;
  /** One sentence a person reads first; for `skipped` it says why. */
  summary: string;
  figures: Record<string, unknown>;
  /** Ids of the predictions this item's figures come from. */
  predictions: string[];
}

/** Which checklist item a planned run serves. */
export type RunPurpose = 'consistency' | 'timeout_retry' | 'worst_case' | 'hardware' | 'compare';

export interface PlannedRun {
  /** Unique within the check, e.g. `consistency.1`, `hardware.gpu-t4.2`. */
  key: string;
  purpose: RunPurpose;
  /** `checked` is the model under test; `compare` is `compare_with`. */
  target: 'checked' | 'compare';
  model: string;
  version: string;
  deployment: string | null;
  hardware: string;
  input: Record<string, unknown>;
  /** The run's Cancel-After deadline in seconds. */
  cancel_after_s: number;
  /** Make this run only when the run with this key did not succeed (a client's retry). */
  only_if_failed?: string;
  /** Worst-case runs: which input this is (`schema limits`, `marked input 1`). */
  label?: string;
}

export interface WorstCaseInput {
  label: string;
  input: Record<string, unknown>;
  /** What differs from the typical input, for the report. */
  changes: Array<{ field: string; from: string; to: string; why: string }>;
}

export interface HardwareOption {
  sku: string;
  available: boolean;
  /** Why no run happens on it (no live worker serves it). */
  reason?: string;
}

export interface CheckPlan {
  runs: PlannedRun[];
  /** The SKUs the request listed, whether a worker serves each. */
  hardware: HardwareOption[];
  /** Worst-case inputs, or why there are none; the fields that declare no limit (kept typical), and why. */
  worst_case: { inputs: WorstCaseInput[]; skipped?: string; unlimited?: string[] };
  /** The deadline a production client would set (the request's `timeout`). */
  deadline_s: number;
}

/** The normalised request, as stored and echoed on the check object. */
export interface CheckRequest {
  model: string;
  /** The version the request named (`owner/name:version`), or null for the latest. */
  pinned_version: string | null;
  deployment: string | null;
  input: Record<string, unknown>;
  runs: number;
  hardware: string[];
  compare_with: string | null;
  worst_case: { from_schema: boolean; inputs: Array<Record<string, unknown>> } | false;
  timeout_s: number;
  webhook: string | null;
  webhook_events_filter: string[] | null;
}

/**
 * A prediction's end status, or: `refused` (the create path refused it), `skipped` (a retry that
 * was not needed), `pending` (not made or not ended yet), `stopped` (canceled with the check).
 */
export type RunStatus = 'succeeded' | 'failed' | 'canceled' | 'aborted' | 'refused' | 'skipped' | 'pending' | 'stopped';

/** A run as the report sees it: the facts of its prediction (or why it has none). */
export interface RunFacts {
  key: string;
  purpose: RunPurpose;
  target: 'checked' | 'compare';
  model: string;
  version: string;
  hardware: string;
  label?: string;
  attempt: number;
  prediction_id: string | null;
  status: RunStatus;
  error: string | null;
  /** Seconds, from the prediction's metrics. */
  predict_time_s: number | null;
  total_time_s: number | null;
  queue_time_s: number | null;
  setup_time_s: number | null;
  cold_start: boolean;
  /** Seconds from the start of predict to the first streamed output piece. */
  time_to_first_output_s: number | null;
  cost_usd: number | null;
  cost_rule: string | null;
  cost_quantity: number | null;
  unit_price_usd: number | null;
  /** sha256 of the output, with output files replaced by the sha256 of their content. */
  output_digest: string | null;
  /** The output as text when it is text (or a list of text pieces); for similarity. */
  output_text: string | null;
  /** sha256 of each output file's content. */
  file_hashes: string[];
}

/** Facts about the model that are not runs: licence and versions (read when the report is built). */
export interface ModelFacts {
  license_url: string | null;
  /** Where the licence came from: the model here, or the public catalogue's entry. */
  license_source: 'model' | 'public catalogue' | null;
  versions: Array<{ id: string; created_at: string; input_schema: Record<string, unknown> }>;
  latest_version: string | null;
  /** The checked version's input schema (properties and required). */
  checked_schema: Record<string, unknown>;
  /** $/s of each SKU (what this engine charges), for the SKUs the request listed. */
  prices_per_second: Record<string, number>;
}
