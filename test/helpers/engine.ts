/**
 * Starts a real engine process (`gantry serve`, built into engine/dist) on a fresh database of
 * the machine's Postgres, for tests that talk to it over real HTTP.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';

const ADMIN_URL = process.env.GANTRY_TEST_DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');

export interface EngineHandle {
  url: string;
  token: string;
  databaseUrl: string;
  dataDir: string;
  process: ChildProcess;
  /** Output the engine printed so far (for debugging failed tests). */
  output(): string;
  /** SIGKILL, no cleanup: what a crash looks like. */
  kill(): Promise<void>;
  /** Starts the engine again on the same database, port and data dir (with `env` changed, e.g. a rotated token). */
  restart(env?: Record<string, string>): Promise<void>;
  stop(): Promise<void>;
}

async function adminQuery(sql: string): Promise<void> {
  const client = new Client({ connectionString: ADMIN_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

export async function createDatabase(): Promise<string> {
  const name = `gantry_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_URL);
  url.pathname = `/${name}`;
  return url.toString();
}

export async function dropDatabase(url: string): Promise<void> {
  const name = new URL(url).pathname.slice(1);
  await adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined);
}

function spawnEngine(env: Record<string, string>, args = ['serve']): Promise<{ child: ChildProcess; url: string; out: string[] }> {
  const child = spawn(process.execPath, [CLI, ...args], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`engine did not start in time:\n${out.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out.push(chunk.toString());
      // Text or JSON logs (GANTRY_LOG_FORMAT=json quotes the message).
      const m = /listening on (http:\/\/[^\s"]+)/.exec(out.join(''));
      if (m || (args[0] === 'worker' && /worker .* started/.test(out.join('')))) {
        clearTimeout(timer);
        resolve({ child, url: m?.[1] ?? '', out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`engine exited with ${code}:\n${out.join('')}`));
    });
  });
}

export async function startEngine(opts: { env?: Record<string, string> } = {}): Promise<EngineHandle> {
  const databaseUrl = await createDatabase();
  const token = `test_${randomBytes(12).toString('hex')}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-test-'));
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    GANTRY_API_TOKEN: token,
    GANTRY_PORT: '0',
    GANTRY_DATA_DIR: dataDir,
    GANTRY_URL_ALLOWLIST: '127.0.0.1,localhost',
    ...opts.env,
  };
  let started = await spawnEngine(env);
  // Keep the port across restarts so URLs stay valid.
  env.GANTRY_PORT = new URL(started.url).port;
  let exited = false;
  const watch = (c: ChildProcess) => c.once('exit', () => (exited = true));
  watch(started.child);
  const handle: EngineHandle = {
    url: started.url,
    token,
    databaseUrl,
    dataDir,
    get process() {
      return started.child;
    },
    output: () => started.out.join(''),
    async kill() {
      if (exited) return;
      const gone = new Promise((r) => started.child.once('exit', r));
      started.child.kill('SIGKILL');
      await gone;
    },
    async restart(changed: Record<string, string> = {}) {
      exited = false;
      Object.assign(env, changed);
      if (changed.GANTRY_API_TOKEN) handle.token = changed.GANTRY_API_TOKEN;
      started = await spawnEngine(env);
      watch(started.child);
    },
    async stop() {
      if (!exited) {
        const gone = new Promise((r) => started.child.once('exit', r));
        started.child.kill('SIGTERM');
        const timer = setTimeout(() => started.child.kill('SIGKILL'), 15_000);
        await gone;
        clearTimeout(timer);
      }
      await dropDatabase(databaseUrl);
    },
  };
  return handle;
}

/** Starts `gantry worker` against an engine's database. */
export async function startWorker(databaseUrl: string, env: Record<string, string> = {}): Promise<{ stop(): Promise<void>; output(): string }> {
  const { child, out } = await spawnEngine({ DATABASE_URL: databaseUrl, ...env }, ['worker']);
  return {
    output: () => out.join(''),
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return; // stopped already
      const gone = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await gone;
    },
  };
}

/** A tiny API client for tests that do not go through the official client (`fetchImpl`: a checking fetch). */
export function api(engine: { url: string; token: string }, fetchImpl: typeof fetch = fetch) {
  return async (method: string, path: string, body?: unknown, headers: Record<string, string> = {}) => {
    const res = await fetchImpl(`${engine.url}${path}`, {
      method,
      headers: { authorization: `Bearer ${engine.token}`, ...(body !== undefined ? { 'content-type': 'application/json' } : {}), ...headers },
      body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
    });
    const text = await res.text();
    let json: any;
    try {
      json = text ? JSON.parse(text) : undefined;
    } catch {
      json = undefined;
    }
    return { status: res.status, headers: res.headers, json, text };
  };
}

/** Runs one SQL statement on an engine's database (to set up records a test cannot make through the API). */
export async function sql(engine: { databaseUrl: string }, text: string, params: unknown[] = []): Promise<any[]> {
  const client = new Client({ connectionString: engine.databaseUrl });
  await client.connect();
  try {
    return (await client.query(text, params)).rows;
  } finally {
    await client.end();
  }
}
