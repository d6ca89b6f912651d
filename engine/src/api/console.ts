/**
 * Serves the web console: the bundle `engine/console/build.mjs` writes into `engine/dist/console`
 * at build time (index.html plus content-hashed assets). No bearer token is needed for these
 * files: the console signs in with a token of its own and then talks to the public API like any
 * client. Routes:
 *   GET /                 302 → /console/
 *   GET /console/assets/* the bundle's files (immutable: their names carry a content hash)
 *   GET /console/*        index.html for every page path (the console routes in the browser)
 *   GET /p/{id}           302 → the console's page of that prediction (a prediction's `urls.web`)
 * The page's Content-Security-Policy allows only this origin, so the console cannot load
 * anything from elsewhere even by mistake.
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { extname, join, relative, sep } from 'node:path';
import { gzipSync } from 'node:zlib';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { ApiError, notFound } from '../core/errors';

/** Where the build puts the bundle, from `dist/src/api/console.js`. */
export const CONSOLE_DIR = join(__dirname, '..', '..', 'console');
export const CONSOLE_PATH = '/console/';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.map': 'application/json; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.woff2': 'font/woff2',
};

export const CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "script-src 'self'",
  // Preact and uPlot set element styles; no stylesheet or script comes from elsewhere.
  "style-src 'self' 'unsafe-inline'",
  "img-src 'self' data: blob:",
  "media-src 'self' data: blob:",
  "connect-src 'self'",
  "font-src 'self'",
  "object-src 'none'",
  "base-uri 'none'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join('; ');

interface Asset {
  body: Buffer;
  gzip: Buffer | null;
  type: string;
  etag: string;
}

function load(path: string): Asset {
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  // Text compresses; images and fonts already are.
  const gzip = /^(text|application\/json|image\/svg)/.test(type) ? gzipSync(body, { level: 9 }) : null;
  return { body, gzip, type, etag: `"${statSync(path).mtimeMs.toString(36)}-${body.length.toString(36)}"` };
}

/** Every file of the bundle, by its path under the console directory (`index.html`, `assets/app-X.js`). */
function readBundle(dir: string): Map<string, Asset> {
  const files = new Map<string, Asset>();
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const path = join(d, name);
      if (statSync(path).isDirectory()) walk(path);
      else files.set(relative(dir, path).split(sep).join('/'), load(path));
    }
  };
  if (existsSync(join(dir, 'index.html'))) walk(dir);
  return files;
}

function send(req: FastifyRequest, reply: FastifyReply, asset: Asset, cache: string) {
  reply.header('content-type', asset.type).header('cache-control', cache).header('etag', asset.etag).header('vary', 'accept-encoding');
  if (req.headers['if-none-match'] === asset.etag) return reply.code(304).send();
  const gzip = asset.gzip && /\bgzip\b/.test(String(req.headers['accept-encoding'] ?? ''));
  if (gzip) reply.header('content-encoding', 'gzip');
  return reply.send(gzip ? asset.gzip : asset.body);
}

export function consoleRoutes(app: FastifyInstance, dir = CONSOLE_DIR): void {
  // Read once, lazily: a missing bundle is an answer (503 saying how to build), not a start failure.
  let bundle: Map<string, Asset> | undefined;
  const files = () => (bundle ??= readBundle(dir));
  const page = (req: FastifyRequest, reply: FastifyReply) => {
    const index = files().get('index.html');
    if (!index) throw new ApiError(503, 'Console not built', `The console bundle is missing from ${dir}: run \`npm run build\` (the engine's build bundles it).`);
    reply.header('content-security-policy', CONTENT_SECURITY_POLICY).header('x-content-type-options', 'nosniff').header('referrer-policy', 'no-referrer');
    return send(req, reply, index, 'no-cache');
  };

  app.get('/', async (_req, reply) => reply.redirect(CONSOLE_PATH, 302));
  app.get('/console', async (_req, reply) => reply.redirect(CONSOLE_PATH, 302));
  app.get<{ Params: { id: string } }>('/p/:id', async (req, reply) => reply.redirect(`${CONSOLE_PATH}predictions/${encodeURIComponent(req.params.id)}`, 302));
  app.get<{ Params: { '*': string } }>('/console/assets/*', async (req, reply) => {
    const asset = files().get(`assets/${req.params['*']}`);
    if (!asset) throw notFound(`Console asset ${req.params['*']}`);
    reply.header('x-content-type-options', 'nosniff');
    return send(req, reply, asset, 'public, max-age=31536000, immutable');
  });
  app.get('/console/', async (req, reply) => page(req, reply));
  app.get('/console/*', async (req, reply) => page(req, reply));
}
