/**
 * Extension: model checks. `POST /v1/checks` plans a check and hands it to the runner;
 * `GET /v1/checks[/{id}]` (the report also as `text/markdown`), `POST /v1/checks/{id}/cancel`.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalid, notFound, type FieldError } from '../core/errors';
import { newId } from '../core/ids';
import { inputSchemaOf, validateInput } from '../core/validate';
import type { VersionRow } from '../store/catalog';
import { getDeployment } from '../store/deployments';
import { getCheck, insertCheck, listChecks, requestCheckCancel, type CheckRow } from '../store/checks';
import { parseCheckRequest, type ModelRef } from '../checks/request';
import { planCheck } from '../checks/plan';
import { checkProgress } from '../checks/assemble';
import { endCheck } from '../checks/finish';
import { reportMarkdown } from '../checks/markdown';
import { checkWire } from '../checks/wire';
import type { Report } from '../checks/report';
import { cancelPrediction } from './cancel';
import { hardwareUnservable } from './cluster';
import type { ApiContext } from './context';
import { decodeCursor, page, PAGE_SIZE } from './paginate';
import { latestVersion, requireVersion } from './resolve';
import { visibleOwner } from './access';
import { checkSpend } from './admission';

/** A model reference in the body: an unknown one is bad input naming the field (422), not a missing route. */
async function resolveRef(ctx: ApiContext, ref: ModelRef, pointer: string): Promise<VersionRow> {
  try {
    return ref.version ? await requireVersion(ctx, ref.version, ref) : await latestVersion(ctx, ref.owner, ref.name);
  } catch (err) {
    if (err instanceof ApiError && err.status === 404) throw invalid([{ pointer, detail: err.detail }]);
    throw err;
  }
}

function inputErrors(version: VersionRow, input: Record<string, unknown>, pointer: string): FieldError[] {
  return validateInput(version.id, inputSchemaOf(version.openapi_schema), input, pointer);
}

async function wire(ctx: ApiContext, rows: CheckRow[]) {
  const progress = await checkProgress(ctx, rows);
  return rows.map((r) => checkWire(r, progress.get(r.id)!, ctx.publicUrl));
}

async function createCheck(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply) {
  const request = parseCheckRequest(req.body ?? {});
  // Every run is a prediction under the token's spend limits: a token past one is told now (402),
  // not by a check whose runs are all refused.
  await checkSpend(ctx, req.token);
  let version = await resolveRef(ctx, request.ref, '/model');
  let hardware = version.hardware;
  if (request.deploymentRef) {
    const d = await getDeployment(ctx.db, request.deploymentRef.owner, request.deploymentRef.name);
    if (!d) throw invalid([{ pointer: '/deployment', detail: `deployment ${request.deployment} was not found` }]);
    if (d.model !== request.model) throw invalid([{ pointer: '/deployment', detail: `serves ${d.model}, not ${request.model}` }]);
    if (request.pinned_version && d.version !== request.pinned_version) {
      throw invalid([{ pointer: '/deployment', detail: `runs version ${d.version}, not the version the model names` }]);
    }
    if (d.max_instances === 0) throw invalid([{ pointer: '/deployment', detail: 'is disabled (max_instances is 0)' }]);
    version = await requireVersion(ctx, d.version);
    hardware = d.hardware;
  }
  const stale = ctx.workerStaleSeconds;
  const unserved = await hardwareUnservable(ctx.db, hardware, stale);
  if (unserved) throw invalid([{ pointer: request.deploymentRef ? '/deployment' : '/model', detail: unserved }]);

  // Defaults filled in once, so that every run sends the same complete input.
  const input = structuredClone(request.input);
  const errors = inputErrors(version, input, '/input');
  let compare: { model: string; version: string; hardware: string; input: Record<string, unknown> } | null = null;
  if (request.compare) {
    const other = await resolveRef(ctx, request.compare, '/compare_with');
    // The request's own input (not the checked model's defaults), filled with the other's defaults.
    const otherInput = structuredClone(request.input);
    const problems = inputErrors(other, otherInput, '/input');
    if (problems.length) errors.push({ pointer: '/compare_with', detail: `the input does not fit its schema: ${problems.map((p) => `${p.pointer} ${p.detail}`).join('; ')}` });
    compare = { model: `${other.owner}/${other.name}`, version: other.id, hardware: other.hardware, input: otherInput };
  }
  if (request.worst_case) {
    request.worst_case.inputs.forEach((marked, i) => {
      for (const e of inputErrors(version, { ...structuredClone(input), ...structuredClone(marked) }, '/input')) {
        errors.push({ pointer: e.pointer.replace(/^\/input/, `/worst_case/inputs/${i}`), detail: e.detail });
      }
    });
  }
  if (errors.length) throw invalid(errors);

  const unservable = new Map<string, string | undefined>();
  for (const sku of request.hardware) unservable.set(sku, await hardwareUnservable(ctx.db, sku, stale));
  const { ref: _r, compare: _c, deploymentRef: _d, ...stored } = request;
  const normalised = { ...stored, input };
  const plan = planCheck({
    request: normalised,
    checked: { model: request.model, version: version.id, hardware, deployment: request.deployment, inputSchema: inputSchemaOf(version.openapi_schema) },
    compare,
    unservable: (sku) => unservable.get(sku),
  });
  const row = await insertCheck(ctx.db, {
    id: newId(),
    model: request.model,
    version: version.id,
    deployment: request.deployment,
    request: normalised,
    plan,
    webhook: request.webhook,
    webhookEventsFilter: request.webhook_events_filter,
    tokenId: req.tokenId ?? null,
  });
  ctx.checkRunner?.kick();
  const [body] = await wire(ctx, [row]);
  reply.header('Location', (body.urls as { get: string }).get);
  return reply.code(201).send(body);
}

async function requireCheck(ctx: ApiContext, id: string): Promise<CheckRow> {
  const row = await getCheck(ctx.db, id);
  if (!row) throw notFound(`Check ${id}`);
  return row;
}

/** `Accept: text/markdown` (or `?format=markdown`, for browsers and links) asks for the Markdown page. */
function wantsMarkdown(req: FastifyRequest<{ Querystring: { format?: string } }>): boolean {
  const format = req.query.format;
  if (format !== undefined && format !== 'markdown' && format !== 'json') throw invalid([{ pointer: '/format', detail: 'must be markdown or json' }]);
  if (format) return format === 'markdown';
  return /\btext\/markdown\b/i.test(String(req.headers.accept ?? ''));
}

async function cancelOpenRuns(ctx: ApiContext, checkId: string): Promise<void> {
  const open = await ctx.db.query<{ id: string }>(
    `SELECT p.id FROM check_runs r JOIN predictions p ON p.id = r.prediction_id
      WHERE r.check_id = $1 AND p.status IN ('starting', 'processing')`,
    [checkId],
  );
  for (const p of open) await cancelPrediction(ctx, p.id, 'prediction').catch(() => undefined);
}

export function checkRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/checks', async (req, reply) => createCheck(ctx, req, reply));

  app.get<{ Params: { id: string }; Querystring: { format?: string } }>('/v1/checks/:id', async (req, reply) => {
    const markdown = wantsMarkdown(req);
    const row = await requireCheck(ctx, req.params.id);
    if (markdown) {
      const iso = (d: Date | null) => (d ? d.toISOString() : null);
      const text = reportMarkdown({ id: row.id, status: row.status, created_at: iso(row.created_at)!, completed_at: iso(row.completed_at) }, row.report as unknown as Report | null);
      return reply.type('text/markdown; charset=utf-8').send(text);
    }
    return (await wire(ctx, [row]))[0];
  });

  app.get<{ Querystring: { cursor?: string } }>('/v1/checks', async (req) => {
    const unknown = Object.keys(req.query ?? {}).filter((k) => k !== 'cursor');
    if (unknown.length) throw invalid(unknown.map((k) => ({ pointer: `/${k}`, detail: 'is not a recognised parameter' })));
    let cursor: { createdAt: string; id: string } | undefined;
    try {
      cursor = decodeCursor<{ createdAt: string; id: string }>(req.query.cursor, ['createdAt', 'id']);
    } catch {
      throw invalid([{ pointer: '/cursor', detail: 'is malformed; use the next URL of a previous page' }]);
    }
    const rows = await listChecks(ctx.db, PAGE_SIZE + 1, cursor, visibleOwner(req));
    const results = rows.slice(0, PAGE_SIZE);
    const last = results[results.length - 1];
    const next = rows.length > PAGE_SIZE && last ? { createdAt: last.cursor_at, id: last.id } : undefined;
    return page(await wire(ctx, results), ctx.publicUrl, '/v1/checks', next);
  });

  app.post<{ Params: { id: string } }>('/v1/checks/:id/cancel', async (req) => {
    const row = await requireCheck(ctx, req.params.id);
    // Flag it first (the runner makes no new run once it sees the flag), stop the open runs so
    // that the report shows them stopped, end the check, then stop a run made in between.
    if (await requestCheckCancel(ctx.db, row.id)) {
      await cancelOpenRuns(ctx, row.id);
      await endCheck(ctx, row.id, { status: 'canceled', why: 'the check was canceled' });
      await cancelOpenRuns(ctx, row.id);
    }
    return (await wire(ctx, [await requireCheck(ctx, row.id)]))[0];
  });
}
