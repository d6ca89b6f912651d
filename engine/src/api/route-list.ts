/**
 * The API's own list of its routes, collected as they are registered (Fastify's `onRoute`), so
 * that it is always complete: `GET /v1/routes` (extension) answers `{ routes: [{ method, url }] }`.
 * The fuzz suite (test/fuzz) reads it to send hostile requests to every route there is,
 * including routes added after it was written.
 */
import type { FastifyInstance } from 'fastify';

export interface RouteEntry {
  method: string;
  url: string;
}

/** Starts collecting; call before any route is registered. */
export function routeList(app: FastifyInstance): void {
  const routes: RouteEntry[] = [];
  app.addHook('onRoute', (route) => {
    for (const method of [route.method].flat()) routes.push({ method, url: route.url });
  });
  app.get('/v1/routes', async () => ({
    routes: [...new Map(routes.map((r) => [`${r.method} ${r.url}`, r])).values()].sort((a, b) => a.url.localeCompare(b.url) || a.method.localeCompare(b.method)),
  }));
}
