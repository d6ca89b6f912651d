/**
 * JSON Schemas of the objects Replicate's HTTP API returns, written from its API reference
 * (the OpenAPI document `api.replicate.com/openapi.json`, 1.0.0-a1, summarised in
 * shared/reference/replicate-api.md) and from what the official clients parse: the Python
 * client's pydantic models (replicate-python 1.0.x: `Version.cog_version: str`,
 * `Model.run_count: int`, `File.etag: str`, …) and the JavaScript client's types (1.4.0).
 *
 * The rule they enforce: a field Replicate documents as a string, number, object or array is that
 * type, never `null`, unless Replicate documents it nullable (`nullable: true` in the reference,
 * or `Optional[...]` in the Python client, which is how a client sees the field). Two places where
 * the reference and the live API differ, both following the live API and the clients:
 * `started_at`/`completed_at`/`logs` of a prediction or training are `null` until they exist (the
 * Python client declares them Optional; webhooks of starting predictions carry them as null).
 * Objects stay open (`additionalProperties` allowed): Gantry's extensions (`cost`, `tags`,
 * `runner`, …) are fields clients ignore.
 */

type Schema = Record<string, unknown>;

const string = { type: 'string' };
const nullableString = { type: ['string', 'null'] };
const dateTime = { type: 'string', format: 'date-time' };
const nullableDateTime = { type: ['string', 'null'], format: 'date-time' };
const uri = { type: 'string', format: 'uri' };
const nullableUri = { type: ['string', 'null'], format: 'uri' };
const integer = { type: 'integer' };
const object = { type: 'object' };

const STATUSES = ['starting', 'processing', 'succeeded', 'failed', 'canceled', 'aborted'];

export const prediction: Schema = {
  type: 'object',
  required: ['id', 'model', 'version', 'input', 'output', 'data_removed', 'error', 'status', 'created_at', 'urls'],
  properties: {
    id: string,
    model: string,
    version: string,
    input: object,
    output: {},
    logs: nullableString,
    error: nullableString,
    status: { enum: STATUSES },
    source: { enum: ['web', 'api'] },
    data_removed: { type: 'boolean' },
    created_at: dateTime,
    started_at: nullableDateTime,
    completed_at: nullableDateTime,
    deadline: dateTime,
    deployment: string,
    webhook: string,
    webhook_events_filter: { type: 'array', items: { enum: ['start', 'output', 'logs', 'completed'] } },
    metrics: { type: 'object', properties: { predict_time: { type: 'number' }, total_time: { type: 'number' } } },
    urls: {
      type: 'object',
      required: ['web', 'get', 'cancel'],
      properties: { web: uri, get: uri, cancel: uri, stream: uri },
      additionalProperties: uri,
    },
  },
};

export const training: Schema = {
  type: 'object',
  required: ['id', 'model', 'version', 'input', 'status', 'created_at', 'urls'],
  properties: {
    id: string,
    model: string,
    version: string,
    destination: string,
    input: object,
    // A succeeded training's output names the new version as `owner/name:<64-hex id>`; the Python
    // client parses it so to fill `destination`.
    output: {
      type: ['object', 'null'],
      properties: { version: { type: 'string', pattern: '^[^/:\\s]+/[^/:\\s]+:[0-9a-f]{64}$' }, weights: string },
    },
    logs: nullableString,
    error: nullableString,
    status: { enum: STATUSES },
    source: { enum: ['web', 'api'] },
    created_at: dateTime,
    started_at: nullableDateTime,
    completed_at: nullableDateTime,
    metrics: { type: 'object', properties: { predict_time: { type: 'number' }, total_time: { type: 'number' } } },
    urls: { type: 'object', required: ['get', 'cancel'], properties: { get: uri, cancel: uri } },
  },
};

export const version: Schema = {
  type: 'object',
  required: ['id', 'created_at', 'cog_version', 'openapi_schema'],
  properties: {
    id: string,
    created_at: dateTime,
    // Nullable in the reference, but a `str` in the Python client and always a string on Replicate.
    cog_version: string,
    openapi_schema: object,
  },
};

export const model: Schema = {
  type: 'object',
  required: ['url', 'owner', 'name', 'description', 'visibility', 'github_url', 'paper_url', 'license_url', 'run_count', 'cover_image_url', 'default_example', 'latest_version'],
  properties: {
    url: uri,
    owner: string,
    name: string,
    description: nullableString,
    visibility: { enum: ['public', 'private'] },
    is_official: { type: 'boolean' },
    github_url: nullableUri,
    paper_url: nullableUri,
    license_url: nullableUri,
    cover_image_url: nullableUri,
    run_count: integer,
    created_at: dateTime,
    weights_url: nullableUri,
    // An object in the reference; the Python client parses it as a Prediction (id, model, version
    // and status required). The public catalogue's copies carry no `urls`.
    default_example: {
      anyOf: [{ type: 'null' }, { type: 'object', required: ['id', 'model', 'version', 'status'], properties: { id: string, model: string, version: string, status: { enum: STATUSES } } }],
    },
    latest_version: { anyOf: [{ type: 'null' }, version] },
  },
};

export const account: Schema = {
  type: 'object',
  required: ['type', 'username', 'name'],
  properties: {
    type: { enum: ['user', 'organization'] },
    username: string,
    name: string,
    github_url: uri,
    avatar_url: uri,
  },
};

export const deployment: Schema = {
  type: 'object',
  required: ['owner', 'name', 'current_release'],
  properties: {
    owner: string,
    name: string,
    current_release: {
      type: ['object', 'null'],
      required: ['number', 'model', 'version', 'created_at', 'configuration'],
      properties: {
        number: integer,
        model: string,
        version: string,
        created_at: dateTime,
        created_by: { anyOf: [{ type: 'null' }, account] },
        configuration: {
          type: 'object',
          required: ['hardware', 'min_instances', 'max_instances'],
          properties: { hardware: string, min_instances: integer, max_instances: integer },
        },
      },
    },
  },
};

export const collectionSummary: Schema = {
  type: 'object',
  required: ['name', 'slug', 'description'],
  properties: { name: string, slug: string, description: string },
};

export const collection: Schema = {
  type: 'object',
  required: ['name', 'slug', 'description', 'models'],
  properties: { name: string, slug: string, description: string, full_description: nullableString, models: { type: 'array', items: model } },
};

export const hardwareList: Schema = {
  type: 'array',
  items: { type: 'object', required: ['name', 'sku'], properties: { name: string, sku: string } },
};

export const file: Schema = {
  type: 'object',
  required: ['id', 'name', 'content_type', 'size', 'etag', 'checksums', 'metadata', 'created_at', 'expires_at', 'urls'],
  properties: {
    id: string,
    name: string,
    content_type: string,
    size: integer,
    etag: string,
    checksums: { type: 'object', additionalProperties: string, properties: { sha256: string } },
    metadata: object,
    created_at: dateTime,
    expires_at: nullableDateTime,
    urls: { type: 'object', required: ['get'], properties: { get: uri }, additionalProperties: uri },
  },
};

export const searchResult: Schema = {
  type: 'object',
  required: ['query', 'models', 'collections', 'pages'],
  properties: {
    query: string,
    models: {
      type: 'array',
      items: {
        type: 'object',
        required: ['model', 'metadata'],
        properties: {
          model,
          metadata: { type: 'object', properties: { generated_description: nullableString, tags: { type: 'array', items: string }, score: { type: ['number', 'null'] } } },
        },
      },
    },
    collections: {
      type: 'array',
      items: { type: 'object', required: ['name', 'slug', 'description'], properties: { name: string, slug: string, description: string, models: { type: ['array', 'null'], items: string } } },
    },
    pages: { type: 'array', items: { type: 'object', required: ['name', 'href'], properties: { name: string, href: string } } },
  },
};

export const webhookSecret: Schema = {
  type: 'object',
  required: ['key'],
  properties: { key: { type: 'string', pattern: '^whsec_[A-Za-z0-9+/=]+$' } },
};

/** `{ next, previous, results }` with absolute (or null) page URLs. */
export function page(item: Schema): Schema {
  return {
    type: 'object',
    required: ['next', 'previous', 'results'],
    properties: { next: nullableUri, previous: nullableUri, results: { type: 'array', items: item } },
  };
}

/** Errors: RFC 9457 problem details (Gantry's documented error shape). */
export const problem: Schema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: string,
    title: string,
    status: { type: 'integer', minimum: 400, maximum: 599 },
    detail: string,
    errors: { type: 'array', items: { type: 'object', required: ['pointer', 'detail'], properties: { pointer: string, detail: string } } },
  },
};
