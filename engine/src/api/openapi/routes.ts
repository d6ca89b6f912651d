/**
 * What each route does, keyed by method and Fastify route pattern. The OpenAPI document is built
 * from the routes the app actually registers, joined with these descriptions: a registered route
 * without an entry here is listed as undocumented (and fails a test), an entry without a route as
 * unrouted. Path parameters come from the route pattern; Idempotency-Key (and Idempotent-Replayed
 * on its answers), the required scope and the error answers are added by the builder. Checks and
 * the cost decision: check-routes.ts; the console's pages: console-routes.ts.
 */
import { ref, REQUESTS } from './schemas';
import { CHECK_ROUTE_DOCS } from './check-routes';
import { CONSOLE_ROUTE_DOCS } from './console-routes';
import { cursor, empty, json, limitQuery, location, type QueryDoc, type RouteDoc } from './route-kit';

export type { RouteDoc } from './route-kit';

const STATUS_LIST = '(starting|processing|succeeded|failed|canceled|aborted)';
/** `key:value` (the key 1–100 characters, no colon; the value may hold colons). */
const tagFilter = (description: string, max = 10): QueryDoc => ({
  description,
  schema: { type: 'array', maxItems: max, items: { type: 'string', pattern: '^[^:]{1,100}:[\\s\\S]*$' } },
});
const GROUPINGS = ['model', 'version', 'deployment', 'token', 'day', 'kind', 'hardware', 'rule'];
/** A usage grouping: one of `names`, or `tag:<key>`. */
const grouping = (names: string[]) => ({ type: 'string', pattern: `^(${names.join('|')}|tag:[\\s\\S]{1,100})$` });
/** since/until of the usage endpoints. */
const usageRange = (what: string): Record<string, QueryDoc> => ({
  since: { description: `ISO 8601 date or date-time, inclusive${what}.` },
  until: { description: `ISO 8601 date or date-time, exclusive${what}.` },
});

/** Prefer and Cancel-After, on every prediction and training create. */
const CREATE_HEADERS = {
  prefer: { description: '`wait` (60 s) or `wait=N` (1–60): hold the request until the prediction ends or the time runs out (then 202 with status starting).' },
  'cancel-after': { description: '`30s`, `5m`, `1h30m` or seconds (at least 5): aborted if it never started, canceled if it was running.' },
};
const CREATED = {
  '201': { description: 'Created; with Prefer: wait, the finished prediction.', schema: ref('Prediction'), headers: location("The prediction's URL.") },
  '202': { description: 'Prefer: wait ran out first: the prediction as it stands (status starting).', schema: ref('Prediction'), headers: location("The prediction's URL.") },
};

export const ROUTE_DOCS: Record<string, RouteDoc> = {
  // Health and operations
  'GET /health': { tag: 'operations', extension: true, public: true, summary: 'Liveness: the process answers.', responses: { '200': json(ref('Health'), 'Alive.') } },
  'GET /health/ready': {
    tag: 'operations',
    extension: true,
    public: true,
    summary: 'Readiness: database, queue and (with a worker) its devices.',
    responses: { '200': json(ref('Readiness'), 'Ready to take traffic.'), '503': { description: 'Not ready: the failing checks (problem+json with `checks`).', schema: ref('Problem'), contentType: 'application/problem+json' } },
  },
  'GET /metrics': {
    tag: 'operations',
    extension: true,
    public: true,
    summary: 'Prometheus metrics.',
    description: 'Needs GANTRY_METRICS_TOKEN or an admin token as bearer (GANTRY_METRICS_LISTEN serves it on another address without auth).',
    responses: { '200': { description: 'The text exposition format 0.0.4.', contentType: 'text/plain' } },
  },
  'GET /openapi.json': { tag: 'operations', extension: true, public: true, summary: 'This OpenAPI 3.1 document.', responses: { '200': json(ref('OpenApiDocument'), 'The document.') } },
  'GET /docs': { tag: 'operations', extension: true, public: true, summary: 'The API reference as a self-contained HTML page (no external requests).', responses: { '200': { description: 'HTML.', contentType: 'text/html' } } },
  'GET /v1/routes': {
    tag: 'operations',
    extension: true,
    summary: 'Every route the API serves (method and pattern), HEAD included.',
    responses: { '200': json(ref('RouteList'), 'The routes, by pattern.') },
  },

  // Predictions
  'POST /v1/predictions': {
    tag: 'predictions',
    summary: 'Create a prediction.',
    headers: CREATE_HEADERS,
    body: { schema: REQUESTS.PredictionCreate },
    responses: CREATED,
  },
  'POST /v1/models/:owner/:name/predictions': {
    tag: 'predictions',
    summary: "Create a prediction of the model's latest version.",
    headers: CREATE_HEADERS,
    body: { schema: REQUESTS.ModelPredictionCreate },
    responses: CREATED,
  },
  'POST /v1/deployments/:owner/:name/predictions': {
    tag: 'predictions',
    summary: 'Create a prediction on a deployment.',
    headers: CREATE_HEADERS,
    body: { schema: REQUESTS.ModelPredictionCreate },
    responses: CREATED,
  },
  'GET /v1/predictions': {
    tag: 'predictions',
    summary: 'List predictions, newest first (100 a page). A non-admin token lists its own.',
    description: 'The filters are an extension (all must match); `next` carries them, so every page stays filtered. A bad filter is a 422 naming the parameter.',
    query: {
      ...cursor,
      created_after: { description: 'Created after this ISO 8601 date-time (years 0001–9999).' },
      created_before: { description: 'Created before this ISO 8601 date-time; after created_after.' },
      model: { description: 'Extension: only this model (owner/name).' },
      deployment: { description: 'Extension: only runs on this deployment (owner/name).' },
      status: {
        description: 'Extension: only these statuses; repeatable, or a comma list (status=failed,canceled).',
        schema: { type: 'array', items: { type: 'string', pattern: `^${STATUS_LIST}(,${STATUS_LIST})*$` } },
      },
      tag: tagFilter('Extension: key:value, repeatable (at most 10, keys distinct); a prediction must carry every tag given, e.g. tag=n8n_execution_id:42.'),
      limit: limitQuery(100, 100),
    },
    responses: { '200': json(ref('PredictionPage'), 'A page.') },
  },
  'GET /v1/predictions/:id': { tag: 'predictions', summary: 'Get a prediction.', responses: { '200': json(ref('Prediction'), 'The prediction.') } },
  'POST /v1/predictions/:id/cancel': { tag: 'predictions', summary: 'Cancel a prediction.', responses: { '200': json(ref('Prediction'), 'The prediction after the cancel.') } },
  'GET /v1/predictions/:id/webhooks': {
    tag: 'predictions',
    extension: true,
    summary: "A prediction's webhook deliveries: what was sent where, and how it went (oldest first).",
    responses: { '200': json(ref('WebhookDeliveryList'), 'The deliveries (empty when the prediction has no webhook).') },
  },
  'GET /v1/streams/:id/:key': {
    tag: 'predictions',
    public: true,
    summary: 'Server-sent events of a streaming prediction (output, logs, error, done).',
    description: 'The URL is `urls.stream` of the prediction; its key is the capability, so no token is needed.',
    headers: { 'last-event-id': { description: 'Resume after this event.' } },
    responses: { '200': { description: 'text/event-stream.', contentType: 'text/event-stream' } },
  },

  // Trainings
  'POST /v1/models/:owner/:name/versions/:id/trainings': {
    tag: 'trainings',
    summary: 'Create a training: a new version of the destination model from your data.',
    headers: CREATE_HEADERS,
    body: { schema: REQUESTS.TrainingCreate },
    responses: { '201': json(ref('Training'), 'Created.'), '202': json(ref('Training'), 'Prefer: wait ran out first.') },
  },
  'GET /v1/trainings': { tag: 'trainings', summary: 'List trainings, newest first. A non-admin token lists its own.', query: cursor, responses: { '200': json(ref('TrainingPage'), 'A page.') } },
  'GET /v1/trainings/:id': { tag: 'trainings', summary: 'Get a training.', responses: { '200': json(ref('Training'), 'The training.') } },
  'POST /v1/trainings/:id/cancel': { tag: 'trainings', summary: 'Cancel a training.', responses: { '200': json(ref('Training'), 'The training after the cancel.') } },

  // Models and versions
  'GET /v1/models': { tag: 'models', summary: 'List models (or a search\'s later page: its cursor carries the words).', query: cursor, responses: { '200': json(ref('ModelPage'), 'A page.') } },
  'QUERY /v1/models': {
    tag: 'models',
    summary: 'Search models (HTTP QUERY; the body is the words).',
    description: 'Content-Type text/plain; a JSON-quoted string, as the official client sends, is accepted. Best matches first.',
    body: { schema: { type: 'string', minLength: 1 }, contentType: 'text/plain' },
    responses: { '200': json(ref('ModelPage'), 'Matches, best first.') },
  },
  'POST /v1/models': { tag: 'models', summary: 'Create a model.', body: { schema: REQUESTS.ModelCreate }, responses: { '201': json(ref('Model'), 'Created.') } },
  'GET /v1/models/:owner/:name': { tag: 'models', summary: 'Get a model with its latest version.', responses: { '200': json(ref('Model'), 'The model.') } },
  'GET /v1/models/:owner/:name/versions': { tag: 'models', summary: "List a model's versions.", responses: { '200': json(ref('VersionPage'), 'All versions.') } },
  'POST /v1/models/:owner/:name/versions': {
    tag: 'models',
    extension: true,
    summary: 'Create a version from a runner spec (immutable: the same spec gives the same id).',
    body: { schema: REQUESTS.VersionCreate },
    responses: { '201': json(ref('Version'), 'The version.') },
  },
  'GET /v1/models/:owner/:name/versions/:id': { tag: 'models', summary: 'Get a version.', responses: { '200': json(ref('Version'), 'The version.') } },
  'DELETE /v1/models/:owner/:name/versions/:id': { tag: 'models', summary: 'Delete a version.', responses: { '202': empty('Deleted.') } },
  'POST /v1/models/import': {
    tag: 'models',
    extension: true,
    summary: 'Import a model of the public catalogue.',
    body: { schema: REQUESTS.ModelImport },
    responses: { '201': json(ref('Model'), 'Imported.'), '200': json(ref('Model'), 'Already imported.') },
  },
  'GET /v1/catalogue': {
    tag: 'models',
    extension: true,
    summary: 'Search the public model catalogue (offline).',
    query: { query: { description: 'Words to match.' }, limit: limitQuery(100, 20) },
    responses: { '200': json(ref('CatalogueSearch'), 'Matches.') },
  },
  'GET /v1/catalogue/:owner/:name': { tag: 'models', extension: true, summary: 'A public catalogue entry.', responses: { '200': json(ref('CatalogueEntry'), 'The entry.') } },
  'GET /v1/search': {
    tag: 'models',
    summary: 'Search models and collections (beta).',
    query: { query: { description: 'Words to search for.', required: true }, limit: limitQuery(50, 20) },
    responses: { '200': json(ref('SearchResult'), 'Models, collections and pages.') },
  },
  'GET /v1/collections': { tag: 'models', summary: 'List collections.', responses: { '200': json(ref('CollectionPage'), 'The collections.') } },
  'GET /v1/collections/:slug': { tag: 'models', summary: 'Get a collection with its models.', responses: { '200': json(ref('Collection'), 'The collection.') } },

  // Deployments
  'GET /v1/deployments': { tag: 'deployments', summary: 'List deployments.', query: cursor, responses: { '200': json(ref('DeploymentPage'), 'A page.') } },
  'POST /v1/deployments': { tag: 'deployments', summary: 'Create a deployment.', body: { schema: REQUESTS.DeploymentCreate }, responses: { '200': json(ref('Deployment'), 'Created (Replicate answers 200).') } },
  'GET /v1/deployments/:owner/:name': { tag: 'deployments', summary: 'Get a deployment with its live instances and cost so far.', responses: { '200': json(ref('Deployment'), 'The deployment.') } },
  'PATCH /v1/deployments/:owner/:name': { tag: 'deployments', summary: 'Change a deployment (a new release).', body: { schema: REQUESTS.DeploymentUpdate }, responses: { '200': json(ref('Deployment'), 'The deployment.') } },
  'DELETE /v1/deployments/:owner/:name': { tag: 'deployments', summary: 'Delete a deployment (what it has in flight is canceled).', responses: { '204': empty('Deleted.') } },

  // Files
  'POST /v1/files': {
    tag: 'files',
    summary: 'Upload a file (multipart: content, filename?, type?, metadata?).',
    body: { schema: REQUESTS.FileUpload, contentType: 'multipart/form-data' },
    responses: { '201': json(ref('File'), 'Stored.') },
  },
  'GET /v1/files': { tag: 'files', summary: 'List files. A non-admin token lists its own.', query: cursor, responses: { '200': json(ref('FilePage'), 'A page.') } },
  'GET /v1/files/:id': { tag: 'files', summary: 'Get a file.', responses: { '200': json(ref('File'), 'The file.') } },
  'DELETE /v1/files/:id': { tag: 'files', summary: 'Delete a file.', responses: { '204': empty('Deleted.') } },
  'GET /v1/files/:id/download': {
    tag: 'files',
    public: true,
    summary: 'Download a file (a signed URL: the signature is the capability).',
    description: 'A bad, forged or expired signature is a 403 problem. With an S3-compatible store (GANTRY_STORAGE_URL=s3://…) the answer is a 302 to a short-lived presigned URL of the bucket, unless the store proxies downloads (downloads=proxy).',
    query: { expires: { description: 'Unix seconds.', required: true }, sig: { description: 'The HMAC signature.', required: true } },
    responses: {
      '200': {
        description: "The bytes, with the file's content type (streamed by the engine).",
        contentType: '*/*',
        headers: { 'content-disposition': "The file's name.", etag: 'The sha256 of the content, quoted.', 'content-length': 'The size.' },
      },
      '302': { description: 'The bucket serves the bytes: a presigned URL (short-lived).', headers: location('The presigned bucket URL.') },
    },
  },

  // Webhooks
  'GET /v1/webhooks/default/secret': { tag: 'webhooks', summary: 'The webhook signing secret.', responses: { '200': json(ref('WebhookSecret'), 'The secret.') } },
  'POST /v1/webhooks': {
    tag: 'webhooks',
    extension: true,
    summary: 'Subscribe a URL to events of a model or deployment (a non-admin token\'s subscription sees only its own predictions).',
    body: { schema: REQUESTS.WebhookSubscriptionCreate },
    responses: { '201': json(ref('WebhookSubscription'), 'Subscribed.') },
  },
  'GET /v1/webhooks': { tag: 'webhooks', extension: true, summary: 'List subscriptions. A non-admin token lists its own.', responses: { '200': json(ref('WebhookSubscriptionList'), 'The subscriptions.') } },
  'GET /v1/webhooks/:id': { tag: 'webhooks', extension: true, summary: 'Get a subscription.', responses: { '200': json(ref('WebhookSubscription'), 'The subscription.') } },
  'DELETE /v1/webhooks/:id': { tag: 'webhooks', extension: true, summary: 'Delete a subscription.', responses: { '204': empty('Deleted.') } },

  // Account, tokens, usage, cluster
  'GET /v1/account': { tag: 'account', summary: "The engine's account.", responses: { '200': json(ref('Account'), 'The account.') } },
  'GET /v1/hardware': { tag: 'account', summary: 'Hardware some live worker can serve.', responses: { '200': json(ref('Hardware'), 'The SKUs.') } },
  'GET /v1/prices': {
    tag: 'account',
    extension: true,
    summary: "Every SKU with this engine's price (GANTRY_PRICES applied) and whether a live worker serves it now.",
    responses: { '200': json(ref('Prices'), 'One row per SKU.') },
  },
  'POST /v1/tokens': { tag: 'account', extension: true, summary: 'Create an API token with a scope and optional spend limits (admin).', body: { schema: REQUESTS.TokenCreate }, responses: { '201': json(ref('NewToken'), 'The token, its secret shown once.') } },
  'GET /v1/tokens': { tag: 'account', extension: true, summary: 'List tokens (admin).', responses: { '200': json(ref('TokenList'), 'The tokens, without secrets.') } },
  'DELETE /v1/tokens/:id': { tag: 'account', extension: true, summary: 'Revoke a token (admin).', responses: { '204': empty('Revoked.') } },
  'GET /v1/usage': {
    tag: 'account',
    extension: true,
    summary: 'Usage and cost, grouped. A non-admin token sees its own.',
    query: {
      group_by: { description: 'model, version, deployment, token, day, kind, hardware, rule or tag:<key> (default model).', schema: grouping(GROUPINGS) },
      ...usageRange(''),
      tag: { description: "Only records carrying this tag, key:value (e.g. n8n_execution_id:42: one workflow execution's cost).", schema: { type: 'string', pattern: '^[^:]{1,100}:[\\s\\S]{1,500}$' } },
    },
    responses: { '200': json(ref('Usage'), 'One row per key.') },
  },
  'GET /v1/usage/daily': {
    tag: 'account',
    extension: true,
    summary: 'Cost per UTC day, stacked by a dimension; every day of the range is present. A non-admin token sees its own.',
    query: {
      stack_by: { description: 'model, version, deployment, token, kind, hardware, rule or tag:<key> (default model).', schema: grouping(GROUPINGS.filter((g) => g !== 'day')) },
      ...usageRange('; the range defaults to the last 30 days with today and spans at most 366 days'),
    },
    responses: { '200': json(ref('UsageDaily'), 'The series.') },
  },
  'GET /v1/usage/projection': {
    tag: 'account',
    extension: true,
    summary: "This month's spend and where it ends at the trailing week's rate. A non-admin token sees its own.",
    responses: { '200': json(ref('UsageProjection'), 'The projection (UTC month).') },
  },
  'GET /v1/cluster': { tag: 'account', extension: true, summary: 'Workers, devices, instances and queues.', responses: { '200': json(ref('Cluster'), 'The cluster.') } },

  ...CHECK_ROUTE_DOCS,
  ...CONSOLE_ROUTE_DOCS,
};
