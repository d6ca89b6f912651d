/**
 * Starting on an existing data dir (issue 12, class 9): a changed GANTRY_API_TOKEN rotates the
 * bootstrap admin token instead of failing the start, and a start that fails half-way stops what it
 * had started (the embedded Postgres) instead of leaving it running.
 */
import { spawn } from 'node:child_process';
import { chmodSync, existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { createServer, connect, type Server } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');

function listen(): Promise<Server> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => resolve(s));
  });
}
const portOf = (s: Server) => (s.address() as { port: number }).port;

async function freePort(): Promise<number> {
  const s = await listen();
  const port = portOf(s);
  await new Promise((r) => s.close(r));
  return port;
}

function accepts(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    socket.once('connect', () => (socket.destroy(), resolve(true)));
    socket.once('error', () => resolve(false));
  });
}

describe('GANTRY_API_TOKEN rotation', () => {
  let engine: EngineHandle;
  afterAll(async () => engine?.stop());

  test('a new token on the same database replaces the old one; data stays', async () => {
    engine = await startEngine();
    const oldToken = engine.token;
    const made = await api(engine)('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'before' } }, { prefer: 'wait' });
    expect(made.json.output).toBe('before');

    await engine.kill();
    await engine.restart({ GANTRY_API_TOKEN: 'rotated-token-0123456789' });
    const now = api(engine);
    expect((await now('GET', '/v1/account')).status).toBe(200);
    expect((await now('GET', `/v1/predictions/${made.json.id}`)).json.output).toBe('before');
    expect((await api({ url: engine.url, token: oldToken })('GET', '/v1/account')).status).toBe(401);
    // Still one admin token, not one per rotation.
    const admins = (await now('GET', '/v1/tokens')).json.results.filter((t: { id: string }) => t.id === 'admin');
    expect(admins).toHaveLength(1);

    // And back again.
    await engine.kill();
    await engine.restart({ GANTRY_API_TOKEN: oldToken });
    expect((await api(engine)('GET', '/v1/account')).status).toBe(200);
  }, 120_000);
});

describe('a failed start', () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-failstart-'));
  chmodSync(dataDir, 0o755); // as root, Postgres runs as the postgres user, who must reach it
  const pidFile = join(dataDir, 'pg', 'postmaster.pid');

  afterAll(() => {
    // Never leave a Postgres behind, even when the engine under test did.
    if (!existsSync(pidFile)) return;
    const pid = Number(readFileSync(pidFile, 'utf8').split('\n')[0]);
    try {
      if (pid) process.kill(pid, 'SIGINT');
    } catch {
      // already gone
    }
  });

  test('stops the embedded Postgres it started (the API port is taken)', async () => {
    const blocker = await listen();
    const pgPort = await freePort();
    const clean = { ...process.env };
    delete clean.DATABASE_URL;
    const child = spawn(process.execPath, [CLI, 'serve'], {
      env: { ...clean, GANTRY_DATA_DIR: dataDir, GANTRY_PORT: String(portOf(blocker)), GANTRY_PG_PORT: String(pgPort), GANTRY_API_TOKEN: 'failing-start-token' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    blocker.close();
    expect(out).toMatch(/EADDRINUSE/);
    expect(code).not.toBe(0);
    // Postgres had started (the database was migrated) and was stopped again.
    expect(out).toMatch(/initialising embedded Postgres/);
    expect(existsSync(pidFile)).toBe(false);
    expect(await accepts(pgPort)).toBe(false);
  }, 120_000);
});
