/**
 * The receiver for one Cog instance's webhooks. With `Prefer: respond-async` a Cog server answers
 * 202 at once and then POSTs the full prediction state to the prediction's `webhook` on `start`,
 * `output`, `logs` (both throttled) and `completed` (retried on 429/5xx). One small HTTP server per
 * instance, so its lifetime is the instance's and nothing is shared between instances.
 *
 * It listens on loopback, unless the server reaches the worker from elsewhere (a container on a
 * Docker bridge): then it listens on every interface and the webhook URLs use `publicHost`. Either
 * way each URL carries a random secret, so nothing else can post states into a run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import type { CogState } from './cog-http';

/** Cog sends whole predictions, base64 file outputs included; refuse anything absurd. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

export class CogWebhookReceiver {
  private server?: http.Server;
  private port = 0;
  private readonly secret = randomBytes(16).toString('hex');
  private readonly listeners = new Map<string, (state: CogState) => void>();

  constructor(private readonly publicHost?: string) {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    // Cog's terminal webhook waits up to 30 s for an answer; ours answers at once.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.publicHost ? '0.0.0.0' : '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  /** The `webhook` URL for run `id`. */
  urlFor(id: string): string {
    return `http://${this.publicHost ?? '127.0.0.1'}:${this.port}/${this.secret}/${encodeURIComponent(id)}`;
  }

  /** Delivers the states posted for `id` to `fn` until the returned function is called. */
  listen(id: string, fn: (state: CogState) => void): () => void {
    this.listeners.set(id, fn);
    return () => {
      if (this.listeners.get(id) === fn) this.listeners.delete(id);
    };
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (!server) return;
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const answer = (status: number): void => {
      res.writeHead(status, { 'content-type': 'application/json' }).end('{}');
    };
    const [, secret, id] = /^\/([^/]+)\/([^/?]+)/.exec(req.url ?? '') ?? [];
    if (req.method !== 'POST' || secret !== this.secret || !id) {
      req.resume();
      return answer(404);
    }
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > MAX_BODY_BYTES) {
        answer(413);
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      let state: CogState;
      try {
        state = JSON.parse(Buffer.concat(chunks).toString('utf8')) as CogState;
      } catch {
        return answer(400);
      }
      // A late webhook for a run already settled is still a success: retrying it helps no one.
      answer(200);
      this.listeners.get(decodeURIComponent(id))?.(state);
    });
  }
}
