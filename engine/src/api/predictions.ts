/** Prediction endpoints (Replicate API). */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound } from '../core/errors';
import { parseVersionRef, toWire } from '../core/prediction';
import { getPrediction, listPredictions } from '../store/predictions';
import type { ApiContext } from './context';
import { checkCommonFields, createPrediction, type CreateBody } from './create-prediction';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { latestVersion, requireVersion } from './resolve';
import { cancelPrediction } from './cancel';
import { visibleOwner } from './access';

const CREATE_FIELDS = ['input', 'webhook', 'webhook_events_filter', 'tags', 'stream'];

function parseDate(value: unknown, field: string): Date | undefined {
  if (value === undefined) return undefined;
  const d = new Date(String(value));
  if (Number.isNaN(d.getTime())) throw invalid([{ pointer: `/${field}`, detail: 'must be an ISO 8601 date-time' }]);
  return d;
}

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

  app.get<{ Querystring: { cursor?: string; created_after?: string; created_before?: string } }>('/v1/predictions', async (req) => {
    const cursor = decodeCursor<{ createdAt: string; id: string }>(req.query.cursor, ['createdAt', 'id']);
    const filter = {
      createdAfter: parseDate(req.query.created_after, 'created_after'),
      createdBefore: parseDate(req.query.created_before, 'created_before'),
      tokenId: visibleOwner(req),
    };
    const rows = await listPredictions(ctx.db, 'prediction', PAGE_SIZE + 1, cursor, filter);
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const extra = [
      req.query.created_after ? `&created_after=${encodeURIComponent(req.query.created_after)}` : '',
      req.query.created_before ? `&created_before=${encodeURIComponent(req.query.created_before)}` : '',
    ].join('');
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, id: last.id } : undefined;
    return page(results.map((r) => toWire(r, ctx.publicUrl)), ctx.publicUrl, '/v1/predictions', next, extra);
  });

  app.post<{ Params: { id: string } }>('/v1/predictions/:id/cancel', async (req) => {
    return cancelPrediction(ctx, req.params.id, 'prediction');
  });
}

