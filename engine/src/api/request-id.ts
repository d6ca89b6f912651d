/**
 * Request ids: a client's `X-Request-Id` is kept when it is a sane token (letters, digits and
 * `._:@/+=-`, at most 128), otherwise one is made; every answer carries it back, and log lines
 * about the request (and the predictions it creates) carry it as `request_id`.
 */
import { randomBytes } from 'node:crypto';
import { LogController, type FastifyBaseLogger, type FastifyInstance, type FastifyServerOptions } from 'fastify';
import type { IncomingMessage } from 'node:http';
import { logger } from '../observe/logger';

const SANE = /^[\w.:@/+=-]{1,128}$/;

export function newRequestId(): string {
  return `req_${randomBytes(9).toString('base64url')}`;
}

/** Fastify options: ids from the header or fresh; request logs (when on) go to the process logger. */
export function requestLogging(requestLogs: boolean): Pick<FastifyServerOptions, 'genReqId' | 'logController'> & { loggerInstance?: FastifyBaseLogger } {
  return {
    genReqId: (req: IncomingMessage) => {
      const given = req.headers['x-request-id'];
      return typeof given === 'string' && SANE.test(given) ? given : newRequestId();
    },
    logController: new LogController({ requestIdLogLabel: 'request_id', disableRequestLogging: !requestLogs }),
    ...(requestLogs ? { loggerInstance: logger() as FastifyBaseLogger } : {}),
  };
}

export function echoRequestId(app: FastifyInstance): void {
  app.addHook('onRequest', async (req, reply) => {
    reply.header('x-request-id', req.id);
  });
}
