/**
 * Token scopes and ownership, enforced for every route in one place (rules in core/scopes.ts):
 * a token calling a route its scope does not allow gets 403; a non-admin token asking for a
 * prediction, training, check, file or subscription of another token gets the same 404 as for one that
 * does not exist. Lists are filtered by their queries (see `ownerFilter`).
 */
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { forbidden, notFound } from '../core/errors';
import { allows, ownerFilter, requiredScope } from '../core/scopes';
import { ownerOf, type OwnedKind } from '../store/owners';
import type { TokenRow } from '../store/tokens';
import type { ApiContext } from './context';

declare module 'fastify' {
  interface FastifyRequest {
    /** The authenticated token (absent on public routes). */
    token?: TokenRow;
  }
}

/** Routes that name one owned object by `:id`: what it is and how its 404 reads. */
const OWNED: Record<string, { kind: OwnedKind; label: string }> = {
  'GET /v1/predictions/:id': { kind: 'prediction', label: 'Prediction' },
  'POST /v1/predictions/:id/cancel': { kind: 'prediction', label: 'Prediction' },
  'GET /v1/predictions/:id/webhooks': { kind: 'prediction', label: 'Prediction' },
  'GET /v1/trainings/:id': { kind: 'training', label: 'Training' },
  'POST /v1/trainings/:id/cancel': { kind: 'training', label: 'Training' },
  'GET /v1/files/:id': { kind: 'file', label: 'File' },
  'DELETE /v1/files/:id': { kind: 'file', label: 'File' },
  'GET /v1/webhooks/:id': { kind: 'subscription', label: 'Webhook subscription' },
  'DELETE /v1/webhooks/:id': { kind: 'subscription', label: 'Webhook subscription' },
  'GET /v1/checks/:id': { kind: 'check', label: 'Check' },
  'POST /v1/checks/:id/cancel': { kind: 'check', label: 'Check' },
};

/** The token id whose objects `req` may see, or undefined for an admin (all of them). */
export const visibleOwner = (req: FastifyRequest): string | undefined => ownerFilter(req.token);

export function accessControl(app: FastifyInstance, ctx: ApiContext): void {
  // Runs after the authentication hook (hooks run in the order they were added).
  app.addHook('onRequest', async (req) => {
    const token = req.token;
    const route = req.routeOptions.url;
    if (!token || !route) return;
    const needed = requiredScope(req.method, route);
    if (!allows(token.scope, needed)) {
      const detail = `${req.method} ${route} needs a token of scope "${needed}" or above; this token's scope is "${token.scope}".`;
      throw forbidden(detail, [{ pointer: '/headers/authorization', detail: `scope "${token.scope}" does not allow this request` }]);
    }
  });

  app.addHook('preHandler', async (req) => {
    const owner = visibleOwner(req);
    const owned = owner && req.routeOptions.url ? OWNED[`${req.method} ${req.routeOptions.url}`] : undefined;
    if (!owned) return;
    const id = (req.params as { id?: string }).id ?? '';
    if ((await ownerOf(ctx.db, owned.kind, id)) !== owner) throw notFound(`${owned.label} ${id}`);
  });
}
