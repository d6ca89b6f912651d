/**
 * The zero-config start (what `npm start` runs): embedded Postgres in the data dir, a generated
 * admin token written once with mode 600, a clean Ctrl-C that stops Postgres, and data that
 * survives the restart. Also: a crashing model instance fails only its prediction and is replaced.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, statSync, chmodSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { api } from '../helpers/engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');
const FIXTURES = join(__dirname, '..', 'fixtures', 'predictors');

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

function start(env: Record<string, string>): Promise<{ child: ChildProcess; url: string; out: () => string }> {
  const clean = { ...process.env };
  delete clean.DATABASE_URL;
  delete clean.GANTRY_API_TOKEN;
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...clean, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no start:\n${out}`)), 90_000);
    const onData = (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve({ child, url: m[1], out: () => out });
      }
    };
    child.stdout!.on('data', onData);
    child.stderr!.on('data', onData);
    child.on('exit', (code) => reject(new Error(`exited ${code}:\n${out}`)));
  });
}

const stop = (child: ChildProcess, signal: NodeJS.Signals = 'SIGINT') =>
  new Promise<number | null>((resolve) => {
    child.once('exit', (code) => resolve(code));
    child.kill(signal);
  });

test('npm start path: embedded Postgres, generated token, clean Ctrl-C, data kept across restarts', async () => {
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-embedded-'));
  // As root, Postgres runs as the `postgres` user: it must be able to reach the data dir.
  chmodSync(dataDir, 0o755);
  const env = { GANTRY_DATA_DIR: dataDir, GANTRY_PORT: '0', GANTRY_PG_PORT: String(await freePort()) };
  const first = await start(env);
  const tokenFile = join(dataDir, 'admin-token');
  expect(existsSync(tokenFile)).toBe(true);
  expect(statSync(tokenFile).mode & 0o777).toBe(0o600);
  const token = readFileSync(tokenFile, 'utf8').trim();
  expect(first.out()).toContain(token); // printed once
  const call = api({ url: first.url, token });
  const run = await call('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'embedded' } }, { prefer: 'wait' });
  expect(run.json.output).toBe('embedded');
  expect(await stop(first.child)).toBe(0);
  // Postgres was stopped with it: nothing listens on its port any more.
  expect(existsSync(join(dataDir, 'pg', 'postmaster.pid'))).toBe(false);

  const second = await start(env);
  expect(second.out()).not.toContain(token); // not printed again
  const again = api({ url: second.url, token });
  const kept = await again('GET', `/v1/predictions/${run.json.id}`);
  expect(kept.json.output).toBe('embedded');

  // A crash takes down only its own prediction; the instance is replaced for the next one.
  await again('POST', '/v1/models', { owner: 'emb', name: 'crashy', visibility: 'private', hardware: 'cpu' });
  const v = await again('POST', '/v1/models/emb/crashy/versions', { runner: { type: 'node', module: join(FIXTURES, 'crashy.js') } });
  const ok1 = await again('POST', '/v1/predictions', { version: v.json.id, input: {} }, { prefer: 'wait=30' });
  expect(ok1.json.status).toBe('succeeded');
  const crashed = await again('POST', '/v1/predictions', { version: v.json.id, input: { crash: true } }, { prefer: 'wait=30' });
  expect(crashed.json.status).toBe('failed');
  expect(crashed.json.error).toMatch(/instance crashed/);
  const ok2 = await again('POST', '/v1/predictions', { version: v.json.id, input: {} }, { prefer: 'wait=30' });
  expect(ok2.json.status).toBe('succeeded');
  expect(ok2.json.output.pid).not.toBe(ok1.json.output.pid);

  // SIGKILL leaves Postgres running; the next start takes over its data dir.
  second.child.kill('SIGKILL');
  await new Promise((r) => second.child.once('exit', r));
  const third = await start(env);
  const after = api({ url: third.url, token });
  expect((await after('GET', `/v1/predictions/${run.json.id}`)).json.output).toBe('embedded');
  expect(await stop(third.child)).toBe(0);
}, 180_000);

test('as root, a data dir the postgres user cannot reach gets its cluster under /var/lib/gantry', async () => {
  const parent = mkdtempSync(join(tmpdir(), 'gantry-private-')); // mode 700: postgres cannot enter
  const dataDir = join(parent, 'data');
  const env = { GANTRY_DATA_DIR: dataDir, GANTRY_PORT: '0', GANTRY_PG_PORT: String(await freePort()) };
  const engine = await start(env);
  const token = readFileSync(join(dataDir, 'admin-token'), 'utf8').trim();
  const res = await api({ url: engine.url, token })('POST', '/v1/models/gantry/echo/predictions', { input: { text: 'private' } }, { prefer: 'wait' });
  expect(res.json.output).toBe('private');
  const isRoot = process.getuid?.() === 0;
  expect(existsSync(join(dataDir, 'pg-location'))).toBe(isRoot);
  if (isRoot) expect(readFileSync(join(dataDir, 'pg-location'), 'utf8')).toMatch(/^\/var\/lib\/gantry\/clusters\//);
  expect(await stop(engine.child)).toBe(0);
}, 120_000);
