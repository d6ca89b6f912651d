/**
 * JSON Schemas (2020-12, as OpenAPI 3.1 uses) of what the engine sends and accepts: the
 * `components.schemas` of /openapi.json. Objects the engine builds are closed
 * (`additionalProperties: false`), so a field added to an answer without being described here
 * fails the test that validates the suites' answers against the document. Fields that carry
 * user or model data (input, output, metrics, schemas, runners) stay open. Model checks and the
 * cost decision: check-schemas.ts.
 */
import { SKUS } from '../../core/hardware';
import { CHECK_REQUESTS, CHECK_SCHEMAS } from './check-schemas';
import { any, arr, bool, dateTime, int, nullable, num, obj, oneOf, open, page, ref, str, uri, type Schema } from './schema-kit';

export { ref, type Schema } from './schema-kit';

const STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'];
const EVENTS = ['start', 'output', 'logs', 'completed'];

const predictionProperties: Record<string, Schema> = {
  id: str(),
  model: str('owner/name'),
  version: str('The version id (64 hex characters).'),
  input: open('The input, with the schema\'s defaults applied ({} once data_removed).'),
  logs: str(),
  output: any('The output: any JSON value; null until there is one.'),
  data_removed: bool('Input, output and logs were removed by data retention (GANTRY_DATA_RETENTION).'),
  error: nullable(str()),
  status: { enum: STATUSES },
  source: str('api'),
  created_at: dateTime(),
  started_at: nullable(dateTime()),
  completed_at: nullable(dateTime()),
  urls: obj({ get: uri(), cancel: uri(), web: uri(), stream: uri('Server-sent events of the output, for streaming models; carries its own capability.') }, ['get', 'cancel', 'web']),
  metrics: open(
    'predict_time, total_time, queue_time; after a cold boot cold_start, fetch_time (artifacts to the worker), boot_time (process start), setup_time (the model\'s setup), artifact_cache (memory, disk or miss) and artifact_bytes_fetched; what the model reports (tokens, images, …).',
  ),
  deployment: str('Extension: the deployment it ran on.'),
  deadline: dateTime('Extension: the Cancel-After deadline.'),
  webhook: uri(),
  webhook_events_filter: arr({ enum: EVENTS }),
  cost: ref('Cost'),
  tags: { type: 'object', additionalProperties: { type: 'string' }, description: 'Extension: the tags given at create.' },
};
const predictionRequired = ['id', 'model', 'version', 'input', 'logs', 'output', 'data_removed', 'error', 'status', 'source', 'created_at', 'started_at', 'completed_at', 'urls', 'metrics'];

const version = obj({
  id: str('sha256 of the runner spec and schema.'),
  created_at: dateTime(),
  cog_version: str('The Cog release that built it, or what runs it (gantry-node, gantry-openai, unknown).'),
  openapi_schema: open('The version\'s OpenAPI schema (Input, Output, TrainingInput).'),
  runner: open('Extension: what serves it: {type: node|cog|openai, …}; secrets redacted.'),
  hardware: str(),
  gpu_count: nullable(int()),
  gpu_memory_gb: nullable(num()),
  max_concurrency: int(),
  pricing: arr(open(), 'Pricing rules: {rule, unit_price_usd}.'),
  streams: bool(),
  trainable: bool(),
});

const model = obj({
  url: uri(),
  owner: str(),
  name: str(),
  description: nullable(str()),
  visibility: { enum: ['public', 'private'] },
  github_url: nullable(str()),
  paper_url: nullable(str()),
  license_url: nullable(str()),
  cover_image_url: nullable(str()),
  weights_url: nullable(str()),
  run_count: int(),
  created_at: dateTime(),
  default_example: nullable(open()),
  latest_version: nullable(ref('Version')),
  imported_from: nullable(str('Extension: the public catalogue page it was imported from.')),
});

const account = obj({ type: { enum: ['user', 'organization'] }, username: str(), name: str() });

const instance = obj({
  id: str(),
  worker_id: str(),
  version: str(),
  deployment: nullable(str()),
  hardware: str(),
  devices: arr(any('a device index')),
  memory_gb: num(),
  state: str('booting, ready, busy, stopping, failed'),
  since: dateTime(),
  setup_time: nullable(num()),
  fetch_time: nullable(num()),
  boot_time: nullable(num()),
  artifact_cache: nullable(str('memory, disk or miss: where the boot found the version\'s artifacts')),
  last_used_at: nullable(dateTime()),
  error: nullable(str()),
});

const costLine = obj({ count: int(), quantity: num(), total_usd: num() });

const deployment = obj({
  owner: str(),
  name: str(),
  current_release: obj({
    number: int(),
    model: str(),
    version: str(),
    created_at: dateTime(),
    created_by: ref('Account'),
    configuration: obj(
      {
        hardware: str(),
        min_instances: int(),
        max_instances: int(),
        max_queue: int('Extension: most queued predictions before creates answer 429; absent when the deployment has no limit of its own.'),
      },
      ['hardware', 'min_instances', 'max_instances'],
    ),
  }),
  created_at: dateTime(),
  instances: arr(obj(Object.fromEntries(Object.entries((instance.properties as Record<string, Schema>)).filter(([k]) => k !== 'deployment' && k !== 'memory_gb')))),
  cost_so_far_usd: num('Extension: predictions plus the setup and idle time of its instances.'),
  cost_breakdown: { type: 'object', additionalProperties: costLine, description: 'Extension: by kind (prediction, setup, idle).' },
});

const file = obj({
  id: str(),
  name: str(),
  content_type: str(),
  size: int(),
  etag: str(),
  checksums: obj({ sha256: str() }),
  metadata: open(),
  created_at: dateTime(),
  expires_at: nullable(dateTime()),
  urls: obj({ get: uri(), download: uri('Signed; needs no token.') }),
});

const collectionSummary = obj({ name: str(), slug: str(), description: str() });

const tokenProperties: Record<string, Schema> = {
  id: str(),
  name: str(),
  scope: { enum: ['admin', 'run', 'read'] },
  limits: obj({ usd_per_day: nullable(num()), usd_per_month: nullable(num()) }),
  created_at: dateTime(),
  revoked_at: nullable(dateTime()),
};

const usageRow = obj(
  {
    key: nullable(str()),
    count: int(),
    total_usd: num(),
    quantity: num(),
    unit: str(),
    quantities: { type: 'object', additionalProperties: { type: 'number' } },
    by_kind: { type: 'object', additionalProperties: obj({ count: int(), total_usd: num() }) },
    cold_starts: obj({ count: int(), fetch_time: num(), boot_time: num(), setup_time: num() }),
    token: nullable(obj({ name: str(), scope: str(), limits: tokenProperties.limits })),
  },
  ['key', 'count', 'total_usd', 'quantity', 'unit', 'quantities', 'by_kind', 'cold_starts'],
);

const subscription = obj({
  id: str(),
  url: uri(),
  events: arr({ enum: EVENTS }),
  model: nullable(str()),
  deployment: nullable(str()),
  created_at: dateTime(),
});

const check = obj({ ok: bool(), detail: str(), ms: int() }, ['ok', 'ms']);

/** What a training's output is once it succeeded: the new version, as Replicate names it, and its weights. */
const trainingOutput: Schema = {
  anyOf: [
    { type: 'null' },
    {
      type: 'object',
      description: "The trainer's own output fields, plus version and weights once the training succeeded.",
      properties: {
        version: { type: 'string', pattern: '^[^/:\\s]+/[^/:\\s]+:[0-9a-f]{64}$', description: 'The new version of the destination, `owner/name:<version id>` (usable as a prediction\'s version).' },
        weights: str('Where the trained weights are stored (the new version\'s weights).'),
      },
    },
  ],
};

const delivery = obj({
  id: str('The webhook-id header of every attempt.'),
  url: uri(),
  event: oneOf(EVENTS),
  status: oneOf(['pending', 'delivered', 'dead'], 'pending: being sent or waiting for a retry; dead: given up.'),
  attempts: int(),
  retryable: bool('Final (completed) events are retried with backoff; the others get one attempt.'),
  last_status: nullable(int('The HTTP status of the last attempt.')),
  last_error: nullable(str()),
  created_at: dateTime(),
  delivered_at: nullable(dateTime()),
  next_attempt_at: nullable(dateTime('When the next attempt is due (pending only).')),
});

const SKU_NAMES = SKUS.map((s) => s.sku);

const price = obj({
  sku: oneOf(SKU_NAMES),
  name: str(),
  gpu_count: int('0 for cpu.'),
  gpu_memory_gb: num('Memory of each GPU (0 for cpu).'),
  price_per_second_usd: num('What this engine charges (GANTRY_PRICES applied).'),
  price_per_hour_usd: num(),
  served: bool('Whether a live worker serves it now.'),
});

const dailySeriesProperties: Record<string, Schema> = {
  count: int(),
  total_usd: num(),
  daily_usd: arr(num(), 'One figure per entry of days (0 on days without usage).'),
  daily_count: arr(int()),
};

const day = { type: 'string', format: 'date', description: 'A UTC day, YYYY-MM-DD.' };

/** Everything in `components.schemas`. */
export const SCHEMAS: Record<string, Schema> = {
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details (application/problem+json). Extension members: retry_after and queue (429), limit (402), checks (503).',
    required: ['type', 'title', 'status', 'detail'],
    properties: {
      type: str(),
      title: str(),
      status: { type: 'integer', minimum: 400, maximum: 599 },
      detail: str(),
      errors: arr(obj({ pointer: str('A JSON pointer into the request: /input/text, /headers/prefer, /limit, …'), detail: str() })),
      retry_after: int('Seconds to wait before retrying (also the Retry-After header).'),
      queue: obj({ scope: { enum: ['deployment', 'version', 'engine'] }, name: nullable(str()), limit: int(), queued: int() }),
      limit: obj({ name: { enum: ['usd_per_day', 'usd_per_month'] }, usd: num(), spent_usd: num(), resets_at: dateTime() }),
      checks: { type: 'object', additionalProperties: check },
    },
  },
  Cost: { type: 'object', description: 'Extension: { total_usd, rule, quantity, unit_price_usd, hardware } (items when several rules apply).', required: ['total_usd'], properties: { total_usd: num() } },
  Prediction: obj(predictionProperties, predictionRequired),
  Training: {
    ...obj({ ...predictionProperties, output: trainingOutput, destination: str('owner/name of the model that gets the new version.') }, predictionRequired),
    // A succeeded training always names the version it made.
    if: { properties: { status: { const: 'succeeded' } }, required: ['status'] },
    then: { properties: { output: { type: 'object', required: ['version', 'weights'] } } },
  },
  PredictionPage: page('Prediction'),
  TrainingPage: page('Training'),
  Version: version,
  VersionPage: page('Version'),
  Model: model,
  ModelPage: page('Model'),
  Account: account,
  Hardware: arr(obj({ name: str(), sku: str() })),
  Deployment: deployment,
  DeploymentPage: page('Deployment'),
  File: file,
  FilePage: page('File'),
  CollectionSummary: collectionSummary,
  CollectionPage: page('CollectionSummary'),
  Collection: obj({ ...(collectionSummary.properties as Record<string, Schema>), full_description: str(), models: arr(ref('Model')) }),
  SearchResult: obj({
    query: str(),
    models: arr(obj({ model: ref('Model'), metadata: obj({ generated_description: str(), tags: arr(str()), score: num() }) })),
    collections: arr(ref('CollectionSummary')),
    pages: arr(open()),
  }),
  WebhookSecret: obj({ key: str('whsec_…: verifies the webhook-signature header.') }),
  WebhookSubscription: subscription,
  WebhookSubscriptionList: obj({ previous: { type: 'null' }, next: { type: 'null' }, results: arr(ref('WebhookSubscription')) }),
  Token: obj(tokenProperties),
  NewToken: obj({ ...tokenProperties, token: str('The secret: shown once.') }),
  TokenList: obj({ results: arr(ref('Token')) }),
  Usage: obj(
    { group_by: str(), since: nullable(dateTime()), until: nullable(dateTime()), tag: str('The tag filter, key:value (when one was given).'), results: arr(usageRow) },
    ['group_by', 'since', 'until', 'results'],
  ),
  UsageDaily: obj({
    stack_by: str('model, version, deployment, token, kind, hardware, rule or tag:<key>'),
    since: dateTime(),
    until: dateTime(),
    days: arr(day, 'Every UTC day of the range, oldest first.'),
    series: arr(obj({ key: nullable(str()), ...dailySeriesProperties }), 'One per key, costliest first.'),
    totals: obj(dailySeriesProperties),
  }),
  UsageProjection: obj({
    month: { type: 'string', pattern: '^[0-9]{4}-[0-9]{2}$', description: 'The UTC month, YYYY-MM.' },
    month_start: dateTime(),
    month_end: dateTime(),
    as_of: dateTime(),
    month_to_date_usd: num(),
    rate_window_start: dateTime('The trailing week, or since the first usage record when the engine is younger.'),
    rate_window_seconds: int('At least an hour.'),
    rate_usd_per_day: num(),
    projected_month_usd: num('Month to date plus the rest of the month at the current rate.'),
  }),
  Prices: obj({ results: arr(price) }),
  WebhookDeliveryList: obj({ results: arr(delivery, 'Oldest first; the body (the prediction itself) is left out.') }),
  RouteList: obj({ routes: arr(obj({ method: str(), url: str('The route pattern (:name parameters, * wildcards).') })) }),
  Cluster: obj({
    workers: arr(
      open(
        'A worker: id, name, hardware, cpu_slots, gpus (index, sku, name, memory_gb, memory_in_use_gb, instances), heartbeat, alive, pending work, artifacts (the versions whose artifacts it holds: version, tier memory|disk, bytes) and cache (budget_bytes, used_bytes, memory_budget_bytes, memory_used_bytes, hits_memory, hits_disk, misses, fetched_bytes, evictions; null for workers that report none).',
      ),
    ),
    instances: arr(instance),
    queues: arr(obj({ model: str(), version: str(), deployment: nullable(str()), hardware: str(), queued: int(), running: int(), oldest_queued_at: nullable(dateTime()) })),
    unplaceable: arr(open('A queue no live worker can serve, with the reason.')),
  }),
  CatalogueSearch: obj({
    query: str(),
    source: open('Where the catalogue data comes from (package and version).'),
    results: arr(obj({ url: str(), owner: str(), name: str(), description: nullable(str()), run_count: num(), cover_image_url: nullable(str()), github_url: nullable(str()), imported: bool() })),
  }),
  CatalogueEntry: { type: 'object', required: ['owner', 'name', 'imported'], properties: { owner: str(), name: str(), imported: bool() }, description: 'The public catalogue\'s entry as published, plus imported.' },
  Health: obj({ status: { const: 'ok' } }),
  Readiness: obj({ status: { enum: ['ready', 'not ready'] }, checks: { type: 'object', additionalProperties: check } }),
  OpenApiDocument: open('This document.'),
  ...CHECK_SCHEMAS,
};

/** The fields every prediction and training create takes (tags: at most 50; stream is accepted and ignored). */
function createFields(schema: 'Input' | 'TrainingInput'): Record<string, Schema> {
  return {
    input: open(`Checked against the version's ${schema} schema, defaults applied.`),
    webhook: uri(),
    webhook_events_filter: arr({ enum: EVENTS }),
    tags: { type: 'object', additionalProperties: { type: 'string' }, maxProperties: 50 },
    ...(schema === 'Input' ? { stream: bool('Accepted and ignored: streaming models always stream.') } : {}),
  };
}

// Request bodies.
export const REQUESTS: Record<string, Schema> = {
  PredictionCreate: obj({ version: str('A 64-hex version id, owner/name (its latest version) or owner/name:id.'), ...createFields('Input') }, ['version', 'input']),
  ModelPredictionCreate: obj(createFields('Input'), ['input']),
  TrainingCreate: obj({ destination: str('owner/name of an existing model.'), ...createFields('TrainingInput') }, ['destination', 'input']),
  ModelCreate: {
    type: 'object',
    required: ['owner', 'name'],
    properties: {
      owner: str(),
      name: str(),
      visibility: { enum: ['public', 'private'] },
      hardware: str(),
      description: str(),
      github_url: uri(),
      paper_url: uri(),
      license_url: uri(),
      cover_image_url: uri(),
    },
    additionalProperties: false,
  },
  VersionCreate: {
    type: 'object',
    required: ['runner'],
    properties: {
      runner: open('{type: "node", module} | {type: "cog", url | command, image?, mode?, webhook_host?} | {type: "openai", url | command, model, api_key?}'),
      hardware: str(),
      gpu_count: int(),
      gpu_memory_gb: num(),
      max_concurrency: int(),
      pricing: arr(open()),
      weights: str(),
      openapi_schema: open(),
    },
    additionalProperties: false,
  },
  ModelImport: {
    type: 'object',
    required: ['model'],
    properties: { model: str('owner/name in the public catalogue'), hardware: str(), command: str('A command template with {image}, {port}, {gpus}.') },
    additionalProperties: false,
  },
  DeploymentCreate: {
    type: 'object',
    required: ['name', 'model', 'version'],
    properties: {
      name: str(),
      model: str('owner/name'),
      version: str(),
      hardware: str(),
      min_instances: int(),
      max_instances: int(),
      max_queue: nullable(int('Extension: backpressure limit (429 beyond it).')),
    },
    additionalProperties: false,
  },
  DeploymentUpdate: {
    type: 'object',
    properties: { version: str(), hardware: str(), min_instances: int(), max_instances: int(), max_queue: nullable(int()) },
    additionalProperties: false,
  },
  WebhookSubscriptionCreate: {
    type: 'object',
    required: ['url'],
    properties: { url: uri(), events: arr({ enum: EVENTS }), model: nullable(str()), deployment: nullable(str()) },
    additionalProperties: false,
  },
  TokenCreate: {
    type: 'object',
    required: ['name', 'scope'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 200 },
      scope: { enum: ['admin', 'run', 'read'] },
      limits: nullable({ type: 'object', properties: { usd_per_day: nullable({ type: 'number', minimum: 0 }), usd_per_month: nullable({ type: 'number', minimum: 0 }) }, additionalProperties: false }),
    },
    additionalProperties: false,
  },
  FileUpload: {
    type: 'object',
    required: ['content'],
    properties: { content: { type: 'string', contentMediaType: 'application/octet-stream' }, filename: str(), type: str(), metadata: str('A JSON object, as text.') },
  },
  ...CHECK_REQUESTS,
};
