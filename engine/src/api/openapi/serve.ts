/** `GET /openapi.json` and `GET /docs` (both public), built once from the app's routes after it is ready. */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { engineRoot } from '../../../models/assets';
import type { ApiContext } from '../context';
import { buildDocument, type BuiltDocument, type RegisteredRoute } from './document';
import { DOCS_CSP, renderDocsPage } from './docs-page';

/** gantry-engine's version, from its package.json (the package root the built-in models' assets use). */
function engineVersion(): string {
  try {
    return (JSON.parse(readFileSync(join(engineRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  } catch {
    return '0.0.0';
  }
}
const ENGINE_VERSION = engineVersion();

export function openApiRoutes(app: FastifyInstance, ctx: ApiContext, routes: RegisteredRoute[]): void {
  let built: BuiltDocument | undefined;
  let page: string | undefined;
  // Routes are final once the app is ready; the server URL is the engine's public URL.
  const document = () => (built ??= buildDocument(routes, { serverUrl: ctx.publicUrl, version: ENGINE_VERSION }));

  app.get('/openapi.json', async () => document().document);
  app.get('/docs', async (_req, reply) => {
    page ??= renderDocsPage(document().document);
    return reply.type('text/html; charset=utf-8').header('content-security-policy', DOCS_CSP).send(page);
  });
}
