/**
 * Creating a prediction or training, shared by every create endpoint: resolve the version,
 * validate input (defaults applied), persist, enqueue, and optionally hold the request.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, invalid, type FieldError } from '../core/errors';
import { newCapability, newId } from '../core/ids';
import { parseCancelAfter, parsePreferWait } from '../core/durations';
import { isTerminal, toWire, type Kind, type PredictionRow } from '../core/prediction';
import { inputSchemaOf, validateInput } from '../core/validate';
import type { VersionRow } from '../store/catalog';
import type { TokenRow } from '../store/tokens';
import { getPrediction, insertPrediction } from '../store/predictions';
import type { ApiContext } from './context';
import type { PredictionWaiter } from './waiter';
import { requireServableHardware } from './cluster';
import { admitCreate } from './admission';
import { observeCreated } from '../observe/metrics';
import { predictionLogger } from '../observe/logger';
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

/** Runs a header parser; an unreadable value is a 400, an out-of-range one (RangeError) a 422, both naming the header. */
function headerProblem(name: string, fn: () => unknown): never | void {
  try {
    fn();
  } catch (err) {
    const errors = [{ pointer: `/headers/${name}`, detail: (err as Error).message }];
    if (err instanceof RangeError) throw invalid(errors, (err as Error).message);
    throw new ApiError(400, 'Bad request', (err as Error).message, errors);
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
  /** The deployment's max_queue (backpressure), when it runs on one. */
  maxQueue?: number | null;
  fields: ReturnType<typeof checkCommonFields>;
}

const servableUntil = new Map<string, number>();

export interface SubmitOptions {
  tokenId: string | null;
  /** The creating token, for its spend limits (absent: none apply). */
  token?: TokenRow;
  /** The HTTP request's id, carried into the prediction's log lines. */
  requestId?: string;
  /** Seconds from now after which the prediction is aborted (queued) or canceled (running). */
  cancelAfterSeconds?: number;
  /** Called once the row is stored, before it is dispatched (subscribe to its completion here). */
  onStored?: (row: PredictionRow) => void;
  /** The id to give it (a model check records the id before it submits); a new one by default. */
  id?: string;
  log?: { warn(obj: unknown, msg: string): void };
}

/**
 * The create path without HTTP: validate the input against the version's schema (defaults
 * applied), refuse hardware no live worker serves, store the row, dispatch it. Every create
 * endpoint and the model checks go through here. Throws `ApiError` (422) for bad input.
 */
export async function submitPrediction(ctx: ApiContext, args: CreateArgs, opts: SubmitOptions): Promise<PredictionRow> {
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
  await admitCreate(ctx, opts.token, { version: version.id, model: `${version.owner}/${version.name}`, deployment: args.deployment ?? null, deploymentMaxQueue: args.maxQueue });

  const id = opts.id ?? newId();
  // The local worker takes it when it can: stored already started on a warm instance's free slot,
  // or owned by it while it waits for an instance (one statement either way, no queue).
  const local = ctx.localWorker?.claim({ id, version: version.id, deployment: args.deployment ?? null, hardware });
  const row = await insertPrediction(ctx.db, {
    id,
    kind: args.kind,
    model: `${version.owner}/${version.name}`,
    version: version.id,
    deployment: args.deployment ?? null,
    destination: args.destination ?? null,
    input,
    hardware,
    deadline: opts.cancelAfterSeconds ? new Date(Date.now() + opts.cancelAfterSeconds * 1000) : null,
    webhook: fields.webhook,
    webhookEventsFilter: fields.filter,
    tags: fields.tags,
    tokenId: opts.tokenId,
    requestId: opts.requestId,
    streamKey: version.streams && args.kind === 'prediction' ? newCapability() : null,
    ownedBy: local ? { workerId: local.workerId, started: local.started } : undefined,
  }).catch((err: Error) => {
    local?.release();
    throw err;
  });
  observeCreated(row);
  predictionLogger(row, opts.requestId).info({ version: row.version, status: row.status }, `${row.kind} created`);
  opts.onStored?.(row);
  if (local) local.start(row);
  else {
    try {
      // The queue hands it to whichever worker has room.
      await ctx.dispatcher.enqueue(row);
    } catch (err) {
      // Still safe: the row exists and the recovery sweep enqueues `starting` predictions.
      opts.log?.warn({ err, id }, 'enqueue failed; the sweep will retry');
    }
  }
  return row;
}

export async function createPrediction(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, args: CreateArgs) {
  let wait: number | undefined;
  let cancelAfter: number | undefined;
  headerProblem('prefer', () => (wait = parsePreferWait(req.headers.prefer as string | undefined)));
  headerProblem('cancel-after', () => (cancelAfter = parseCancelAfter(req.headers['cancel-after'] as string | undefined)));

  let waiting: ReturnType<PredictionWaiter['untilCompleted']> | undefined;
  const row = await submitPrediction(ctx, args, {
    tokenId: req.tokenId ?? null,
    token: req.token,
    requestId: req.id,
    cancelAfterSeconds: cancelAfter,
    log: req.log,
    onStored: (stored) => {
      if (wait) waiting = ctx.waiter.untilCompleted(stored.id, wait, async () => false);
    },
  });
  let current = row;
  if (waiting) {
    // A client that hangs up stops the wait (the response's close fires on a dropped connection).
    const closed = new Promise<undefined>((resolve) => reply.raw.once('close', () => resolve(undefined)));
    const finished = await Promise.race([waiting.done, closed]);
    waiting.cancel();
    current = finished ?? (await getPrediction(ctx.db, row.id)) ?? row;
  }
  const wire = toWire(current, ctx.publicUrl);
  // The official client treats any non-`starting` answer to a blocking create as final, and
  // Replicate answers an unfinished sync wait with `starting`: do the same.
  if (waiting && !isTerminal(current.status)) wire.status = 'starting';
  reply.header('Location', wire.urls ? (wire.urls as { get: string }).get : '');
  // 201 = created (with final output when waited for); 202 = a sync wait ran out before the end.
  return reply.code(waiting && !isTerminal(current.status) ? 202 : 201).send(wire);
}
