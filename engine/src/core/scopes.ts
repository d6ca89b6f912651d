/**
 * Token scopes: what a token may call, by route.
 *
 * - `admin`: everything (the bootstrap token and every token made before scopes existed).
 * - `run`: reads, plus creating and canceling its own predictions, trainings and model checks
 *   (a check's runs are its predictions, under its spend limits), uploading and deleting its own
 *   files and managing its own webhook subscriptions.
 * - `read`: reads only (a cost decision with prices of its own, `POST /v1/decide`, is a read).
 *
 * Non-admin tokens see only their own predictions, trainings, checks, files, subscriptions and
 * usage; the catalogue (models, versions, deployments, collections, hardware) is shared.
 */
export type Scope = 'admin' | 'run' | 'read';

export const SCOPES: readonly Scope[] = ['admin', 'run', 'read'];

const RANK: Record<Scope, number> = { read: 0, run: 1, admin: 2 };

/** Writes a `run` token may make (method and Fastify route pattern). */
const RUN_WRITES = new Set([
  'POST /v1/predictions',
  'POST /v1/models/:owner/:name/predictions',
  'POST /v1/deployments/:owner/:name/predictions',
  'POST /v1/predictions/:id/cancel',
  'POST /v1/models/:owner/:name/versions/:id/trainings',
  'POST /v1/trainings/:id/cancel',
  'POST /v1/checks',
  'POST /v1/checks/:id/cancel',
  'POST /v1/files',
  'DELETE /v1/files/:id',
  'POST /v1/webhooks',
  'DELETE /v1/webhooks/:id',
]);

/** Reads that only an admin may make: they reveal other tokens or the whole engine's internals. */
const ADMIN_READS = new Set(['GET /v1/tokens']);

/** Reads that use a method other than GET (they change nothing). */
const OTHER_READS = new Set(['QUERY /v1/models', 'POST /v1/decide']);

/** The least scope that may call `method route` (route: the Fastify pattern, e.g. `/v1/predictions/:id`). */
export function requiredScope(method: string, route: string): Scope {
  const key = `${method} ${route}`;
  if (ADMIN_READS.has(key)) return 'admin';
  if (method === 'GET' || method === 'HEAD' || OTHER_READS.has(key)) return 'read';
  if (RUN_WRITES.has(key)) return 'run';
  return 'admin';
}

export function allows(scope: Scope, needed: Scope): boolean {
  return RANK[scope] >= RANK[needed];
}

/** The token whose objects a caller may see: undefined for an admin (everything). */
export function ownerFilter(token: { id: string; scope: Scope } | undefined): string | undefined {
  return token && token.scope !== 'admin' ? token.id : undefined;
}
