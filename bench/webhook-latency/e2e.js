#!/usr/bin/env node
/**
 * End-to-end webhook latency through a real engine: a prediction of gantry/echo with a webhook
 * (filter `completed`); latency = when the receiver got the POST minus the prediction's
 * `completed_at` (both wall clocks of this host, ms precision). Sequential and with N in flight.
 *
 *   cd engine && npx tsc -p tsconfig.json && cd .. && \
 *     node bench/webhook-latency/e2e.js [--n 300] [--concurrency 16] [--pg postgres://postgres@127.0.0.1:5432/test]
 *
 * Creates a scratch database next to the one given and drops it at the end.
 */
const http = require('node:http');
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');
const { randomBytes } = require('node:crypto');
const { Client } = require('pg');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const N = Number(opt('n', '300'));
const CONCURRENCY = Number(opt('concurrency', '16'));
const ADMIN = opt('pg', 'postgres://postgres@127.0.0.1:5432/test');
const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');

const pct = (xs, p) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor((p / 100) * s.length))];
};

async function admin(sql) {
  const c = new Client({ connectionString: ADMIN });
  await c.connect();
  try {
    await c.query(sql);
  } finally {
    await c.end();
  }
}

function startEngine(env) {
  const child = spawn(process.execPath, [CLI, 'serve'], { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  return new Promise((resolve, reject) => {
    const onData = (d) => {
      out += d;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    };
    child.stdout.on('data', onData);
    child.stderr.on('data', onData);
    child.on('exit', (code) => reject(new Error(`engine exited ${code}: ${out}`)));
  });
}

async function main() {
  const dbName = `gantry_bench_whe2e_${randomBytes(4).toString('hex')}`;
  await admin(`CREATE DATABASE ${dbName}`);
  const dbUrl = new URL(ADMIN);
  dbUrl.pathname = `/${dbName}`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const token = `bench_${randomBytes(8).toString('hex')}`;
  const engine = await startEngine({ DATABASE_URL: dbUrl.href, GANTRY_API_TOKEN: token, GANTRY_PORT: '0', GANTRY_DATA_DIR: dataDir, GANTRY_LOG: 'info' });

  const arrivals = new Map();
  const waiters = new Map();
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const at = Date.now();
      res.writeHead(204).end();
      const body = JSON.parse(Buffer.concat(chunks).toString());
      arrivals.set(body.id, { at, completedAt: Date.parse(body.completed_at) });
      waiters.get(body.id)?.();
    });
  });
  await new Promise((r) => server.listen(0, '127.0.0.1', r));
  const hook = `http://127.0.0.1:${server.address().port}/hook`;

  const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
  const create = (text) =>
    new Promise((resolve, reject) => {
      const data = Buffer.from(JSON.stringify({ input: { text }, webhook: hook, webhook_events_filter: ['completed'] }));
      const u = new URL(`${engine.url}/v1/models/gantry/echo/predictions`);
      const req = http.request(
        { agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { authorization: `Bearer ${token}`, 'content-type': 'application/json', 'content-length': data.length } },
        (res) => {
          const cs = [];
          res.on('data', (c) => cs.push(c));
          res.on('end', () => resolve(JSON.parse(Buffer.concat(cs).toString())));
        },
      );
      req.on('error', reject);
      req.end(data);
    });
  const one = async (i) => {
    const p = await create(`bench ${i}`);
    await new Promise((resolve) => {
      if (arrivals.has(p.id)) return resolve();
      waiters.set(p.id, resolve);
    });
    const a = arrivals.get(p.id);
    return a.at - a.completedAt;
  };

  // Warm up (boots the echo instance).
  for (let i = 0; i < 10; i++) await one(`warm${i}`);
  const rows = [];
  for (const conc of [1, CONCURRENCY]) {
    const lat = [];
    let next = 0;
    const t0 = Date.now();
    await Promise.all(
      Array.from({ length: conc }, async () => {
        while (next < N) {
          const i = next++;
          lat.push(await one(i));
        }
      }),
    );
    const secs = (Date.now() - t0) / 1000;
    rows.push(`| ${conc} | ${lat.length} | ${pct(lat, 50)} | ${pct(lat, 95)} | ${pct(lat, 99)} | ${Math.max(...lat)} | ${(lat.length / secs).toFixed(0)} |`);
  }
  console.log('completed_at → webhook received (ms), gantry/echo, one engine process (API + worker + sender)\n');
  console.log('| in flight | n | p50 | p95 | p99 | max | predictions/s |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of rows) console.log(r);

  server.close();
  agent.destroy();
  const gone = new Promise((r) => engine.child.once('exit', r));
  engine.child.kill('SIGTERM');
  await gone;
  await admin(`DROP DATABASE IF EXISTS ${dbName} WITH (FORCE)`);
  rmSync(dataDir, { recursive: true, force: true });
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
