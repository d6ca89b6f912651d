/**
 * `Idempotency-Key` on create routes: the first request with a key runs and its answer is kept;
 * a repeat with the same method, URL and body gets that answer again (`Idempotent-Replayed:
 * true`) instead of creating a second object; a repeat with a different request is a 422 naming
 * the header. A repeat that arrives while the first is still running (a `Prefer: wait` create)
 * waits for its answer. Failed requests (4xx, 5xx: a 429 or 402 among them) release the key, so
 * a retry runs afresh. Keys are per token and expire after GANTRY_IDEMPOTENCY_TTL (24 h).
 *
 * A create route takes part by one line in IDEMPOTENT_CREATES; nothing in its handler changes.
 */
import type { FastifyInstance, FastifyReply, FastifyRequest, RouteOptions } from 'fastify';
import { ApiError, badRequest } from '../core/errors';
import { canonicalJson, sha256 } from '../core/ids';
import { claimKey, completeKey, deleteExpiredKeys, readKey, releaseKey, type KeyRef } from '../store/idempotency';
import type { ApiContext } from './context';

/** Method and route pattern of every create that honours Idempotency-Key. */
export const IDEMPOTENT_CREATES: readonly string[] = [
  'POST /v1/predictions',
  'POST /v1/models/:owner/:name/predictions',
  'POST /v1/deployments/:owner/:name/predictions',
  'POST /v1/models/:owner/:name/versions/:id/trainings',
  'POST /v1/deployments',
  'POST /v1/models',
  'POST /v1/webhooks',
  'POST /v1/checks',
];

export const IDEMPOTENCY_HEADER = 'idempotency-key';
const POINTER = `/headers/${IDEMPOTENCY_HEADER}`;
/** A first request without an answer after this long was lost with its process: its key is free again. */
const ABANDONED_SECONDS = 120;
/** How long a repeat waits for the first request's answer (longer than the longest Prefer: wait). */
const WAIT_FOR_FIRST_MS = 75_000;
const POLL_MS = 100;
/** Answer headers replayed with the body. */
const KEPT_HEADERS = ['content-type', 'location'];

declare module 'fastify' {
  interface FastifyRequest {
    /** The key this request claimed (its answer is stored when it is sent). */
    idempotencyKey?: KeyRef;
  }
}

/** The header's value, checked: 1–255 visible ASCII characters (spaces inside allowed). */
export function parseIdempotencyKey(value: string | string[] | undefined): string | undefined {
  if (value === undefined) return undefined;
  const problem = (detail: string) => badRequest(`The Idempotency-Key header ${detail}.`, [{ pointer: POINTER, detail }]);
  if (Array.isArray(value)) throw problem('must be given once');
  if (value.length === 0 || value.length > 255) throw problem('must be 1 to 255 characters');
  if (!/^[\x21-\x7e]([\x20-\x7e]*[\x21-\x7e])?$/.test(value)) throw problem('must be visible ASCII characters without leading or trailing spaces');
  return value;
}

const reused = (key: string, route: string) =>
  new ApiError(
    422,
    'Idempotency-Key reused',
    `The Idempotency-Key "${key}" was first used with a different request${route ? ` (${route})` : ''}; send a new key for a new request.`,
    [{ pointer: POINTER, detail: 'was already used with a different request body or URL' }],
  );

function requestHash(req: FastifyRequest): string {
  return sha256(`${req.method} ${req.url}\n${canonicalJson(req.body ?? null)}`);
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function claim(ctx: ApiContext, ttlSeconds: number, req: FastifyRequest, reply: FastifyReply): Promise<FastifyReply | undefined> {
  const key = parseIdempotencyKey(req.headers[IDEMPOTENCY_HEADER]);
  if (key === undefined || !req.tokenId) return undefined;
  const ref: KeyRef = { tokenId: req.tokenId, key };
  const route = `${req.method} ${req.routeOptions.url}`;
  const hash = requestHash(req);
  const until = Date.now() + WAIT_FOR_FIRST_MS;
  for (;;) {
    if (await claimKey(ctx.db, ref, route, hash, ttlSeconds, ABANDONED_SECONDS)) {
      req.idempotencyKey = ref;
      return undefined;
    }
    const row = await readKey(ctx.db, ref);
    if (!row) continue; // released meanwhile: claim it
    if (row.route !== route || row.request_hash !== hash) throw reused(key, row.route);
    if (row.status !== null) {
      return reply.code(row.status).headers({ ...row.headers, 'idempotent-replayed': 'true' }).send(row.body ?? '');
    }
    if (Date.now() > until) {
      throw new ApiError(409, 'Conflict', `A request with the Idempotency-Key "${key}" is still in progress; retry later.`, [
        { pointer: POINTER, detail: 'is in use by a request still in progress' },
      ]);
    }
    await sleep(POLL_MS);
  }
}

async function store(ctx: ApiContext, req: FastifyRequest, reply: FastifyReply, payload: unknown): Promise<void> {
  const ref = req.idempotencyKey;
  if (!ref) return;
  req.idempotencyKey = undefined;
  const status = reply.statusCode;
  if (status >= 200 && status < 300 && typeof payload === 'string') {
    const headers: Record<string, string> = {};
    for (const name of KEPT_HEADERS) {
      const value = reply.getHeader(name);
      if (value !== undefined) headers[name] = String(value);
    }
    await completeKey(ctx.db, ref, status, headers, payload);
  } else {
    await releaseKey(ctx.db, ref);
  }
}

const asArray = <T>(x: T | T[] | undefined): T[] => (x === undefined ? [] : Array.isArray(x) ? x : [x]);

/** Registers the mechanism; must run before the routes are added (it hooks `onRoute`). */
export function idempotency(app: FastifyInstance, ctx: ApiContext, ttlSeconds: number): void {
  const creates = new Set(IDEMPOTENT_CREATES);
  app.addHook('onRoute', (route: RouteOptions) => {
    if (!asArray(route.method).some((m) => creates.has(`${m} ${route.url}`))) return;
    route.preHandler = [...asArray(route.preHandler), (req, reply) => claim(ctx, ttlSeconds, req, reply)] as RouteOptions['preHandler'];
    route.onSend = [
      ...asArray(route.onSend),
      async (req: FastifyRequest, reply: FastifyReply, payload: unknown) => {
        // A store that fails must not lose the answer: the key then expires or is taken over.
        await store(ctx, req, reply, payload).catch((err) => req.log.warn({ err }, 'idempotency: could not store the answer'));
        return payload;
      },
    ] as RouteOptions['onSend'];
  });
  const sweep = setInterval(() => void deleteExpiredKeys(ctx.db, ttlSeconds).catch(() => undefined), 10 * 60_000);
  sweep.unref();
  app.addHook('onClose', async () => clearInterval(sweep));
}
