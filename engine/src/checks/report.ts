/**
 * The check report: one item per checklist row, built only from the runs (their predictions'
 * metrics and cost) and the model's facts, so it can be rebuilt and every figure recomputed.
 * Pure: no I/O.
 */
import { roundSeconds, roundUsd } from './stats';
import type { ItemStatus, ReportItem, RunFacts } from './types';
import { allMade, DESCRIPTIONS, numbers, type ReportInput } from './items/common';
import { consistencyItem } from './items/consistency';
import { coldStartItem } from './items/cold-start';
import { runtimeItem } from './items/runtime';
import { worstCaseItem } from './items/worst-case';
import { compareItem } from './items/compare';
import { hardwareItem } from './items/hardware';
import { timeoutRetryItem } from './items/timeout-retry';
import { costPerActionItem } from './items/cost-per-action';
import { licenseItem } from './items/license';
import { versionStabilityItem } from './items/version-stability';

export const REPORT_FORMAT = 1;

/** Read by consoles and scripts: what the suffixes and statuses of figures mean. */
const CONVENTIONS = {
  suffixes: { _s: 'seconds', _usd: 'US dollars', _rate: 'a fraction from 0 to 1', _ratio: 'a multiple of the typical (or checked) value' },
  percentiles: 'nearest rank: the p-th percentile of n sorted values is the ceil(p/100 × n)-th',
  statuses: { pass: 'fine for production', warn: 'works, with a caveat the summary names', fail: 'a problem to fix before production', skipped: 'not measured; the summary says why' },
  source: 'every time and cost comes from the metrics and cost of the predictions listed in runs (and superseded_runs)',
};

export interface Report {
  format: number;
  status: Exclude<ItemStatus, 'skipped'>;
  counts: Record<ItemStatus, number>;
  model: string;
  version: string;
  hardware: string;
  compare_with: { model: string; version: string } | null;
  items: Array<ReportItem & { description: string }>;
  totals: { predictions: number; cost_usd: number; predict_time_s: number };
  runs: Array<Omit<RunFacts, 'output_text'>>;
  /** Attempts an engine restart interrupted and the check made again (counted in totals). */
  superseded_runs: Array<Omit<RunFacts, 'output_text'>>;
  conventions: typeof CONVENTIONS;
  /** Set when the check did not run to the end (canceled, failed): why items may be missing. */
  stopped: string | null;
}

const ITEMS = [
  consistencyItem,
  coldStartItem,
  runtimeItem,
  worstCaseItem,
  compareItem,
  hardwareItem,
  timeoutRetryItem,
  costPerActionItem,
  licenseItem,
  versionStabilityItem,
];

/** The runs as the report lists them: the output texts (kept for the similarity figure) stay out. */
function withoutText({ output_text: _text, ...run }: RunFacts): Omit<RunFacts, 'output_text'> {
  return run;
}

export function buildReport(input: ReportInput): Report {
  const items = ITEMS.map((build) => {
    const built = build(input);
    return { ...built, description: DESCRIPTIONS[built.key] };
  });
  const counts: Record<ItemStatus, number> = { pass: 0, warn: 0, fail: 0, skipped: 0 };
  for (const i of items) counts[i.status]++;
  const made = allMade(input);
  return {
    format: REPORT_FORMAT,
    status: counts.fail ? 'fail' : counts.warn ? 'warn' : 'pass',
    counts,
    model: input.checked.model,
    version: input.checked.version,
    hardware: input.checked.hardware,
    compare_with: input.compare,
    items,
    totals: {
      predictions: made.length,
      cost_usd: roundUsd(numbers(made.map((r) => r.cost_usd)).reduce((s, c) => s + c, 0)),
      predict_time_s: roundSeconds(numbers(made.map((r) => r.predict_time_s)).reduce((s, c) => s + c, 0)),
    },
    runs: input.runs.map(withoutText),
    superseded_runs: (input.superseded ?? []).map(withoutText),
    conventions: CONVENTIONS,
    stopped: input.stopped ?? null,
  };
}
