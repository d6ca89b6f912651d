/**
 * Extension: API tokens with scopes and spend limits.
 * `POST /v1/tokens { name, scope: "admin" | "run" | "read", limits?: { usd_per_day?, usd_per_month? } }`
 * → the token (its secret shown once); `GET /v1/tokens`; `DELETE /v1/tokens/{id}` (revoke). Admin only.
 */
import type { FastifyInstance } from 'fastify';
import { invalid, notFound, type FieldError } from '../core/errors';
import { newId, newToken } from '../core/ids';
import { SCOPES, type Scope } from '../core/scopes';
import { insertToken, listTokens, revokeToken, type TokenRow } from '../store/tokens';
import type { ApiContext } from './context';

const FIELDS = ['name', 'scope', 'limits'];
const LIMITS = ['usd_per_day', 'usd_per_month'] as const;

export function tokenWire(t: TokenRow) {
  return {
    id: t.id,
    name: t.name,
    scope: t.scope,
    limits: { usd_per_day: t.usd_per_day, usd_per_month: t.usd_per_month },
    created_at: t.created_at.toISOString(),
    revoked_at: t.revoked_at?.toISOString() ?? null,
  };
}

interface TokenRequest {
  name: string;
  scope: Scope;
  limits: { usd_per_day: number | null; usd_per_month: number | null };
}

export function parseTokenRequest(raw: unknown): TokenRequest {
  if (raw === null || typeof raw !== 'object' || Array.isArray(raw)) throw invalid([{ pointer: '', detail: 'the body must be a JSON object' }]);
  const b = raw as Record<string, unknown>;
  const errors: FieldError[] = [];
  for (const k of Object.keys(b)) if (!FIELDS.includes(k)) errors.push({ pointer: `/${k}`, detail: 'is not a recognised field' });
  if (typeof b.name !== 'string' || b.name.length === 0 || b.name.length > 200) {
    errors.push({ pointer: '/name', detail: 'is required: a non-empty string of at most 200 characters' });
  }
  if (!SCOPES.includes(b.scope as Scope)) errors.push({ pointer: '/scope', detail: `is required: one of ${SCOPES.join(', ')}` });
  const limits: TokenRequest['limits'] = { usd_per_day: null, usd_per_month: null };
  if (b.limits !== undefined && b.limits !== null) {
    if (typeof b.limits !== 'object' || Array.isArray(b.limits)) errors.push({ pointer: '/limits', detail: 'must be an object' });
    else {
      for (const [k, v] of Object.entries(b.limits)) {
        if (!(LIMITS as readonly string[]).includes(k)) errors.push({ pointer: `/limits/${k}`, detail: `is not a recognised limit (${LIMITS.join(', ')})` });
        else if (v === null) continue;
        else if (typeof v !== 'number' || !Number.isFinite(v) || v < 0) errors.push({ pointer: `/limits/${k}`, detail: 'must be a number of US dollars, 0 or more' });
        else limits[k as (typeof LIMITS)[number]] = v;
      }
    }
  }
  if (errors.length) throw invalid(errors);
  return { name: b.name as string, scope: b.scope as Scope, limits };
}

export function tokenRoutes(app: FastifyInstance, ctx: ApiContext): void {
  app.post('/v1/tokens', async (req, reply) => {
    const t = parseTokenRequest(req.body ?? {});
    const secret = newToken();
    const row = await insertToken(ctx.db, newId(), t.name, secret, { scope: t.scope, usdPerDay: t.limits.usd_per_day, usdPerMonth: t.limits.usd_per_month });
    return reply.code(201).send({ ...tokenWire(row), token: secret });
  });

  app.get('/v1/tokens', async () => ({ results: (await listTokens(ctx.db)).map(tokenWire) }));

  app.delete<{ Params: { id: string } }>('/v1/tokens/:id', async (req, reply) => {
    if (!(await revokeToken(ctx.db, req.params.id))) throw notFound(`Token ${req.params.id}`);
    ctx.tokens.clear();
    return reply.code(204).send();
  });
}
