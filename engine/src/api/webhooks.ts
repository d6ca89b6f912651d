/**
 * Webhook endpoints: the signing secret (Replicate) and persistent subscriptions (extension):
 * `POST /v1/webhooks` `{url, events, model?, deployment?}`, `GET /v1/webhooks[/{id}]`,
 * `DELETE /v1/webhooks/{id}`.
 */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound, type FieldError } from '../core/errors';
import { parseVersionRef } from '../core/prediction';
import { DEFAULT_WEBHOOK_EVENTS, parseEventsFilter, webhookUrlProblem, WebhookValidationError } from '../webhooks/events';
import {
  createSubscription,
  deleteSubscription,
  getOrCreateWebhookSecret,
  getSubscription,
  listSubscriptions,
  type SubscriptionRow,
} from '../store/webhooks';
import { getModel } from '../store/catalog';
import type { ApiContext } from './context';
import { visibleOwner } from './access';

const FIELDS = ['url', 'events', 'model', 'deployment'];

function wire(row: SubscriptionRow) {
  return { id: row.id, url: row.url, events: row.events, model: row.model, deployment: row.deployment, created_at: row.created_at };
}

function modelName(value: unknown): boolean {
  if (typeof value !== 'string') return false;
  const ref = parseVersionRef(value);
  return !!ref && 'owner' in ref && !ref.id;
}

export function webhookRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get('/v1/webhooks/default/secret', async () => ({ key: await getOrCreateWebhookSecret(ctx.db) }));

  app.post('/v1/webhooks', async (req, reply) => {
    const body = req.body;
    if (!body || typeof body !== 'object' || Array.isArray(body)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
    const b = body as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const key of Object.keys(b)) if (!FIELDS.includes(key)) errors.push({ pointer: `/${key}`, detail: 'is not a recognised field' });
    const urlProblem = webhookUrlProblem(b.url);
    if (urlProblem) errors.push({ pointer: '/url', detail: urlProblem });
    let events: string[] = [...DEFAULT_WEBHOOK_EVENTS];
    try {
      const parsed = parseEventsFilter(b.events, 'events');
      if (parsed) {
        if (parsed.length === 0) errors.push({ pointer: '/events', detail: 'must list at least one event' });
        else events = parsed;
      }
    } catch (err) {
      if (!(err instanceof WebhookValidationError)) throw err;
      errors.push({ pointer: '/events', detail: err.message });
    }
    for (const key of ['model', 'deployment'] as const) {
      if (b[key] !== undefined && b[key] !== null && !modelName(b[key])) errors.push({ pointer: `/${key}`, detail: 'must be "owner/name"' });
    }
    if (!errors.length && typeof b.model === 'string') {
      const [owner, name] = b.model.split('/');
      if (!(await getModel(ctx.db, owner, name))) errors.push({ pointer: '/model', detail: `model ${b.model} does not exist` });
    }
    if (errors.length) throw invalid(errors);
    const row = await createSubscription(ctx.db, {
      url: b.url as string,
      events,
      model: (b.model as string | undefined) ?? null,
      deployment: (b.deployment as string | undefined) ?? null,
      ownerTokenId: visibleOwner(req) ?? null,
    });
    ctx.lifecycle.subscriptionsChanged();
    return reply.code(201).send(wire(row));
  });

  app.get('/v1/webhooks', async (req) => ({ previous: null, next: null, results: (await listSubscriptions(ctx.db, visibleOwner(req))).map(wire) }));

  app.get<{ Params: { id: string } }>('/v1/webhooks/:id', async (req) => {
    const row = await getSubscription(ctx.db, req.params.id);
    if (!row) throw notFound(`Webhook subscription ${req.params.id}`);
    return wire(row);
  });

  app.delete<{ Params: { id: string } }>('/v1/webhooks/:id', async (req, reply) => {
    if (!(await deleteSubscription(ctx.db, req.params.id))) throw notFound(`Webhook subscription ${req.params.id}`);
    ctx.lifecycle.subscriptionsChanged();
    return reply.code(204).send();
  });
}
