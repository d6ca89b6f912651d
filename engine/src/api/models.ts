/** Models and versions (Replicate API), plus the create-version extension. */
import type { FastifyInstance } from 'fastify';
import { conflict, invalid, notFound, type FieldError } from '../core/errors';
import { isValidName } from '../core/prediction';
import { findSku } from '../core/hardware';
import { parseVersionSpec } from '../core/version-spec';
import { deleteVersion, insertModel, listModels, listVersions } from '../store/catalog';
import { createVersion } from '../catalog';
import type { ApiContext } from './context';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { requireModel, requireVersion } from './resolve';
import { modelWire, versionWire } from './model-wire';
import { searchCursor, searchPage } from './search';

const optionalUrl = (body: Record<string, unknown>, key: string, errors: FieldError[]) => {
  const v = body[key];
  if (v === undefined || v === null) return null;
  if (typeof v !== 'string' || !/^https?:\/\//.test(v)) errors.push({ pointer: `/${key}`, detail: 'must be an http(s) URL' });
  return typeof v === 'string' ? v : null;
};

export function modelRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.get<{ Querystring: { cursor?: string } }>('/v1/models', async (req) => {
    // A search's later pages (QUERY /v1/models answers with a GET `next`).
    const search = searchCursor(req.query.cursor);
    if (search) return searchPage(ctx, search.search, search.offset);
    const cursor = decodeCursor<{ createdAt: string; key: string }>(req.query.cursor, ['createdAt', 'key']);
    const rows = await listModels(ctx.db, PAGE_SIZE + 1, cursor);
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, key: `${last.owner}/${last.name}` } : undefined;
    return page(await Promise.all(results.map((m) => modelWire(ctx, m))), ctx.publicUrl, '/v1/models', next);
  });

  app.post('/v1/models', async (req, reply) => {
    const body = (req.body ?? {}) as Record<string, unknown>;
    const errors: FieldError[] = [];
    for (const key of ['owner', 'name'] as const) {
      if (typeof body[key] !== 'string' || !isValidName(body[key] as string)) errors.push({ pointer: `/${key}`, detail: 'is required: letters, digits, ".", "_" or "-"' });
    }
    const visibility = body.visibility ?? 'public';
    if (visibility !== 'public' && visibility !== 'private') errors.push({ pointer: '/visibility', detail: 'must be "public" or "private"' });
    const hardware = body.hardware ?? 'cpu';
    if (typeof hardware !== 'string' || !findSku(hardware)) errors.push({ pointer: '/hardware', detail: 'must be a hardware SKU from GET /v1/hardware' });
    if (body.description !== undefined && typeof body.description !== 'string') errors.push({ pointer: '/description', detail: 'must be a string' });
    const urls = Object.fromEntries(['github_url', 'paper_url', 'license_url', 'cover_image_url'].map((k) => [k, optionalUrl(body, k, errors)]));
    if (errors.length) throw invalid(errors);
    const row = await insertModel(ctx.db, {
      owner: body.owner as string,
      name: body.name as string,
      description: (body.description as string | undefined) ?? null,
      visibility: visibility as string,
      hardware: hardware as string,
      github_url: urls.github_url,
      paper_url: urls.paper_url,
      license_url: urls.license_url,
      cover_image_url: urls.cover_image_url,
    });
    if (!row) throw conflict(`Model ${body.owner}/${body.name} already exists.`);
    return reply.code(201).send(await modelWire(ctx, row));
  });

  app.get<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name', async (req) => {
    return modelWire(ctx, await requireModel(ctx, req.params.owner, req.params.name));
  });

  app.get<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name/versions', async (req) => {
    await requireModel(ctx, req.params.owner, req.params.name);
    const versions = await listVersions(ctx.db, req.params.owner, req.params.name);
    return { previous: null, next: null, results: versions.map(versionWire) };
  });

  app.get<{ Params: { owner: string; name: string; id: string } }>('/v1/models/:owner/:name/versions/:id', async (req) => {
    return versionWire(await requireVersion(ctx, req.params.id, req.params));
  });

  app.delete<{ Params: { owner: string; name: string; id: string } }>('/v1/models/:owner/:name/versions/:id', async (req, reply) => {
    await requireModel(ctx, req.params.owner, req.params.name);
    const deleted = await deleteVersion(ctx.db, req.params.owner, req.params.name, req.params.id);
    ctx.versions.clear();
    if (!deleted) throw notFound(`Version ${req.params.owner}/${req.params.name}:${req.params.id}`);
    return reply.code(202).send();
  });

  // Extension: create a version from a runner spec.
  app.post<{ Params: { owner: string; name: string } }>('/v1/models/:owner/:name/versions', async (req, reply) => {
    const model = await requireModel(ctx, req.params.owner, req.params.name);
    const { spec, errors } = parseVersionSpec(req.body ?? {});
    if (!spec) throw invalid(errors);
    if (!spec.hardware) spec.hardware = model.hardware;
    if (!findSku(spec.hardware)) throw invalid([{ pointer: '/hardware', detail: `unknown hardware ${spec.hardware}; see GET /v1/hardware` }]);
    const version = await createVersion(ctx.db, model.owner, model.name, spec);
    ctx.versions.clear();
    return reply.code(201).send(versionWire(version));
  });
}
