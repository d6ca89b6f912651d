/**
 * The HTTP API: one Fastify app, one error handler (problem+json), one auth hook. Route modules
 * register themselves with the shared `ApiContext`.
 */
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { ApiError, badRequest, unauthorized } from '../core/errors';
import { findActiveToken } from '../store/tokens';
import type { ApiContext } from './context';
import { predictionRoutes } from './predictions';
import { modelRoutes } from './models';
import { accountRoutes } from './account';
import { deploymentRoutes } from './deployments';
import { usageRoutes } from './usage';
import { clusterRoutes } from './cluster';
import { webhookRoutes } from './webhooks';
import { streamRoutes } from './streams';
import { fileRoutes } from './files';
import { trainingRoutes } from './trainings';
import { searchRoutes } from './search';
import { tokenRoutes } from './tokens';
import { accessControl } from './access';
import { idempotency } from './idempotency';
import { observabilityRoutes } from './observability';
import { echoRequestId, requestLogging } from './request-id';
import { collectRoutes } from './openapi/document';
import { openApiRoutes } from './openapi/serve';

declare module 'fastify' {
  interface FastifyRequest {
    tokenId?: string;
  }
}

export interface AppOptions {
  bodyLimitBytes: number;
  /** Log every request (GANTRY_LOG=debug) through the process logger. */
  logger: boolean;
  /** Extra route modules (the engine's other resources register through this). */
  plugins?: Array<(app: FastifyInstance, ctx: ApiContext) => void>;
}

/** Routes reachable without a bearer token (they carry their own capability, or are public). */
const PUBLIC = [/^\/health$/, /^\/health\/ready$/, /^\/metrics$/, /^\/openapi\.json$/, /^\/docs$/, /^\/v1\/streams\//, /^\/v1\/files\/[^/]+\/download/];

function problem(status: number, title: string, detail: string, errors?: unknown) {
  return { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) };
}

export function buildApp(ctx: ApiContext, opts: AppOptions): FastifyInstance {
  const app = Fastify({ ...requestLogging(opts.logger), bodyLimit: opts.bodyLimitBytes, return503OnClosing: true });
  const routes = collectRoutes(app);
  echoRequestId(app);

  // The official client sends `Content-Type: application/json` on body-less GETs and cancels:
  // an empty body is no body, not malformed JSON.
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_req, body, done) => {
    const text = String(body);
    if (text.trim() === '') return done(null, undefined);
    try {
      done(null, JSON.parse(text));
    } catch (err) {
      done(badRequest(`The request body is not valid JSON: ${(err as Error).message}`) as unknown as Error, undefined);
    }
  });

  app.setErrorHandler((err: FastifyError | ApiError, req, reply) => {
    if (err instanceof ApiError) {
      if (err.headers) reply.headers(err.headers);
      return reply.code(err.status).type('application/problem+json').send({ ...problem(err.status, err.title, err.detail, err.errors), ...err.extensions });
    }
    const status = (err as FastifyError).statusCode ?? 500;
    if (status === 413 || (err as FastifyError).code === 'FST_ERR_CTP_BODY_TOO_LARGE') {
      return reply.code(413).type('application/problem+json')
        .send(problem(413, 'Payload too large', `The request body exceeds the limit of ${opts.bodyLimitBytes} bytes.`));
    }
    if (status >= 400 && status < 500) {
      return reply.code(status).type('application/problem+json').send(problem(status, 'Bad request', err.message));
    }
    req.log.error(err);
    return reply.code(500).type('application/problem+json').send(problem(500, 'Internal error', 'An unexpected error occurred.'));
  });

  app.setNotFoundHandler((req, reply) => {
    reply.code(404).type('application/problem+json').send(problem(404, 'Not found', `No route for ${req.method} ${req.url.split('?')[0]}.`));
  });

  app.addHook('onRequest', async (req) => {
    const path = req.url.split('?')[0];
    if (PUBLIC.some((re) => re.test(path))) return;
    const header = req.headers.authorization ?? '';
    const m = /^(?:Bearer|Token)\s+(.+)$/i.exec(header);
    if (!m) throw unauthorized();
    const secret = m[1].trim();
    const token = await ctx.tokens.through(secret, () => findActiveToken(ctx.db, secret));
    if (!token) throw unauthorized('The API token is invalid or revoked.');
    req.tokenId = token.id;
    req.token = token;
  });
  accessControl(app, ctx);

  app.get('/health', async () => ({ status: 'ok' }));
  idempotency(app, ctx, ctx.idempotencyTtlSeconds ?? 24 * 3600);
  predictionRoutes(app, ctx);
  modelRoutes(app, ctx);
  accountRoutes(app, ctx);
  tokenRoutes(app, ctx);
  deploymentRoutes(app, ctx);
  usageRoutes(app, ctx);
  clusterRoutes(app, ctx);
  webhookRoutes(app, ctx);
  streamRoutes(app, ctx);
  fileRoutes(app, ctx);
  trainingRoutes(app, ctx);
  searchRoutes(app, ctx);
  observabilityRoutes(app, ctx);
  for (const plugin of opts.plugins ?? []) plugin(app, ctx);
  openApiRoutes(app, ctx, routes);
  return app;
}
