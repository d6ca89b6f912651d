/**
 * Extension: the public model catalogue (Replicate's public models, shipped with the engine).
 *   GET  /v1/catalogue?query=&limit=     search, offline; each result says whether it is imported
 *   GET  /v1/catalogue/{owner}/{name}    a full entry: schema, example, licence
 *   POST /v1/models/import {"model": "owner/name", "hardware"?, "command"?}
 *        201 with the model when it (or the catalogue's newer version) was created, 200 when it was
 *        already imported, 404 naming /model when the catalogue lacks it, 409 when a model of that
 *        name exists here and was not imported.
 */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound, type FieldError } from '../core/errors';
import { findSku } from '../core/hardware';
import { isValidName } from '../core/prediction';
import { existingModels } from '../store/catalog';
import { catalogueSource, findCatalogueModel, importFromCatalogue, liteModels, searchModels, type ImportSettings, type LiteModel } from '../public-catalogue';
import type { ApiContext } from './context';
import { modelWire } from './model-wire';
import { parseLimit } from './paginate';

const DEFAULT_LIMIT = 20;
const MAX_LIMIT = 100;
const IMPORT_FIELDS = ['model', 'hardware', 'command'];

function liteWire(m: LiteModel, imported: boolean) {
  return {
    url: m.url,
    owner: m.owner,
    name: m.name,
    description: m.description,
    run_count: m.run_count,
    cover_image_url: m.cover_image_url,
    github_url: m.github_url,
    imported,
  };
}

/** The import body, checked: every problem is reported at once, each naming its field. */
function parseImportBody(body: unknown): { owner: string; name: string; hardware?: string; command?: string } {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
  const fields = body as Record<string, unknown>;
  const errors: FieldError[] = Object.keys(fields)
    .filter((k) => !IMPORT_FIELDS.includes(k))
    .map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised field' }));
  const ref = typeof fields.model === 'string' ? /^([^/\s]+)\/([^/\s]+)$/.exec(fields.model.trim()) : null;
  if (!ref || !isValidName(ref[1]) || !isValidName(ref[2])) {
    errors.push({ pointer: '/model', detail: 'is required: owner/name of a model in the public catalogue' });
  }
  if (fields.hardware !== undefined && (typeof fields.hardware !== 'string' || !findSku(fields.hardware))) {
    errors.push({ pointer: '/hardware', detail: 'must be a hardware SKU from GET /v1/hardware' });
  }
  if (fields.command !== undefined && (typeof fields.command !== 'string' || !fields.command.includes('{image}'))) {
    errors.push({ pointer: '/command', detail: 'must be a command template containing {image} (and {port}, {gpus} as needed)' });
  }
  if (errors.length || !ref) throw invalid(errors);
  return { owner: ref[1], name: ref[2], hardware: fields.hardware as string | undefined, command: fields.command as string | undefined };
}

export function catalogueRoutes(app: FastifyInstance, ctx: ApiContext, settings: ImportSettings): void {
  app.get<{ Querystring: Record<string, string | undefined> }>('/v1/catalogue', async (req) => {
    const unknown = Object.keys(req.query).filter((k) => k !== 'query' && k !== 'limit');
    if (unknown.length) throw invalid(unknown.map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised parameter' })));
    const query = req.query.query ?? '';
    const found = searchModels(await liteModels(), query, parseLimit(req.query.limit, MAX_LIMIT, DEFAULT_LIMIT));
    const here = await existingModels(ctx.db, found.map((m) => `${m.owner}/${m.name}`));
    return { query, source: await catalogueSource(), results: found.map((m) => liteWire(m, here.has(`${m.owner}/${m.name}`))) };
  });

  app.get<{ Params: { owner: string; name: string } }>('/v1/catalogue/:owner/:name', async (req) => {
    const entry = await findCatalogueModel(req.params.owner, req.params.name);
    if (!entry) throw notFound(`Model ${req.params.owner}/${req.params.name} in the public catalogue`);
    const here = await existingModels(ctx.db, [`${entry.owner}/${entry.name}`]);
    return { ...entry, imported: here.size > 0 };
  });

  app.post('/v1/models/import', async (req, reply) => {
    const request = parseImportBody(req.body ?? {});
    const result = await importFromCatalogue(ctx.db, request, settings, await catalogueSource());
    ctx.versions.clear();
    return reply.code(result.outcome === 'unchanged' ? 200 : 201).send(await modelWire(ctx, result.model));
  });
}
