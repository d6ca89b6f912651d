/** Shared by the webhook tests: a fresh migrated database per test file, and real HTTP receivers. */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Db } from '../../../engine/src/store/db';
import { migrate } from '../../../engine/src/store/migrate';

const ADMIN_URL = process.env.GANTRY_TEST_PG ?? 'postgres://postgres@127.0.0.1:5432/test';

export interface TestDb {
  db: Db;
  drop(): Promise<void>;
}

/** CREATE DATABASE gantry_t_<tag>_<unique>, migrate it, and DROP it on `drop()`. */
export async function freshDb(tag: string): Promise<TestDb> {
  const admin = new Db(ADMIN_URL, 1);
  const name = `gantry_t_${tag}_${process.pid}_${Date.now().toString(36)}${Math.floor(Math.random() * 1e6)}`;
  await admin.query(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  const db = new Db(url.href);
  await migrate(db);
  return {
    db,
    async drop() {
      await db.close();
      await admin.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await admin.close();
    },
  };
}

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  at: number;
}

export type Respond = (req: Received, index: number) => { status: number; headers?: Record<string, string> };

/** A real HTTP server that records every request and answers with `respond` (default 200). */
export class Receiver {
  readonly requests: Received[] = [];
  private server: http.Server | null = null;
  port = 0;

  constructor(public respond: Respond = () => ({ status: 200 })) {}

  async start(port = 0): Promise<this> {
    const server = http.createServer((req, res) => {
      const chunks: Buffer[] = [];
      req.on('data', (c: Buffer) => chunks.push(c));
      req.on('end', () => {
        const rec: Received = { path: req.url ?? '/', headers: req.headers, body: Buffer.concat(chunks).toString('utf8'), at: Date.now() };
        this.requests.push(rec);
        const { status, headers } = this.respond(rec, this.requests.length - 1);
        res.writeHead(status, headers);
        res.end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, '127.0.0.1', () => resolve());
    });
    this.server = server;
    this.port = (server.address() as AddressInfo).port;
    return this;
  }

  url(path = '/hook'): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }

  async stop(): Promise<void> {
    const s = this.server;
    this.server = null;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  }

  /** Resolves once `n` requests arrived; rejects after `timeoutMs`. */
  async waitFor(n: number, timeoutMs = 10_000): Promise<Received[]> {
    return waitUntil(() => this.requests.length >= n, timeoutMs, () => `expected ${n} requests, got ${this.requests.length}`).then(
      () => this.requests,
    );
  }
}

export async function waitUntil(cond: () => boolean | Promise<boolean>, timeoutMs = 10_000, what: () => string = () => 'condition'): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await cond())) {
    if (Date.now() > end) throw new Error(`timed out waiting: ${what()}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

/** A port that nothing listens on right now (bound then released). */
export async function freePort(): Promise<number> {
  const r = await new Receiver().start();
  const port = r.port;
  await r.stop();
  return port;
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
