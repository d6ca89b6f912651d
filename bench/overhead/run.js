#!/usr/bin/env node
/**
 * Overhead benchmark: sync predictions of gantry/echo through the API (`Prefer: wait`) at
 * concurrency 1 and 32, against a bare Node HTTP echo server measured in the same run.
 *
 *   npm run build --workspace engine && node bench/overhead/run.js [--seconds 10] [--database-url URL]
 *
 * Without --database-url the engine uses its embedded Postgres (a fresh data dir).
 */
const http = require('node:http');
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join } = require('node:path');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '10'));
const DATABASE_URL = opt('database-url', undefined);
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });

function request(url, body, headers = {}) {
  return new Promise((resolve, reject) => {
    const u = new URL(url);
    const data = Buffer.from(JSON.stringify(body));
    const req = http.request(
      { agent, host: u.hostname, port: u.port, path: u.pathname, method: 'POST', headers: { 'content-type': 'application/json', 'content-length': data.length, ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode, body: Buffer.concat(chunks).toString() }));
      },
    );
    req.on('error', reject);
    req.end(data);
  });
}

async function load(label, concurrency, send) {
  // Warm-up, then measure for SECONDS.
  const warmEnd = Date.now() + 1500;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < warmEnd) await send(); }));
  const latencies = [];
  let errors = 0;
  const start = process.hrtime.bigint();
  const end = Date.now() + SECONDS * 1000;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (Date.now() < end) {
        const t0 = process.hrtime.bigint();
        const ok = await send();
        latencies.push(Number(process.hrtime.bigint() - t0) / 1e6);
        if (!ok) errors++;
      }
    }),
  );
  const elapsed = Number(process.hrtime.bigint() - start) / 1e9;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { label, concurrency, requests: latencies.length, errors, throughput: latencies.length / elapsed, p50: q(0.5), p99: q(0.99) };
}

function startBare() {
  const server = http.createServer((req, res) => {
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = JSON.parse(Buffer.concat(chunks).toString());
      res.writeHead(201, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ status: 'succeeded', output: body.input.text }));
    });
  });
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function startEngine(dataDir) {
  const env = { ...process.env, GANTRY_PORT: '0', GANTRY_DATA_DIR: dataDir, GANTRY_API_TOKEN: 'bench-token-123', GANTRY_LOG: 'info' };
  if (DATABASE_URL) env.DATABASE_URL = DATABASE_URL;
  else delete env.DATABASE_URL;
  const child = spawn(process.execPath, [join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) resolve({ child, url: m[1] });
    });
    child.on('exit', (code) => reject(new Error(`engine exited ${code}: ${out}`)));
  });
}

(async () => {
  const bare = await startBare();
  const bareUrl = `http://127.0.0.1:${bare.address().port}/`;
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-'));
  const engine = await startEngine(dataDir);
  const predictUrl = `${engine.url}/v1/models/gantry/echo/predictions`;
  const headers = { authorization: 'Bearer bench-token-123', prefer: 'wait' };
  const sendBare = async () => (await request(bareUrl, { input: { text: 'x' } })).status === 201;
  const sendEngine = async () => {
    const r = await request(predictUrl, { input: { text: 'x' } }, headers);
    return r.status === 201 && JSON.parse(r.body).status === 'succeeded';
  };
  const results = [];
  for (const c of [1, 32]) {
    results.push(await load('bare node http', c, sendBare));
    results.push(await load('gantry (Prefer: wait)', c, sendEngine));
  }
  console.log(`\n${SECONDS}s per run, ${DATABASE_URL ? 'external' : 'embedded'} Postgres, node ${process.version}\n`);
  console.log('| server | concurrency | requests | errors | throughput (req/s) | p50 (ms) | p99 (ms) |');
  console.log('|---|---|---|---|---|---|---|');
  for (const r of results) {
    console.log(`| ${r.label} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${r.throughput.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} |`);
  }
  for (const c of [1, 32]) {
    const b = results.find((r) => r.concurrency === c && r.label.startsWith('bare'));
    const g = results.find((r) => r.concurrency === c && r.label.startsWith('gantry'));
    console.log(`\nconcurrency ${c}: p50 overhead ${(g.p50 - b.p50).toFixed(2)} ms; throughput ratio gantry/bare ${(g.throughput / b.throughput).toFixed(3)}`);
  }
  engine.child.kill('SIGTERM');
  await new Promise((r) => engine.child.once('exit', r));
  bare.close();
  agent.destroy();
  rmSync(dataDir, { recursive: true, force: true });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
