/**
 * Creating a prediction or training, shared by every create endpoint: resolve the version,
 * validate input (defaults applied), persist, enqueue, and optionally hold the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalid, type FieldError } from '../core/errors';
import { newCapability, newId } from '../core/ids';
import { parseCancelAfter, parsePreferWait } from '../core/durations';
import { isTerminal, toWire, type Kind } from '../core/prediction';
import { inputSchemaOf, validateInput } from '../core/validate';
import type { VersionRow } from '../store/catalog';
import { getPrediction, insertPrediction } from '../store/predictions';
import type { ApiContext } from './context';
import { requireServableHardware } from './cluster';
import { parseEventsFilter, webhookUrlProblem, WebhookValidationError } from '../webhooks/events';

export interface CreateBody {
  input?: unknown;
  webhook?: unknown;
  webhook_events_filter?: unknown;
  tags?: unknown;
  stream?: unknown;
}

/** Checks the fields common to every create body; returns them typed. */
export function checkCommonFields(body: CreateBody, allowed: string[]): {
  input: Record<string, unknown>;
  webhook: string | null;
  filter: string[] | null;
  tags: Record<string, string>;
} {
  const errors: FieldError[] = [];
  for (const key of Object.keys(body)) {
    if (!allowed.includes(key)) errors.push({ pointer: `/${key}`, detail: 'is not a recognised field' });
  }
  const input = body.input;
  if (input === undefined) errors.push({ pointer: '/input', detail: 'is required' });
  else if (typeof input !== 'object' || input === null || Array.isArray(input)) errors.push({ pointer: '/input', detail: 'must be an object' });
  let webhook: string | null = null;
  if (body.webhook !== undefined && body.webhook !== null) {
    const problem = webhookUrlProblem(body.webhook);
    if (problem) errors.push({ pointer: '/webhook', detail: problem });
    else webhook = body.webhook as string;
  }
  let filter: string[] | null = null;
  try {
    filter = parseEventsFilter(body.webhook_events_filter);
  } catch (err) {
    if (!(err instanceof WebhookValidationError)) throw err;
    errors.push({ pointer: `/${err.field}`, detail: err.message });
  }
  let tags: Record<string, string> = {};
  if (body.tags !== undefined && body.tags !== null) {
    const t = body.tags;
    if (typeof t !== 'object' || Array.isArray(t) || Object.values(t as object).some((v) => typeof v !== 'string')) {
      errors.push({ pointer: '/tags', detail: 'must be an object of string values' });
    } else if (Object.keys(t as object).length > 50) {
      errors.push({ pointer: '/tags', detail: 'may have at most 50 entries' });
    } else tags = t as Record<string, string>;
  }
  if (errors.length) throw invalid(errors);
  return { input: input as Record<string, unknown>, webhook, filter, tags };
}

function headerProblem(name: string, fn: () => unknown): never | void {
  try {
    fn();
  } catch (err) {
    throw new ApiError(400, 'Bad request', (err as Error).message, [{ pointer: `/headers/${name}`, detail: (err as Error).message }]);
  }
}

export interface CreateArgs {
  kind: Kind;
  version: VersionRow;
  deployment?: string | null;
  destination?: string | null;
  hardware?: string;
  /** The schema the input is validated against (training input differs from predict input). */
  inputSchema?: Record<string, unknown>;
  schemaKey?: string;
  fields: ReturnType<typeof checkCommonFields>;
}

const servableUntil = new Map<string, number>();

export async function createPrediction(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, args: CreateArgs) {
  let wait: number | undefined;
  let cancelAfter: number | undefined;
  headerProblem('prefer', () => (wait = parsePreferWait(req.headers.prefer as string | undefined)));
  headerProblem('cancel-after', () => (cancelAfter = parseCancelAfter(req.headers['cancel-after'] as string | undefined)));

  const { version, fields } = args;
  const input = structuredClone(fields.input);
  const schema = args.inputSchema ?? inputSchemaOf(version.openapi_schema);
  const errors = validateInput(args.schemaKey ?? version.id, schema, input);
  if (errors.length) throw invalid(errors);

  // Fail fast rather than queue work no worker can take (a served SKU is remembered briefly,
  // so the hot path does not ask the database on every create).
  const hardware = args.hardware ?? version.hardware;
  if ((servableUntil.get(hardware) ?? 0) < Date.now()) {
    await requireServableHardware(ctx, hardware, '/version');
    servableUntil.set(hardware, Date.now() + 2000);
  }

  const id = newId();
  // A warm local instance with a free slot takes it at once: stored already started, one statement.
  const warm = ctx.localWorker?.claimWarm({ id, version: version.id, deployment: args.deployment ?? null, hardware });
  const row = await insertPrediction(ctx.db, {
    id,
    kind: args.kind,
    model: `${version.owner}/${version.name}`,
    version: version.id,
    deployment: args.deployment ?? null,
    destination: args.destination ?? null,
    input,
    hardware,
    deadline: cancelAfter ? new Date(Date.now() + cancelAfter * 1000) : null,
    webhook: fields.webhook,
    webhookEventsFilter: fields.filter,
    tags: fields.tags,
    tokenId: req.tokenId ?? null,
    streamKey: version.streams && args.kind === 'prediction' ? newCapability() : null,
    startedBy: warm?.startedBy,
  }).catch((err: Error) => {
    warm?.release();
    throw err;
  });
  const waiting = wait ? ctx.waiter.untilCompleted(id, wait, async () => false) : undefined;
  if (warm) warm.start(row);
  else {
    try {
      // The local worker waits for an instance itself when no other worker could run it;
      // otherwise the queue hands it to whichever worker has room.
      if (!ctx.localWorker?.accept(row)) await ctx.dispatcher.enqueue(row);
    } catch (err) {
      // Still safe: the row exists and the recovery sweep enqueues `starting` predictions.
      req.log.warn({ err, id }, 'enqueue failed; the sweep will retry');
    }
  }
  let current = row;
  if (waiting) {
    // A client that hangs up stops the wait (the response's close fires on a dropped connection).
    const closed = new Promise<undefined>((resolve) => reply.raw.once('close', () => resolve(undefined)));
    const finished = await Promise.race([waiting.done, closed]);
    waiting.cancel();
    current = finished ?? (await getPrediction(ctx.db, id)) ?? row;
  }
  const wire = toWire(current, ctx.publicUrl);
  // The official client treats any non-`starting` answer to a blocking create as final, and
  // Replicate answers an unfinished sync wait with `starting`: do the same.
  if (waiting && !isTerminal(current.status)) wire.status = 'starting';
  reply.header('Location', wire.urls ? (wire.urls as { get: string }).get : '');
  // 201 = created (with final output when waited for); 202 = a sync wait ran out before the end.
  return reply.code(waiting && !isTerminal(current.status) ? 202 : 201).send(wire);
}
