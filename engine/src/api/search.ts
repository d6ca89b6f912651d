/**
 * Model search and collections (Replicate API):
 *   QUERY /v1/models                 body = the search text (`text/plain`) → a page of models, best first;
 *                                    `next` is a GET /v1/models URL whose cursor carries the words
 *   GET   /v1/search?query=&limit=   beta: `{query, models:[{model, metadata}], collections, pages}`
 *   GET   /v1/collections            a page of `{name, slug, description}`
 *   GET   /v1/collections/{slug}     `{name, slug, description, full_description, models}`
 *
 * Models are ranked by the public catalogue's word ranker (`rankModels`). Collections are fixed and
 * derived from what the engine has (owner, where a model came from, its latest version's runner);
 * there is nothing to create or edit.
 */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound } from '../core/errors';
import { rankModels } from '../public-catalogue/search';
import { modelsWithRunner, type ModelRow } from '../store/catalog';
import type { ApiContext } from './context';
import { modelWire } from './model-wire';
import { malformedCursor, page, PAGE_SIZE, parseLimit } from './paginate';
import { textProblem } from '../core/text-rules';

/** Longest search text a cursor may carry back. */
const MAX_SEARCH_TEXT = 1000;

type Row = ModelRow & { runner_type: string | null; trainable: boolean };

interface Collection {
  slug: string;
  name: string;
  description: string;
  full_description: string;
  includes: (m: Row) => boolean;
}

export const COLLECTIONS: readonly Collection[] = [
  {
    slug: 'gantry-builtins',
    name: 'Gantry built-ins',
    description: 'Models that ship with the engine and run offline, without a GPU.',
    full_description: 'The `gantry/*` models: echo, OCR, text classification (trainable), text to speech and image resizing. They run in-process on the CPU and need no downloads.',
    includes: (m) => m.owner === 'gantry',
  },
  {
    slug: 'imported-models',
    name: 'Imported models',
    description: 'Models imported from the public catalogue of Replicate models.',
    full_description: 'Models created with `POST /v1/models/import` (or `gantry models import`): each keeps the schema, example and licence of its public catalogue page.',
    includes: (m) => m.imported_from !== null,
  },
  {
    slug: 'cog-models',
    name: 'Cog models',
    description: 'Models whose latest version runs a Cog container or server.',
    full_description: 'Models whose latest version has a `cog` runner: a Cog server the engine starts from a command template, or one already running at a URL.',
    includes: (m) => m.runner_type === 'cog',
  },
  {
    slug: 'openai-compatible',
    name: 'OpenAI-compatible models',
    description: 'Language models served by an OpenAI-compatible server.',
    full_description: 'Models whose latest version has an `openai` runner: chat completions from a server such as vLLM, llama.cpp or Ollama, streamed as Replicate output.',
    includes: (m) => m.runner_type === 'openai',
  },
  {
    slug: 'node-models',
    name: 'Node models',
    description: 'Models implemented as Node modules that run inside the engine.',
    full_description: 'Models whose latest version has a `node` runner: a JavaScript module loaded by the engine\'s workers.',
    includes: (m) => m.runner_type === 'node',
  },
  {
    slug: 'trainable',
    name: 'Trainable models',
    description: 'Models you can fine-tune with the trainings API.',
    full_description: 'Models whose latest version is trainable: `POST /v1/models/{owner}/{name}/versions/{id}/trainings` makes a new version from your data.',
    includes: (m) => m.trainable,
  },
];

const collectionSummary = (c: Collection) => ({ name: c.name, slug: c.slug, description: c.description });

/** The search text of a QUERY body. The official client sends `JSON.stringify(query)`, quotes included. */
function searchText(body: unknown): string {
  let text = typeof body === 'string' ? body.trim() : '';
  if (text.startsWith('"')) {
    try {
      const parsed: unknown = JSON.parse(text);
      if (typeof parsed === 'string') text = parsed.trim();
    } catch {
      // not a JSON string: search for it as written
    }
  }
  if (!text) throw invalid([{ pointer: '', detail: 'must be a non-empty search string (Content-Type: text/plain)' }], 'The request body must be a non-empty search string.');
  if (text.length > MAX_SEARCH_TEXT) throw invalid([{ pointer: '', detail: `must be at most ${MAX_SEARCH_TEXT} characters` }]);
  // The edge saw the JSON-quoted text; what it quoted follows the same text rules.
  const bad = textProblem(text);
  if (bad) throw invalid([{ pointer: '', detail: bad }]);
  return text;
}

/**
 * The cursor of a search result's later page, or undefined for a plain list cursor. The official
 * client follows `next` with GET, so the words travel in the cursor with the offset. Results are
 * ranked afresh for each page: a model created in between can shift the ranking by a place.
 */
export function searchCursor(cursor: string | undefined): { search: string; offset: number } | undefined {
  if (cursor === undefined) return undefined;
  let value: Record<string, unknown>;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString()) as Record<string, unknown>;
  } catch {
    return undefined; // not ours: the list's own cursor check answers it
  }
  if (!value || typeof value !== 'object' || typeof value.search !== 'string') return undefined;
  const offset = Number(value.offset);
  const words = value.search;
  if (words.trim() && words.length <= MAX_SEARCH_TEXT && !textProblem(words) && Number.isSafeInteger(offset) && offset > 0) return { search: words, offset };
  throw malformedCursor();
}

/** One page of models ranked for `text`, from `offset`, with the next page's cursor when there is one. */
export async function searchPage(ctx: ApiContext, text: string, offset: number) {
  const ranked = rankModels(await modelsWithRunner(ctx.db), text);
  const found = ranked.slice(offset, offset + PAGE_SIZE);
  const next = ranked.length > offset + PAGE_SIZE ? { search: text, offset: String(offset + PAGE_SIZE) } : undefined;
  return page(await Promise.all(found.map((r) => modelWire(ctx, r.model))), ctx.publicUrl, '/v1/models', next);
}

export function searchRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.route({
    method: 'QUERY',
    url: '/v1/models',
    handler: async (req) => searchPage(ctx, searchText(req.body), 0),
  });

  app.get<{ Querystring: { query?: string; limit?: string } }>('/v1/search', async (req) => {
    const query = (req.query.query ?? '').trim();
    if (!query) throw invalid([{ pointer: '/query', detail: 'is required: the words to search for' }]);
    const limit = parseLimit(req.query.limit, 50, 20);
    const found = rankModels(await modelsWithRunner(ctx.db), query).slice(0, limit);
    const models = await Promise.all(found.map(async ({ model, score }) => ({
      model: await modelWire(ctx, model),
      metadata: {
        generated_description: model.description ?? '',
        tags: COLLECTIONS.filter((c) => c.includes(model)).map((c) => c.slug),
        score,
      },
    })));
    const collections = rankModels(COLLECTIONS.map((c) => ({ owner: '', name: c.slug, description: `${c.name} ${c.description}`, c })), query)
      .slice(0, limit)
      .map((r) => collectionSummary(r.model.c));
    return { query, models, collections, pages: [] };
  });

  app.get('/v1/collections', async () => page(COLLECTIONS.map(collectionSummary), ctx.publicUrl, '/v1/collections', undefined));

  app.get<{ Params: { slug: string } }>('/v1/collections/:slug', async (req) => {
    const collection = COLLECTIONS.find((c) => c.slug === req.params.slug);
    if (!collection) throw notFound(`Collection ${req.params.slug}`);
    const rows = (await modelsWithRunner(ctx.db)).filter(collection.includes);
    return { ...collectionSummary(collection), full_description: collection.full_description, models: await Promise.all(rows.map((m) => modelWire(ctx, m))) };
  });
}
