/**
 * Trainings (fine-tunes): `POST /v1/models/{owner}/{name}/versions/{id}/trainings`
 * `{destination, input, webhook?, webhook_events_filter?}`, `GET /v1/trainings[/{id}]`,
 * `POST /v1/trainings/{id}/cancel`. A training is a prediction row of kind `training`: same
 * queue, hardware, pricing, logs and webhooks; on success the worker creates a new version of
 * the destination model with the training's weights.
 */
import type { FastifyInstance } from 'fastify';
import { ApiError, invalid, notFound } from '../core/errors';
import { parseVersionRef, toWire } from '../core/prediction';
import { getModel } from '../store/catalog';
import { inputSchemaOf } from '../core/validate';
import { getPrediction, listPredictions } from '../store/predictions';
import type { ApiContext } from './context';
import { checkCommonFields, createPrediction, type CreateBody } from './create-prediction';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { requireVersion } from './resolve';
import { cancelPrediction } from './cancel';
import { visibleOwner } from './access';

const FIELDS = ['input', 'webhook', 'webhook_events_filter', 'tags'];

export function trainingRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post<{ Params: { owner: string; name: string; id: string }; Body: CreateBody & { destination?: unknown } }>(
    '/v1/models/:owner/:name/versions/:id/trainings',
    async (req, reply) => {
      const body = (req.body ?? {}) as CreateBody & { destination?: unknown };
      if (typeof body !== 'object' || Array.isArray(body)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
      const version = await requireVersion(ctx, req.params.id, req.params);
      if (!version.trainable) {
        throw new ApiError(422, 'Model does not support training', `${version.owner}/${version.name}:${version.id} cannot be trained.`, [
          { pointer: '/version', detail: 'is not trainable' },
        ]);
      }
      const { destination, ...rest } = body;
      const ref = typeof destination === 'string' ? parseVersionRef(destination) : undefined;
      if (!ref || !('owner' in ref) || ref.id) {
        throw invalid([{ pointer: '/destination', detail: 'is required: "owner/name" of an existing model' }]);
      }
      if (!(await getModel(ctx.db, ref.owner, ref.name))) {
        throw invalid([{ pointer: '/destination', detail: `model ${ref.owner}/${ref.name} does not exist; create it first (POST /v1/models)` }]);
      }
      const fields = checkCommonFields(rest, FIELDS);
      return createPrediction(ctx, req, reply, {
        kind: 'training',
        version,
        destination: `${ref.owner}/${ref.name}`,
        fields,
        inputSchema: inputSchemaOf(version.openapi_schema, 'TrainingInput'),
        schemaKey: `${version.id}:training`,
      });
    },
  );

  app.get<{ Querystring: { cursor?: string } }>('/v1/trainings', async (req) => {
    const cursor = decodeCursor<{ createdAt: string; id: string }>(req.query.cursor, ['createdAt', 'id']);
    const rows = await listPredictions(ctx.db, 'training', PAGE_SIZE + 1, cursor, { tokenId: visibleOwner(req) });
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, id: last.id } : undefined;
    return page(results.map((r) => toWire(r, ctx.publicUrl)), ctx.publicUrl, '/v1/trainings', next);
  });

  app.get<{ Params: { id: string } }>('/v1/trainings/:id', async (req) => {
    const row = await getPrediction(ctx.db, req.params.id, 'training');
    if (!row) throw notFound(`Training ${req.params.id}`);
    return toWire(row, ctx.publicUrl);
  });

  app.post<{ Params: { id: string } }>('/v1/trainings/:id/cancel', async (req) => cancelPrediction(ctx, req.params.id, 'training'));
}
