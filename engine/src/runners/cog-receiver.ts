/**
 * What one Cog instance sends back to the worker: its webhooks and its output files.
 *
 * - Webhooks: with `Prefer: respond-async` a Cog server answers 202 at once and then POSTs the
 *   full prediction state to the prediction's `webhook` on `start`, `output`, `logs` (both
 *   throttled) and `completed` (retried on 429/5xx).
 * - Uploads: a server started with `--upload-url` PUTs every file output of an async prediction to
 *   `<upload url>/<file name>` (body = the bytes, `Content-Type` guessed from the name,
 *   `X-Prediction-ID`) and puts the URL it was given back (our `Location`, query stripped) into
 *   the output. Each upload is kept as a file here, held to the size limit, until the run takes
 *   it (`takeUpload`) and the worker stores it in the engine's file store. Without an upload URL
 *   the legacy Python server (≤ 0.16) leaves a path on its own machine in the output instead.
 *
 * - Weights: a server in a container cannot see the worker's files, so the weights the worker
 *   cached for it are served here as `GET /<secret>/weights/<name>` (that one file, with its
 *   Content-Length; weights-delivery.ts says when), and that URL is the server's COG_WEIGHTS.
 *
 * One small HTTP server per instance, so its lifetime is the instance's and nothing is shared
 * between instances. It listens on loopback, unless the server reaches the worker from elsewhere
 * (a container on a Docker bridge): then it listens on every interface and its URLs use
 * `publicHost`. Either way each URL carries a random secret, so nothing else can post states or
 * files into a run.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { randomBytes } from 'node:crypto';
import { createReadStream, createWriteStream } from 'node:fs';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import type { CogState } from './cog-http';

/** Cog sends whole predictions, base64 file outputs included; refuse anything absurd. */
const MAX_BODY_BYTES = 256 * 1024 * 1024;

/** A file the server uploaded, waiting for its run to take it. */
export interface UploadedFile {
  path: string;
  contentType: string;
  name: string;
}

export interface ReceiverOptions {
  /** The host the server reaches this worker at; loopback when unset. */
  publicHost?: string;
  /** Largest upload; a bigger one is refused (413), which fails the prediction. */
  maxUploadBytes?: number;
}

export class CogReceiver {
  private server?: http.Server;
  private port = 0;
  private readonly secret = randomBytes(16).toString('hex');
  private readonly listeners = new Map<string, (state: CogState) => void>();
  private uploadDir?: string;
  private uploadCount = 0;
  /** Uploads by the path of the URL handed back for them (`/<secret>/files/<n>/<name>`). */
  private readonly uploads = new Map<string, UploadedFile>();
  /** Why an upload of a prediction was refused, by prediction id (the server only says it failed). */
  private readonly uploadErrors = new Map<string, string>();
  /** The weights file this instance's server may download, by the name in its URL. */
  private weights?: { name: string; path: string; size: number };

  constructor(private readonly opts: ReceiverOptions = {}) {}

  async start(): Promise<void> {
    const server = http.createServer((req, res) => this.handle(req, res));
    // Cog's terminal webhook waits up to 30 s for an answer; ours answers at once.
    server.keepAliveTimeout = 5000;
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(0, this.opts.publicHost ? '0.0.0.0' : '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
  }

  private get base(): string {
    return `http://${this.opts.publicHost ?? '127.0.0.1'}:${this.port}/${this.secret}`;
  }

  /** The `webhook` URL for run `id`. */
  urlFor(id: string): string {
    return `${this.base}/${encodeURIComponent(id)}`;
  }

  /** What `--upload-url` gets (the `{upload_url}` placeholder of a command template). */
  get uploadUrl(): string {
    return `${this.base}/upload/`;
  }

  /** Serves the file at `path` to this instance's server; resolves with its URL (once started). */
  async serveWeights(path: string): Promise<string> {
    const { size } = await stat(path);
    const name = basename(path);
    this.weights = { name, path, size };
    return `${this.base}/weights/${encodeURIComponent(name)}`;
  }

  /** Delivers the states posted for `id` to `fn` until the returned function is called. */
  listen(id: string, fn: (state: CogState) => void): () => void {
    this.listeners.set(id, fn);
    return () => {
      if (this.listeners.get(id) === fn) this.listeners.delete(id);
      this.uploadErrors.delete(id);
    };
  }

  /** The uploaded file an output URL names, once: the caller now owns the file. */
  takeUpload(url: string): UploadedFile | undefined {
    let path: string;
    try {
      const u = new URL(url);
      if (`${u.protocol}//${u.host}` !== `http://${this.opts.publicHost ?? '127.0.0.1'}:${this.port}`) return undefined;
      path = u.pathname;
    } catch {
      return undefined;
    }
    const file = this.uploads.get(path);
    this.uploads.delete(path);
    return file;
  }

  /** Why an upload for prediction `id` was refused, if one was. */
  uploadError(id: string): string | undefined {
    return this.uploadErrors.get(id);
  }

  async close(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
    // Uploads no run took (the run failed, or the instance stopped mid-run) go with the instance.
    if (this.uploadDir) await rm(this.uploadDir, { recursive: true, force: true });
  }

  private handle(req: http.IncomingMessage, res: http.ServerResponse): void {
    const answer = (status: number, headers: Record<string, string> = {}): void => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end('{}');
    };
    const [, secret, rest] = /^\/([^/?]+)\/([^?]*)/.exec(req.url ?? '') ?? [];
    if (secret !== this.secret || !rest) {
      req.resume();
      return answer(404);
    }
    const upload = /^upload\/([^/]+)$/.exec(rest);
    if (req.method === 'PUT' && upload) return void this.receiveUpload(req, decodeURIComponent(upload[1]), answer);
    const weights = /^weights\/([^/]+)$/.exec(rest);
    if (req.method === 'GET' && weights) return this.sendWeights(decodeURIComponent(weights[1]), res, answer);
    if (req.method !== 'POST' || rest.includes('/')) {
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
      this.listeners.get(decodeURIComponent(rest))?.(state);
    });
  }

  /** Streams the served weights file, or 404 for any other name. */
  private sendWeights(name: string, res: http.ServerResponse, answer: (status: number) => void): void {
    const w = this.weights;
    if (!w || w.name !== name) return answer(404);
    res.writeHead(200, { 'content-type': 'application/octet-stream', 'content-length': String(w.size) });
    // A file gone mid-read (evicted, which a pinned copy never is) cuts the response short.
    createReadStream(w.path)
      .on('error', () => res.destroy())
      .pipe(res);
  }

  /** Streams one uploaded file to disk, held to the size limit; answers with the URL that names it. */
  private async receiveUpload(req: http.IncomingMessage, fileName: string, answer: (status: number, headers?: Record<string, string>) => void): Promise<void> {
    const predictionId = String(req.headers['x-prediction-id'] ?? '');
    const limit = this.opts.maxUploadBytes ?? Infinity;
    const refuse = (status: number, why: string) => {
      if (predictionId) this.uploadErrors.set(predictionId, why);
      req.resume();
      answer(status);
    };
    const declared = Number(req.headers['content-length']);
    if (Number.isFinite(declared) && declared > limit) return refuse(413, `the output file ${fileName} is ${declared} bytes, over the file size limit of ${limit} bytes`);
    this.uploadDir ??= await mkdtemp(join(tmpdir(), 'gantry-cog-uploads-'));
    const n = ++this.uploadCount;
    // The name is the server's; only its last path segment is kept, made safe for a file name.
    const name = fileName.replace(/[^\w.-]+/g, '_').replace(/^\.+/, '') || 'output';
    const path = join(this.uploadDir, `${n}-${name}`);
    const out = createWriteStream(path);
    let size = 0;
    let over = false;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limit && !over) {
        over = true;
        out.destroy();
      } else if (!over) out.write(c);
    });
    req.on('error', () => out.destroy());
    req.on('end', () => {
      if (over) {
        void rm(path, { force: true });
        return refuse(413, `the output file ${name} is over the file size limit of ${limit} bytes`);
      }
      out.end(() => {
        const location = `/${this.secret}/files/${n}/${encodeURIComponent(name)}`;
        const contentType = String(req.headers['content-type'] ?? '').trim() || 'application/octet-stream';
        this.uploads.set(location, { path, contentType, name });
        answer(201, { location: `http://${this.opts.publicHost ?? '127.0.0.1'}:${this.port}${location}` });
      });
    });
  }
}
