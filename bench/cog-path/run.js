#!/usr/bin/env node
/**
 * The Cog path at wire speed: a Cog-protocol server measured directly and through Gantry in the
 * same run, so every Gantry number has its own baseline.
 *
 *   npm run build && node bench/cog-path/run.js [--seconds 5] [--cold 5] [--json]
 *       [--server fake | --server real --cog-python DIR]
 *
 * --server fake (default): the repository's protocol-faithful fake (test/fixtures/fake-cog.js, a
 *   Node process, model: upper-case the text).
 * --server real: Cog's legacy Python HTTP server (`python -m cog.server.http` of Cog 0.9.x) with a
 *   trivial `predict(text) -> text`; DIR is Cog's `python/` source folder (not part of this
 *   repository: bring it yourself, e.g. a checkout of replicate/cog at v0.9.26) and needs python3
 *   with fastapi, pydantic 1.x, uvicorn, attrs, structlog, requests and pyyaml (Debian's packages).
 *
 * Paths, each at c=1 (and c=4 where the path can serve 4 at once):
 *   direct        POST /predictions on the server itself (sync), one server
 *   url-async     Gantry → the same server by URL, `Prefer: wait`, Cog's respond-async + webhooks
 *   url-sync      Gantry → the same server by URL, runner mode "sync" (Cog's synchronous POST)
 *   cmd-async     Gantry → a server Gantry starts from a command (respond-async)
 *   cmd-sync      the same, mode "sync"
 *   on-demand c=4 an on-demand command version, max instances 4 (GANTRY_MAX_INSTANCES): how many
 *                 instances it scaled to, and its throughput against direct × instances
 *   deployment c=4 one instance kept busy by 4 clients (throughput per instance), then 4 ready
 *                 instances (how close to 4× one instance)
 *   cold boot     a fresh version whose setup() sleeps 1 s: Gantry's answer time minus the time the
 *                 same server needs from start to READY plus one direct prediction (median of --cold)
 */
const http = require('node:http');
const { spawn } = require('node:child_process');
const { mkdtempSync, rmSync, writeFileSync, mkdirSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { join, resolve } = require('node:path');
const { createServer } = require('node:net');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const SECONDS = Number(opt('seconds', '5'));
const COLD_RUNS = Number(opt('cold', '5'));
const SERVER = opt('server', 'fake');
const JSON_OUT = args.includes('--json');
const FAKE = resolve(__dirname, '..', '..', 'test', 'fixtures', 'fake-cog.js');
const CLI = resolve(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');
const TOKEN = 'bench-token-123';
const agent = new http.Agent({ keepAlive: true, maxSockets: 64 });
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function freePort() {
  return new Promise((ok) => {
    const s = createServer().listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
  });
}

function request(method, url, body, headers = {}) {
  return new Promise((ok, fail) => {
    const u = new URL(url);
    const data = body === undefined ? undefined : Buffer.from(JSON.stringify(body));
    const req = http.request(
      { agent, host: u.hostname, port: u.port, path: u.pathname + u.search, method, headers: { ...(data ? { 'content-type': 'application/json', 'content-length': data.length } : {}), ...headers } },
      (res) => {
        const chunks = [];
        res.on('data', (c) => chunks.push(c));
        res.on('end', () => {
          const text = Buffer.concat(chunks).toString();
          let json;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          ok({ status: res.statusCode, json });
        });
      },
    );
    req.on('error', fail);
    req.end(data);
  });
}

// ---- the Cog server under test ----------------------------------------------------------------
let modelDir;
/** A shell command starting the server on `{port}` (Gantry's template syntax), setup sleeping `setupMs`. */
function serverCommand(setupMs, extra = '') {
  if (SERVER === 'fake') return `node ${FAKE} --port {port} --setup-ms ${setupMs} ${extra}`.trim();
  const cogPython = opt('cog-python');
  if (!cogPython) throw new Error('--server real needs --cog-python DIR (Cog\'s python/ source folder)');
  if (!modelDir) {
    modelDir = mkdtempSync(join(tmpdir(), 'bench-cog-model-'));
    writeFileSync(join(modelDir, 'cog.yaml'), 'build:\n  python_version: "3.11"\npredict: "predict.py:Predictor"\n');
    writeFileSync(
      join(modelDir, 'predict.py'),
      [
        'import os, time',
        'from cog import BasePredictor, Input',
        'class Predictor(BasePredictor):',
        '    def setup(self):',
        '        time.sleep(float(os.environ.get("SETUP_S", "0")))',
        '    def predict(self, text: str = Input(default="hello"), sleep: float = Input(default=0)) -> str:',
        '        if sleep > 0:',
        '            time.sleep(sleep)',
        '        return text.upper()',
        '',
      ].join('\n'),
    );
  }
  return `cd ${modelDir} && SETUP_S=${setupMs / 1000} PYTHONPATH=${resolve(cogPython)} PORT={port} exec /usr/bin/python3 -m cog.server.http --host 127.0.0.1 ${extra}`.trim();
}

/** Starts the server outside Gantry; resolves once READY, with how long that took. */
async function startDirect(setupMs) {
  const port = await freePort();
  const command = serverCommand(setupMs).replace('{port}', String(port));
  const t0 = process.hrtime.bigint();
  const child = spawn('sh', ['-c', command], { stdio: 'ignore', detached: true, env: { ...process.env, COG_THROTTLE_RESPONSE_INTERVAL: '0.5' } });
  const url = `http://127.0.0.1:${port}`;
  for (;;) {
    const health = await request('GET', `${url}/health-check`).catch(() => undefined);
    if (health?.json?.status === 'READY') break;
    await sleep(2);
  }
  const readyMs = Number(process.hrtime.bigint() - t0) / 1e6;
  return { url, readyMs, stop: () => process.kill(-child.pid, 'SIGKILL') };
}

// ---- load ---------------------------------------------------------------------------------------
/** CPU seconds (user + system) a process has used so far, from /proc (Linux). */
function cpuSeconds(pid) {
  try {
    const fields = require('node:fs').readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1].split(' ');
    return (Number(fields[11]) + Number(fields[12])) / 100; // utime, stime in clock ticks (100/s)
  } catch {
    return NaN;
  }
}
/** Whose CPU a phase is charged to: the engine process (set once it runs). */
let enginePid;

async function load(label, concurrency, send) {
  // Warm-up first (JIT, connections), long enough that the first path measured is not penalised.
  const warmEnd = Date.now() + 2000;
  await Promise.all(Array.from({ length: concurrency }, async () => { while (Date.now() < warmEnd) await send(); }));
  const latencies = [];
  let errors = 0;
  const cpuBefore = enginePid ? cpuSeconds(enginePid) : NaN;
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
  // Engine CPU per request: a cost that does not depend on how busy the machine is.
  const engineCpuMs = enginePid ? ((cpuSeconds(enginePid) - cpuBefore) * 1000) / latencies.length : undefined;
  latencies.sort((a, b) => a - b);
  const q = (p) => latencies[Math.min(latencies.length - 1, Math.floor(p * latencies.length))];
  return { label, concurrency, requests: latencies.length, errors, throughput: latencies.length / elapsed, p50: q(0.5), p99: q(0.99), engineCpuMs };
}

// ---- Gantry -------------------------------------------------------------------------------------
function startEngine(dataDir) {
  // Slots for every instance the run starts, so no boot waits for an eviction.
  const env = { ...process.env, GANTRY_PORT: '0', GANTRY_DATA_DIR: dataDir, GANTRY_API_TOKEN: TOKEN, GANTRY_LOG: 'info', GANTRY_CPU_SLOTS: '32', GANTRY_MAX_INSTANCES: '4' };
  if (opt('database-url')) env.DATABASE_URL = opt('database-url');
  else delete env.DATABASE_URL;
  const child = spawn(process.execPath, [CLI, 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((ok, fail) => {
    let out = '';
    child.stdout.on('data', (c) => {
      out += c;
      const m = /listening on (http:\/\/\S+)/.exec(out);
      if (m) ok({ child, url: m[1] });
    });
    child.on('exit', (code) => fail(new Error(`engine exited ${code}: ${out}`)));
  });
}

(async () => {
  const results = [];
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-cog-'));
  const engine = await startEngine(dataDir);
  enginePid = engine.child.pid;
  const auth = { authorization: `Bearer ${TOKEN}` };
  const api = (method, path, body, headers = {}) => request(method, `${engine.url}${path}`, body, { ...auth, ...headers });
  await api('POST', '/v1/models', { owner: 'bench', name: 'cog', visibility: 'private', hardware: 'cpu' });
  const schema = { openapi: '3.0.2', components: { schemas: { Input: { type: 'object', properties: { text: { type: 'string' }, ...(SERVER === 'fake' ? { sleep: { type: 'number' } } : {}) } }, Output: {} } } };
  let variant = 0;
  const version = async (runner) => {
    // A distinct command per version (an unused env var), so each one boots its own instances.
    const r = await api('POST', '/v1/models/bench/cog/versions', { runner, openapi_schema: schema, max_concurrency: 1 });
    if (r.status !== 201) throw new Error(`version: ${r.status} ${JSON.stringify(r.json)}`);
    return r.json.id;
  };
  // Answers that were not a finished success, by HTTP status and prediction status (with one example).
  const anomalies = new Map();
  const viaGantry = (path, body) => async () => {
    const r = await api('POST', path, body, { prefer: 'wait' });
    const ok = r.status === 201 && r.json?.status === 'succeeded';
    if (!ok) {
      const key = `${r.status} ${r.json?.status}`;
      const seen = anomalies.get(key) ?? { count: 0, example: r.json };
      seen.count++;
      anomalies.set(key, seen);
    }
    return ok;
  };
  const input = { text: 'bench' };

  // Direct, and Gantry by URL (async and sync) against the same server.
  const direct = await startDirect(0);
  const directEngine = enginePid;
  enginePid = undefined; // the direct run costs the engine nothing
  results.push(await load('direct: POST /predictions', 1, async () => (await request('POST', `${direct.url}/predictions`, { input })).json?.status === 'succeeded'));
  enginePid = directEngine;
  const urlAsync = await version({ type: 'cog', url: direct.url });
  results.push(await load('gantry → URL, async (webhooks)', 1, viaGantry('/v1/predictions', { version: urlAsync, input })));
  const urlSync = await version({ type: 'cog', url: direct.url, mode: 'sync' });
  results.push(await load('gantry → URL, sync', 1, viaGantry('/v1/predictions', { version: urlSync, input })));

  // By command: Gantry starts its own servers.
  const cmdAsync = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(0)}` });
  results.push(await load('gantry → command, async', 1, viaGantry('/v1/predictions', { version: cmdAsync, input })));
  const cmdSync = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(0)}`, mode: 'sync' });
  results.push(await load('gantry → command, sync', 1, viaGantry('/v1/predictions', { version: cmdSync, input })));

  // c=4 on an on-demand version (up to GANTRY_MAX_INSTANCES=4 instances of it).
  const onDemand = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(0)}` });
  const od = await load('gantry → command, on-demand, c=4', 4, viaGantry('/v1/predictions', { version: onDemand, input }));
  const cluster = (await api('GET', '/v1/cluster')).json;
  od.instances = (cluster.instances ?? []).filter((i) => i.version === onDemand).length;
  results.push(od);

  // Throughput per instance: a deployment with one instance kept busy by 4 clients (one runs, the
  // rest wait), against the server's own throughput.
  const oneVersion = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(0)}` });
  await api('POST', '/v1/deployments', { name: 'bench-one', model: 'bench/cog', version: oneVersion, hardware: 'cpu', min_instances: 1, max_instances: 1 });
  for (let i = 0; i < 300; i++) {
    const d = (await api('GET', '/v1/deployments/gantry/bench-one')).json;
    if ((d.instances ?? []).some((x) => x.state === 'ready' || x.state === 'busy')) break;
    await sleep(100);
  }
  const one = await load('gantry → deployment, 1 instance, c=4', 4, viaGantry('/v1/deployments/gantry/bench-one/predictions', { input }));
  one.instances = 1;
  results.push(one);
  // The same with a model that takes 20 ms (a `sleep` input, in the fake and in the real server's
  // predict.py): what a real model's throughput per instance looks like, against the server's own
  // with that model.
  const slowInput = { text: 'bench', sleep: 0.02 };
  enginePid = undefined; // the direct run costs the engine nothing
  const slowDirect = await load('direct, a 20 ms model', 1, async () => (await request('POST', `${direct.url}/predictions`, { input: slowInput })).json?.status === 'succeeded');
  enginePid = directEngine;
  slowDirect.baseline = true;
  results.push(slowDirect);
  const slowOne = await load('gantry → deployment, 1 instance, c=4, a 20 ms model', 4, viaGantry('/v1/deployments/gantry/bench-one/predictions', { input: slowInput }));
  slowOne.instances = 1;
  slowOne.against = slowDirect;
  results.push(slowOne);
  await api('PATCH', '/v1/deployments/gantry/bench-one', { min_instances: 0, max_instances: 0 });

  // A deployment with 4 ready instances.
  const depVersion = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(0)}` });
  await api('POST', '/v1/deployments', { name: 'bench-dep', model: 'bench/cog', version: depVersion, hardware: 'cpu', min_instances: 4, max_instances: 4 });
  for (let i = 0; i < 300; i++) {
    const d = (await api('GET', '/v1/deployments/gantry/bench-dep')).json;
    if ((d.instances ?? []).filter((x) => x.state === 'ready' || x.state === 'busy').length >= 4) break;
    await sleep(100);
  }
  const dep = await load('gantry → deployment, 4 instances, c=4', 4, viaGantry('/v1/deployments/gantry/bench-dep/predictions', { input }));
  dep.instances = 4;
  results.push(dep);
  // And with the 20 ms model: on 2 cores a trivial model makes 4 instances compete for the CPU;
  // a model that spends its time predicting shows how close 4 instances come to 4× one.
  const slowDep = await load('gantry → deployment, 4 instances, c=4, a 20 ms model', 4, viaGantry('/v1/deployments/gantry/bench-dep/predictions', { input: slowInput }));
  slowDep.instances = 4;
  slowDep.against = slowDirect;
  results.push(slowDep);
  await api('PATCH', '/v1/deployments/gantry/bench-dep', { min_instances: 0, max_instances: 0 });

  // Cold boot: Cog's own start-to-READY and one prediction, against Gantry's answer on a fresh version.
  const cold = [];
  for (let i = 0; i < COLD_RUNS; i++) {
    const alone = await startDirect(1000);
    const t0 = process.hrtime.bigint();
    await request('POST', `${alone.url}/predictions`, { input });
    const predictMs = Number(process.hrtime.bigint() - t0) / 1e6;
    alone.stop();
    const fresh = await version({ type: 'cog', command: `V=${variant++} ${serverCommand(1000)}` });
    const t1 = process.hrtime.bigint();
    const r = await api('POST', '/v1/predictions', { version: fresh, input }, { prefer: 'wait' });
    const gantryMs = Number(process.hrtime.bigint() - t1) / 1e6;
    if (r.json?.status !== 'succeeded') throw new Error(`cold run: ${JSON.stringify(r.json)}`);
    cold.push({ cogReadyMs: alone.readyMs, cogPredictMs: predictMs, gantryMs, addedMs: gantryMs - alone.readyMs - predictMs });
  }
  direct.stop();
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  const coldSummary = {
    runs: cold.length,
    cog_ready_ms: median(cold.map((c) => c.cogReadyMs)),
    gantry_answer_ms: median(cold.map((c) => c.gantryMs)),
    added_ms: median(cold.map((c) => c.addedMs)),
  };

  const base = results[0];
  if (JSON_OUT) {
    console.log(JSON.stringify({ server: SERVER, seconds: SECONDS, results, cold: coldSummary }, null, 2));
  } else {
    console.log(`\n${SECONDS}s per run, server: ${SERVER}, node ${process.version}\n`);
    console.log('| path | c | requests | errors | req/s | p50 (ms) | p99 (ms) | p50 over direct (ms) | p99 over direct (ms) | req/s per instance ÷ direct | engine CPU ms/request |');
    console.log('|---|---|---|---|---|---|---|---|---|---|---|');
    for (const r of results) {
      const instances = r.instances ?? 1;
      // Each Gantry path against the direct run of the same model (the 20 ms one has its own).
      const ref = r.against ?? base;
      const isBase = r === base || r.baseline;
      const overP50 = isBase ? '' : (r.p50 - ref.p50).toFixed(2);
      const overP99 = isBase ? '' : (r.p99 - ref.p99).toFixed(2);
      const perInstance = isBase ? '' : (r.throughput / instances / ref.throughput).toFixed(2);
      const cpu = r.engineCpuMs === undefined ? '' : r.engineCpuMs.toFixed(2);
      console.log(`| ${r.label}${r.instances !== undefined ? ` (${r.instances} instances)` : ''} | ${r.concurrency} | ${r.requests} | ${r.errors} | ${r.throughput.toFixed(0)} | ${r.p50.toFixed(2)} | ${r.p99.toFixed(2)} | ${overP50} | ${overP99} | ${perInstance} | ${cpu} |`);
    }
    console.log(`\ncold boot (setup sleeps 1 s, median of ${coldSummary.runs}): Cog start→READY ${coldSummary.cog_ready_ms.toFixed(0)} ms, Gantry answers in ${coldSummary.gantry_answer_ms.toFixed(0)} ms, i.e. ${coldSummary.added_ms.toFixed(0)} ms over Cog's own start→READY + one prediction`);
  }
  for (const [key, { count, example }] of anomalies) console.log(`\nnot a finished success: HTTP ${key} × ${count}, e.g. ${JSON.stringify(example).slice(0, 400)}`);
  engine.child.kill('SIGTERM');
  await new Promise((r) => engine.child.once('exit', r));
  agent.destroy();
  rmSync(dataDir, { recursive: true, force: true });
  if (modelDir) rmSync(modelDir, { recursive: true, force: true });
  process.exit(0);
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
