/**
 * Model checks (api/checks.ts) and the cost decision (api/decide.ts) in /openapi.json. A `run`
 * token creates and cancels its own checks (each run is one of its predictions, under its spend
 * limits); a non-admin token sees only its own checks, and decides on its own usage.
 */
import { cursor, json, location, type QueryDoc, type RouteDoc } from './route-kit';
import { ref } from './schema-kit';
import { CHECK_REQUESTS } from './check-schemas';

const SPEND_LIMIT = { description: "The token's spend limit is reached (limit names it); each run of a check is also refused past it.", schema: ref('Problem'), contentType: 'application/problem+json' };

const period: Record<string, QueryDoc> = {
  since: { description: 'ISO 8601 date or date-time, or a time ago (30d, 12h, 90m); default 30 days before until.' },
  until: { description: 'ISO 8601 date or date-time, or a time ago; default now.' },
  group_by: { description: 'model (default) or deployment.', schema: { enum: ['model', 'deployment'] } },
};

export const CHECK_ROUTE_DOCS: Record<string, RouteDoc> = {
  'POST /v1/checks': {
    tag: 'checks',
    extension: true,
    summary: 'Check a model: real predictions through the public path, then a report of ten items.',
    description: 'The plan is fixed at create (planned_runs). Bad input is a 422 naming the field (/model, /input/text, /hardware/1, /worst_case/inputs/0/sleep, /timeout, …).',
    body: { schema: CHECK_REQUESTS.CheckCreate },
    responses: { '201': { description: 'The check (status starting).', schema: ref('Check'), headers: location("The check's URL.") }, '402': SPEND_LIMIT },
  },
  'GET /v1/checks': {
    tag: 'checks',
    extension: true,
    summary: 'List checks, newest first (100 a page). A non-admin token lists its own.',
    query: cursor,
    responses: { '200': json(ref('CheckPage'), 'A page.') },
  },
  'GET /v1/checks/:id': {
    tag: 'checks',
    extension: true,
    summary: 'Get a check; with Accept: text/markdown (or format=markdown) its report as a Markdown page.',
    query: { format: { description: 'markdown or json (default: by the Accept header, else json).', schema: { enum: ['markdown', 'json'] } } },
    responses: { '200': { description: 'The check.', schema: ref('Check'), alternatives: { 'text/markdown': null } } },
  },
  'POST /v1/checks/:id/cancel': {
    tag: 'checks',
    extension: true,
    summary: 'Cancel a check: it ends canceled with the report of what ran; its running predictions are canceled.',
    responses: { '200': json(ref('Check'), 'The check after the cancel (an ended check is answered as it is).') },
  },
  'GET /v1/decide': {
    tag: 'checks',
    extension: true,
    summary: 'The cost decision: what the period\'s usage cost here, on Replicate (public and private) and on rented GPUs, with break-evens.',
    query: period,
    responses: { '200': json(ref('Decision'), 'One group per model or deployment.') },
  },
  'POST /v1/decide': {
    tag: 'checks',
    extension: true,
    summary: 'The cost decision with prices of your own (they override the shipped tables and GANTRY_PRICES for this request); changes nothing.',
    body: { schema: CHECK_REQUESTS.DecideRequest, required: false },
    responses: { '200': json(ref('Decision'), 'One group per model or deployment.') },
  },
};
