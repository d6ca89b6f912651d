/** Prediction endpoints (Replicate API). */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound } from '../core/errors';
import { parseVersionRef, toWire } from '../core/prediction';
import { getPrediction, listPredictions } from '../store/predictions';
import type { ApiContext } from './context';
import { checkCommonFields, createPrediction, type CreateBody } from './create-prediction';
import { decodeCursor, page } from './paginate';
import { parseListQuery } from './prediction-filters';
import { deliveryWire } from './webhook-deliveries';
import { listDeliveries } from '../store/webhooks';
import { latestVersion, requireVersion } from './resolve';
import { cancelPrediction } from './cancel';
import { visibleOwner } from './access';

const CREATE_FIELDS = ['input', 'webhook', 'webhook_events_filter', 'tags', 'stream'];

export function predictionRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Body: CreateBody & { version?: unknown } }>('/v1/predictions', async (req, reply) => {
    const body = (req.body ?? {}) as CreateBody & { version?: unknown };
    if (typeof body !== 'object' || Array.isArray(body)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
    if (typeof body.version !== 'string') throw invalid([{ pointer: '/version', detail: 'is required: a version id, owner/name or owner/name:id' }]);
    const ref = parseVersionRef(body.version);
    if (!ref) throw invalid([{ pointer: '/version', detail: 'must be a 64-character version id, owner/name or owner/name:id' }]);
    const { version: _v, ...rest } = body;
    const fields = checkCommonFields(rest, CREATE_FIELDS);
    const version =
      'owner' in ref
        ? ref.id
          ? await requireVersion(ctx, ref.id, ref)
          : await latestVersion(ctx, ref.owner, ref.name)
        : await requireVersion(ctx, ref.id);
    return createPrediction(ctx, req, reply, { kind: 'prediction', version, fields });
  });

  app.post<{ Params: { owner: string; name: string }; Body: CreateBody }>('/v1/models/:owner/:name/predictions', async (req, reply) => {
    const fields = checkCommonFields((req.body ?? {}) as CreateBody, CREATE_FIELDS);
    const version = await latestVersion(ctx, req.params.owner, req.params.name);
    return createPrediction(ctx, req, reply, { kind: 'prediction', version, fields });
  });

  app.get<{ Params: { id: string } }>('/v1/predictions/:id', async (req) => {
    const row = await getPrediction(ctx.db, req.params.id, 'prediction');
    if (!row) throw notFound(`Prediction ${req.params.id}`);
    return toWire(row, ctx.publicUrl);
  });

  // Extension: filters by model, deployment, status, tag and time range (see prediction-filters).
  // `status` and `tag` may be repeated (the edge refuses repeats of any other parameter).
  app.get<{ Querystring: Record<string, unknown> }>('/v1/predictions', { config: { repeatableQuery: ['status', 'tag'] } }, async (req) => {
    const q = parseListQuery(req.query ?? {});
    const cursor = decodeCursor<{ createdAt: string; id: string }>(q.cursor, ['createdAt', 'id']);
    const rows = await listPredictions(ctx.db, 'prediction', q.limit + 1, cursor, { ...q.filter, tokenId: visibleOwner(req) });
    const results = rows.slice(0, q.limit);
    const last = results[results.length - 1];
    const next = rows.length > q.limit && last ? { createdAt: last.cursor_at, id: last.id } : undefined;
    return page(results.map((r) => toWire(r, ctx.publicUrl)), ctx.publicUrl, '/v1/predictions', next, q.nextQuery);
  });

  // Extension: the webhook deliveries of a prediction (what was sent where, and how it went).
  app.get<{ Params: { id: string } }>('/v1/predictions/:id/webhooks', async (req) => {
    if (!(await getPrediction(ctx.db, req.params.id, 'prediction'))) throw notFound(`Prediction ${req.params.id}`);
    return { results: (await listDeliveries(ctx.db, { predictionId: req.params.id })).map(deliveryWire) };
  });

  app.post<{ Params: { id: string } }>('/v1/predictions/:id/cancel', async (req) => {
    return cancelPrediction(ctx, req.params.id, 'prediction');
  });
}

