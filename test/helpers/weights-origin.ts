/**
 * An http origin for weights URLs (what a model hub or a bucket's public URL is to a worker): it
 * serves named byte blobs, counts every request by path and records the Authorization header,
 * and can answer with an error status, a redirect (chain), a body without Content-Length, or
 * demand Basic credentials. Listens on loopback.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';

export interface OriginFile {
  body: Buffer;
  /** Send no Content-Length (chunked), as a streaming origin may. */
  chunked?: boolean;
  /** `user:password` the request must carry as Basic authorization (else 401). */
  basic?: string;
  /** Hold the answer this long (a slow origin: concurrent boots overlap). */
  delayMs?: number;
}

export interface WeightsOrigin {
  url: string;
  files: Map<string, OriginFile>;
  /** Path → status to answer with (404, 500, …). */
  errors: Map<string, number>;
  /** Path → where it redirects (302). */
  redirects: Map<string, string>;
  /** Requests by path. */
  hits: Map<string, number>;
  /** Authorization header of each request, by path. */
  auth: Map<string, Array<string | undefined>>;
  close(): Promise<void>;
}

export async function startWeightsOrigin(): Promise<WeightsOrigin> {
  const o: WeightsOrigin = { url: '', files: new Map(), errors: new Map(), redirects: new Map(), hits: new Map(), auth: new Map(), close: async () => undefined };
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0];
    o.hits.set(path, (o.hits.get(path) ?? 0) + 1);
    o.auth.set(path, [...(o.auth.get(path) ?? []), req.headers.authorization]);
    req.resume();
    const status = o.errors.get(path);
    if (status) return void res.writeHead(status, { 'content-type': 'text/plain' }).end(`status ${status}`);
    const to = o.redirects.get(path);
    if (to) return void res.writeHead(302, { location: to }).end();
    const file = o.files.get(path);
    if (!file) return void res.writeHead(404).end('no such file');
    if (file.basic && req.headers.authorization !== `Basic ${Buffer.from(file.basic).toString('base64')}`) return void res.writeHead(401).end('unauthorized');
    setTimeout(() => {
      res.writeHead(200, { 'content-type': 'application/octet-stream', ...(file.chunked ? {} : { 'content-length': String(file.body.length) }) });
      res.end(file.body);
    }, file.delayMs ?? 0);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  o.url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  o.close = () =>
    new Promise<void>((resolve) => {
      server.closeAllConnections();
      server.close(() => resolve());
    });
  return o;
}
