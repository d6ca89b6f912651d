/**
 * Schemas of model checks (`/v1/checks`) and the cost decision (`/v1/decide`) in /openapi.json,
 * written from the code that builds them: checks/wire.ts, checks/report.ts, checks/types.ts and
 * checks/decide/*. Closed where the engine builds the object; a report item's `figures` and the
 * check's `input` stay open (they differ by item and by model).
 */
import { SKUS } from '../../core/hardware';
import { ITEM_KEYS } from '../../checks/types';
import { OPTIONS } from '../../checks/decide/options';
import { arr, bool, dateTime, int, map, nullable, num, obj, oneOf, open, page, ref, str, uri, type Schema } from './schema-kit';

const CHECK_STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled'];
const ITEM_STATUSES = ['pass', 'warn', 'fail', 'skipped'];
const PURPOSES = ['consistency', 'timeout_retry', 'worst_case', 'hardware', 'compare'];
const RUN_STATUSES = ['succeeded', 'failed', 'canceled', 'aborted', 'refused', 'skipped', 'pending', 'stopped'];
const EVENTS = ['start', 'output', 'logs', 'completed'];
const OFFICIAL_RULES = ['per_image', 'per_input_token', 'per_output_token', 'per_prediction', 'per_audio_second', 'per_video_second'];
const SKU_NAMES = SKUS.map((s) => s.sku);
const seconds = (description?: string) => nullable(num(description));

/** A run as a report lists it (RunFacts without the output text). */
const checkRun = obj(
  {
    key: str('Unique within the check, e.g. consistency.1, hardware.gpu-t4.2.'),
    purpose: oneOf(PURPOSES),
    target: oneOf(['checked', 'compare']),
    model: str(),
    version: str(),
    hardware: str(),
    label: str('Worst-case runs: which input (schema limits, marked input 1).'),
    attempt: int('0 when not made; more than 1 when an engine restart interrupted an earlier attempt.'),
    prediction_id: nullable(str()),
    status: oneOf(RUN_STATUSES, 'The prediction\'s end status, or refused (the create was refused), skipped (a retry that was not needed), pending, stopped (canceled with the check).'),
    error: nullable(str()),
    predict_time_s: seconds(),
    total_time_s: seconds(),
    queue_time_s: seconds(),
    setup_time_s: seconds(),
    cold_start: bool(),
    time_to_first_output_s: seconds(),
    cost_usd: nullable(num()),
    cost_rule: nullable(str()),
    cost_quantity: nullable(num()),
    unit_price_usd: nullable(num()),
    output_digest: nullable(str('sha256 of the output, output files replaced by the sha256 of their content.')),
    file_hashes: arr(str()),
  },
  [
    'key', 'purpose', 'target', 'model', 'version', 'hardware', 'attempt', 'prediction_id', 'status', 'error', 'predict_time_s', 'total_time_s',
    'queue_time_s', 'setup_time_s', 'cold_start', 'time_to_first_output_s', 'cost_usd', 'cost_rule', 'cost_quantity', 'unit_price_usd',
    'output_digest', 'file_hashes',
  ],
);

const report = obj({
  format: int('1'),
  status: oneOf(['pass', 'warn', 'fail']),
  counts: obj(Object.fromEntries(ITEM_STATUSES.map((s) => [s, int()]))),
  model: str(),
  version: str(),
  hardware: str(),
  compare_with: nullable(obj({ model: str(), version: str() })),
  items: arr(
    obj({
      key: oneOf(ITEM_KEYS),
      title: str(),
      status: oneOf(ITEM_STATUSES),
      summary: str('One sentence; for skipped, why.'),
      figures: open('The item\'s figures (suffixes: _s seconds, _usd dollars, _rate 0–1, _ratio a multiple).'),
      predictions: arr(str(), 'Ids of the predictions the figures come from.'),
      description: str(),
    }),
    'One per checklist item, in a fixed order.',
  ),
  totals: obj({ predictions: int(), cost_usd: num(), predict_time_s: num() }),
  runs: arr(checkRun),
  superseded_runs: arr(checkRun, 'Attempts an engine restart interrupted and the check made again (counted in totals).'),
  conventions: open('What figure suffixes, percentiles and statuses mean.'),
  stopped: nullable(str('Why items may be missing (canceled, failed).')),
});

const check = obj({
  id: str(),
  status: oneOf(CHECK_STATUSES),
  model: str('owner/name'),
  version: str('The version checked.'),
  deployment: nullable(str()),
  input: open('The typical input, defaults applied ({} once data_removed).'),
  runs: int(),
  hardware: arr(str(), 'The SKUs the request listed.'),
  compare_with: nullable(str()),
  worst_case: bool(),
  timeout: { type: 'string', pattern: '^[0-9]+(\\.[0-9]+)?s$', description: 'The deadline of a production client, in seconds (e.g. 60s).' },
  planned_runs: arr(
    obj(
      { key: str(), purpose: oneOf(PURPOSES), model: str(), hardware: str(), cancel_after_s: num(), label: str() },
      ['key', 'purpose', 'model', 'hardware', 'cancel_after_s'],
    ),
  ),
  progress: obj({ planned: int(), finished: int() }),
  created_at: dateTime(),
  started_at: nullable(dateTime()),
  completed_at: nullable(dateTime()),
  error: nullable(str()),
  logs: str(),
  data_removed: bool(),
  report: nullable(ref('CheckReport')),
  webhook: nullable(uri()),
  webhook_events_filter: nullable(arr(oneOf(EVENTS))),
  urls: obj({ get: uri(), cancel: uri(), markdown: uri('The report as a Markdown page.') }),
});

/** One option's cost (checks/decide/options.ts). */
const option = (extra: Record<string, Schema>, required: string[] = []) =>
  obj(
    {
      total_usd: nullable(num('null when the option has no price for some hardware of the group.')),
      variable_usd: nullable(num('The part that grows with use (the rest is fixed for the period).')),
      basis: str('How it was computed.'),
      ...extra,
    },
    ['total_usd', 'variable_usd', 'basis', ...required],
  );

const dedicatedRow = obj({
  sku: str(),
  instances: int('Enough for the peak concurrency.'),
  gpus_per_instance: int(),
  gpu_hours: num(),
  provider: str(),
  per_gpu_hour_usd: num(),
  total_usd: num(),
  alternatives: arr(obj({ provider: str(), per_gpu_hour_usd: num(), total_usd: num() })),
});

const optionKey = oneOf(OPTIONS);
const options = obj({
  gantry: option({}),
  replicate_public: option({ by_hardware: map(num()) }, ['by_hardware']),
  replicate_private: option({ by_hardware: map(num()) }, ['by_hardware']),
  dedicated: option({ by_hardware: arr(dedicatedRow), unavailable: arr(str(), 'SKUs without a dedicated price, and how to set one.') }, ['by_hardware']),
});

/** What a group, and each SKU of it, used in the period. */
const used: Record<string, Schema> = {
  predictions: int(),
  active_seconds: num(),
  setup_seconds: num(),
  idle_seconds: num(),
  peak_concurrency: int(),
  mean_concurrency: num(),
  utilisation: nullable(num('Active seconds over what a fleet sized for the peak could run (0–1).')),
};

const decideGroup = obj({
  key: nullable(str('The model or deployment; null for records without one.')),
  ...used,
  hardware: arr(obj({ sku: str(), ...used, min_instances_seconds: num(), replicate_per_second_usd: nullable(num()) })),
  deployments: arr(obj({ name: str(), hardware: str(), min_instances: int() })),
  options,
  cheapest: optionKey,
  break_even_utilisation: arr(
    obj({
      options: { type: 'array', items: optionKey, minItems: 2, maxItems: 2 },
      utilisation: nullable(num('Where both cost the same; null when they scale alike.')),
      reachable: bool('Between 0 and 100 %.'),
      cheaper_above: nullable(optionKey),
      cheaper_now: optionKey,
    }),
  ),
  recommendation: str(),
});

const officialPrice = obj({ rule: oneOf(OFFICIAL_RULES), unit_price_usd: num() });

const prices = obj({
  replicate: obj({ source: str(), retrieved: str(), per_second: map(num(), '$ per second by SKU.') }),
  official_models: obj({ source: str(), retrieved: str(), models: map(arr(officialPrice), 'owner/name → per-unit prices.') }),
  dedicated: obj({
    providers: arr(
      obj({ id: str(), name: str(), source: str(), retrieved: str(), per_gpu_hour: map(num(), '$ per GPU-hour by GPU type.'), note: str() }, ['id', 'name', 'source', 'retrieved', 'per_gpu_hour']),
    ),
    chosen: nullable(str()),
  }),
  overridden: arr(str(), 'What GANTRY_PRICES and the request changed.'),
});

export const CHECK_SCHEMAS: Record<string, Schema> = {
  Check: check,
  CheckPage: page('Check'),
  CheckReport: report,
  CheckRun: checkRun,
  Decision: obj({
    since: dateTime(),
    until: dateTime(),
    period_seconds: num(),
    group_by: oneOf(['model', 'deployment']),
    prices,
    groups: arr(decideGroup, 'Costliest here first.'),
    totals: obj(Object.fromEntries(OPTIONS.map((o) => [o, nullable(num())]))),
    recommendation: str(),
  }),
};

/** `since`/`until` of a decision: an ISO date or date-time, or a time ago (30d, 12h, 90m). */
const instantOrAgo = str('An ISO 8601 date or date-time, or a time ago: 30d, 12h, 90m, 45s, 2w.');

export const CHECK_REQUESTS: Record<string, Schema> = {
  CheckCreate: obj(
    {
      model: str('owner/name or owner/name:<64-hex version>'),
      deployment: nullable(str('owner/name of a deployment of the model: the runs go there.')),
      input: open('The typical input, checked against the version\'s schema.'),
      runs: { type: 'integer', minimum: 2, maximum: 20, default: 5 },
      hardware: nullable({ type: 'array', items: oneOf(SKU_NAMES), maxItems: 10, uniqueItems: true, description: 'SKUs to run it on as well.' }),
      compare_with: nullable(str('owner/name[:version] to run the same input on.')),
      worst_case: {
        description: 'true (default): inputs at the schema\'s limits; false: none; or which.',
        anyOf: [
          { type: ['boolean', 'null'] },
          obj({ from_schema: bool(), inputs: { type: 'array', items: open('Input fields to change.'), maxItems: 5 } }, []),
        ],
      },
      timeout: { type: ['string', 'number', 'null'], description: 'A production client\'s deadline: 60s, 5m, or seconds (5 s to 1 h; default 60s).' },
      webhook: nullable(uri()),
      webhook_events_filter: nullable(arr(oneOf(EVENTS))),
    },
    ['model', 'input'],
  ),
  DecideRequest: obj(
    {
      since: nullable(instantOrAgo),
      until: nullable(instantOrAgo),
      group_by: oneOf(['model', 'deployment']),
      prices: nullable(
        obj(
          {
            replicate: map({ type: 'number', minimum: 0 }, 'Replicate\'s $ per second by SKU.'),
            official_models: map(map({ type: 'number', minimum: 0 }), 'owner/name → { per_image | per_input_token | … : $ per unit }.'),
            dedicated: obj({ provider: str('A provider id, or custom.'), per_gpu_hour: map({ type: 'number', minimum: 0 }, '$ per GPU-hour by GPU type (or cpu).') }, []),
          },
          [],
          'Overrides of the shipped price tables (and of GANTRY_PRICES), for this request.',
        ),
      ),
    },
    [],
  ),
};

