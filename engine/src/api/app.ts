/**
 * The HTTP API: one Fastify app, one error path (problem+json, see problem.ts) for the app's
 * errors, unknown routes, the router's errors and the HTTP parser's, one edge (edge.ts) that
 * checks every request's parameters and body, one auth hook. Route modules register themselves
 * with the shared `ApiContext`.
 */
import type { ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import Fastify, { type FastifyInstance, type FastifyError } from 'fastify';
import { ApiError, unauthorized } from '../core/errors';
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
import { consoleRoutes } from './console';
import { checkRoutes } from './checks';
import { decideRoutes } from './decide';
import { clientErrorProblem, problem, problemOf, rawProblemResponse, sendProblem } from './problem';
import { discardBody } from './discard-body';
import { edgeRules } from './edge';
import { routeList } from './route-list';
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
/** The console's page and files (it signs in with a token of its own), and `/` and `/p/{id}`, which redirect to it. */
const CONSOLE_PUBLIC = [/^\/$/, /^\/console(\/|$)/, /^\/p\/[^/]+$/];

/** Longest path segment the router matches (longer: 414); ids have their own, lower limit (422). */
const MAX_PARAM_LENGTH = 1000;
/** After answering a malformed request on a raw socket, how long the client has to read it. */
const CLIENT_ERROR_LINGER_MS = 2000;

export function buildApp(ctx: ApiContext, opts: AppOptions): FastifyInstance {
  const limits = { bodyLimitBytes: opts.bodyLimitBytes, maxParamLength: MAX_PARAM_LENGTH };
  const answered = new WeakSet<Socket>();
  let closing = false;
  const app = Fastify({
    ...requestLogging(opts.logger),
    bodyLimit: opts.bodyLimitBytes,
    // Closing answers 503 through the error handler below, in the same shape as every error.
    return503OnClosing: false,
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    // The router's own errors (bad percent-encoding, an over-long segment).
    frameworkErrors: (err, _req, reply) => void sendProblem(reply, problemOf(err, limits)),
    // The HTTP parser's errors (broken framing, oversized headers): there is no request to answer
    // through, so the response is written to the socket, unless one of ours is already on it.
    clientErrorHandler: (err: Error & { code?: string }, socket: Socket) => {
      if (err.code === 'ECONNRESET' || socket.destroyed || answered.has(socket)) return;
      answered.add(socket);
      // Node hands over the bytes it was parsing; requests on a connection arrive one at a time,
      // so they start with the request line, which says whether this was a HEAD.
      const packet = (err as { rawPacket?: unknown }).rawPacket;
      const head = Buffer.isBuffer(packet) && packet.subarray(0, 5).toString('latin1') === 'HEAD ';
      let sent = false;
      const answer = () => {
        if (sent || socket.destroyed) return;
        sent = true;
        if (!socket.writable) return void socket.destroy();
        // End (not destroy) and keep reading a moment: closing with unread bytes would reset the
        // connection and could take the answer with it.
        socket.end(rawProblemResponse(clientErrorProblem(err), head));
        socket.resume();
        setTimeout(() => socket.destroy(), CLIENT_ERROR_LINGER_MS).unref();
      };
      // Bytes after a request that is still being answered (pipelined garbage): that answer goes
      // out first, whole, and this one after it.
      const inFlight = (socket as Socket & { _httpMessage?: ServerResponse })._httpMessage;
      if (inFlight && !inFlight.writableFinished) {
        inFlight.once('finish', answer);
        inFlight.once('close', answer);
      } else {
        answer();
      }
    },
  });

  const routes = collectRoutes(app);
  echoRequestId(app);
  routeList(app);
  edgeRules(app);

  app.setErrorHandler(async (err: FastifyError | ApiError, req, reply) => {
    const p = problemOf(err, limits);
    if (p.internal) req.log.error(err);
    // Fastify asks to close the connection when it stopped reading a body (a 413, a parser
    // error). Read the rest (bounded) first, so the client gets this answer rather than a reset,
    // and the connection can then be kept.
    if (reply.getHeader('connection') === 'close' && !closing && (await discardBody(req.raw))) reply.removeHeader('connection');
    return sendProblem(reply, p);
  });

  app.setNotFoundHandler((req, reply) => {
    void sendProblem(reply, problem(404, 'Not found', `No route for ${req.method} ${req.url.split('?')[0]}.`));
  });

  app.addHook('preClose', async () => {
    closing = true;
  });

  app.addHook('onRequest', async (req, reply) => {
    if (closing) {
      reply.header('connection', 'close');
      throw new ApiError(503, 'Service unavailable', 'The engine is shutting down; retry on another instance or after it restarts.');
    }
    const path = req.url.split('?')[0];
    if (PUBLIC.some((re) => re.test(path)) || CONSOLE_PUBLIC.some((re) => re.test(path))) return;
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
  consoleRoutes(app);
  checkRoutes(app, ctx);
  decideRoutes(app, ctx);
  observabilityRoutes(app, ctx);
  for (const plugin of opts.plugins ?? []) plugin(app, ctx);
  openApiRoutes(app, ctx, routes);
  return app;
}
