/**
 * A fleet on this machine for tests: real `gantry serve --role api|controller|worker` processes
 * (built into engine/dist) on one fresh database of the machine's Postgres, on loopback ports.
 * Each process can be stopped (SIGTERM), killed (SIGKILL), paused (SIGSTOP) and resumed.
 */
import { spawn, type ChildProcess, type SpawnOptions } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { createDatabase, dropDatabase } from './engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');

export type Role = 'api' | 'controller' | 'worker';

export interface RoleProcess {
  role: Role;
  label: string;
  /** API: its base URL; controller and worker: their /health server. */
  url: string;
  child: ChildProcess;
  output(): string;
  health(): Promise<any>;
  kill(): Promise<void>;
  stop(): Promise<void>;
  pause(): void;
  resume(): void;
  readonly exited: boolean;
}

/** How a role process is started: `node cli.js …` here, or inside a network namespace (test/faults). */
export type Launch = (command: string, args: string[], opts: SpawnOptions) => ChildProcess;

export const ENGINE_CLI = CLI;

export function spawnRole(role: Role, label: string, env: Record<string, string>, launch: Launch = spawn): Promise<RoleProcess> {
  const child = launch(process.execPath, [CLI, 'serve', '--role', role], { env: { ...process.env, GANTRY_PORT: '0', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  const out: string[] = [];
  let exited = false;
  child.once('exit', () => (exited = true));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${label} did not start in time:\n${out.join('')}`)), 60_000);
    const onData = (chunk: Buffer) => {
      out.push(chunk.toString());
      const m = /listening on (http:\/\/[^\s]+)/.exec(out.join(''));
      if (!m) return;
      clearTimeout(timer);
      child.off('exit', onEarlyExit);
      const proc: RoleProcess = {
        role,
        label,
        url: m[1],
        child,
        output: () => out.join(''),
        async health() {
          const res = await fetch(`${m[1]}/health`);
          return res.json();
        },
        async kill() {
          if (exited) return;
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGKILL');
          await gone;
        },
        async stop() {
          if (exited) return;
          const gone = new Promise((r) => child.once('exit', r));
          child.kill('SIGCONT');
          child.kill('SIGTERM');
          const force = setTimeout(() => child.kill('SIGKILL'), 20_000);
          await gone;
          clearTimeout(force);
        },
        pause: () => void child.kill('SIGSTOP'),
        resume: () => void child.kill('SIGCONT'),
        get exited() {
          return exited;
        },
      };
      resolve(proc);
    };
    const onEarlyExit = (code: number | null) => {
      clearTimeout(timer);
      reject(new Error(`${label} exited with ${code}:\n${out.join('')}`));
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.once('exit', onEarlyExit);
  });
}

export interface WorkerSpec {
  name: string;
  gpus?: string;
  cpuSlots?: number;
  env?: Record<string, string>;
}

export interface FleetHandle {
  databaseUrl: string;
  token: string;
  apis: RoleProcess[];
  controllers: RoleProcess[];
  workers: RoleProcess[];
  /** Environment every process got (add a process with `spawnRole(role, label, {...fleet.env, ...})`). */
  env: Record<string, string>;
  query<T = any>(sql: string, params?: unknown[]): Promise<T[]>;
  /** The controller that holds the lease now (by its /health), if any. */
  leader(): Promise<RoleProcess | undefined>;
  stop(): Promise<void>;
}

export interface FleetOptions {
  apis?: number;
  controllers?: number;
  workers: WorkerSpec[];
  env?: Record<string, string>;
  /** Settings for one role only (e.g. API replicas through a pooler). */
  roleEnv?: Partial<Record<Role, Record<string, string>>>;
  /** An existing database (created by the caller) instead of a fresh one. */
  databaseUrl?: string;
}

export async function startFleet(opts: FleetOptions): Promise<FleetHandle> {
  const databaseUrl = opts.databaseUrl ?? (await createDatabase());
  const token = `test_${randomBytes(12).toString('hex')}`;
  const env: Record<string, string> = {
    DATABASE_URL: databaseUrl,
    GANTRY_API_TOKEN: token,
    GANTRY_URL_ALLOWLIST: '127.0.0.1,localhost',
    GANTRY_DATA_DIR: mkdtempSync(join(tmpdir(), 'gantry-fleet-')),
    ...opts.env,
  };
  const db = new Client({ connectionString: databaseUrl });
  const handle: FleetHandle = {
    databaseUrl,
    token,
    apis: [],
    controllers: [],
    workers: [],
    env,
    async query(sql, params = []) {
      return (await db.query(sql, params)).rows;
    },
    async leader() {
      for (const c of handle.controllers) {
        if (c.exited) continue;
        const h = await c.health().catch(() => undefined);
        if (h?.leader) return c;
      }
      return undefined;
    },
    async stop() {
      await Promise.all([...handle.apis, ...handle.controllers, ...handle.workers].map((p) => p.stop().catch(() => undefined)));
      await db.end().catch(() => undefined);
      await dropDatabase(databaseUrl);
    },
  };
  try {
    // The first API migrates the database and creates the token; the rest start together.
    const apiEnv = { ...env, ...opts.roleEnv?.api };
    handle.apis.push(await spawnRole('api', 'api-1', apiEnv));
    await db.connect();
    const settled = await Promise.allSettled([
      ...Array.from({ length: (opts.apis ?? 1) - 1 }, (_, i) => spawnRole('api', `api-${i + 2}`, apiEnv)),
      ...Array.from({ length: opts.controllers ?? 1 }, (_, i) => spawnRole('controller', `controller-${i + 1}`, { ...env, ...opts.roleEnv?.controller })),
      ...opts.workers.map((w) =>
        spawnRole('worker', w.name, {
          ...env,
          ...opts.roleEnv?.worker,
          GANTRY_WORKER_NAME: w.name,
          GANTRY_GPUS: w.gpus ?? '',
          GANTRY_CPU_SLOTS: String(w.cpuSlots ?? 1),
          GANTRY_DATA_DIR: mkdtempSync(join(tmpdir(), `gantry-${w.name}-`)),
          ...w.env,
        }),
      ),
    ]);
    for (const s of settled) {
      if (s.status !== 'fulfilled') continue;
      const p = s.value;
      if (p.role === 'api') handle.apis.push(p);
      else if (p.role === 'controller') handle.controllers.push(p);
      else handle.workers.push(p);
    }
    const failed = settled.find((s) => s.status === 'rejected');
    if (failed) throw (failed as PromiseRejectedResult).reason;
  } catch (err) {
    await handle.stop();
    throw err;
  }
  return handle;
}

/** Polls `check` until it returns a value (not undefined/false) or the time runs out. */
export async function eventually<T>(check: () => Promise<T | undefined | false>, timeoutMs = 30_000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < deadline) {
    try {
      const v = await check();
      if (v !== undefined && v !== false) return v as T;
    } catch (err) {
      last = err;
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
