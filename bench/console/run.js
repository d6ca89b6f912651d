#!/usr/bin/env node
/**
 * Console benchmark: first render of each console page in Debian's Chromium on loopback, and the
 * bundle's gzipped size. "First render" is the time from the start of the navigation to the
 * page's `console:ready` mark: the page has fetched its data from the API and shows it. Each page
 * is loaded with the browser cache off (a first visit: HTML, script, stylesheet and API calls
 * all fetched), then with it on (a return visit). Baseline, same run and browser: loading the
 * engine's bare `GET /health` document (one request, nothing to run).
 *
 *   npm run build --workspace engine && node bench/console/run.js [--runs 15] [--database-url URL]
 *
 * Without --database-url the engine uses its embedded Postgres (a fresh data dir).
 */
const { spawn } = require('node:child_process');
const { existsSync, mkdtempSync, readFileSync, rmSync } = require('node:fs');
const { tmpdir } = require('node:os');
const { createServer } = require('node:net');
const { join } = require('node:path');
const { chromium } = require('playwright-core');

const args = process.argv.slice(2);
const opt = (name, dflt) => {
  const i = args.indexOf(`--${name}`);
  return i >= 0 ? args[i + 1] : dflt;
};
const RUNS = Number(opt('runs', '15'));
const DATABASE_URL = opt('database-url', undefined);
const CHROMIUM = process.env.GANTRY_CHROMIUM ?? '/usr/bin/chromium';
const TOKEN = 'bench-token-console-1';
const BUDGET_MS = 500;
const BUDGET_GZIP = 150 * 1024;
const ROOT = join(__dirname, '..', '..');

/** A free loopback port (for the embedded Postgres: another engine on the machine may hold the default). */
function freePort() {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address();
      server.close(() => resolve(port));
    });
  });
}

async function startEngine(dataDir) {
  const env = { ...process.env, GANTRY_PORT: '0', GANTRY_DATA_DIR: dataDir, GANTRY_API_TOKEN: TOKEN, GANTRY_LOG: 'info', GANTRY_GPUS: 'gpu-t4:2' };
  if (DATABASE_URL) env.DATABASE_URL = DATABASE_URL;
  else {
    delete env.DATABASE_URL;
    env.GANTRY_PG_PORT = String(await freePort());
  }
  const child = spawn(process.execPath, [join(ROOT, 'engine', 'dist', 'src', 'cli.js'), 'serve'], { env, stdio: ['ignore', 'pipe', 'inherit'] });
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

async function call(url, method, path, body, headers = {}) {
  const res = await fetch(`${url}${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
}

/** Something on every page: predictions with tags, a deployment, usage, a model check. */
async function seed(url) {
  let last;
  for (let i = 0; i < 30; i++) {
    last = await call(url, 'POST', '/v1/models/gantry/echo/predictions', { input: { text: `seed ${i}` }, tags: { n8n_execution_id: String(i % 5) } }, { prefer: 'wait' });
  }
  const echo = await call(url, 'GET', '/v1/models/gantry/echo');
  await call(url, 'POST', '/v1/deployments', { name: 'bench', model: 'gantry/echo', version: echo.latest_version.id, hardware: 'cpu', min_instances: 0, max_instances: 1 });
  // A finished model check, for the Checks pages (its report has all ten items).
  const check = await call(url, 'POST', '/v1/checks', { model: 'gantry/echo', input: { text: 'bench' }, runs: 3, hardware: ['gpu-t4'], timeout: '10s', worst_case: false });
  for (let i = 0; ; i++) {
    const c = await call(url, 'GET', `/v1/checks/${check.id}`);
    if (!['starting', 'processing'].includes(c.status)) break;
    if (i > 600) throw new Error(`the seed check did not end: ${JSON.stringify(c).slice(0, 500)}`);
    await new Promise((r) => setTimeout(r, 100));
  }
  return { prediction: last.id, check: check.id };
}

const quantile = (xs, q) => {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))];
};

async function measure(context, url, { cache, ready, signedOut = false }) {
  const page = await context.newPage();
  // Runs after the context's sign-in script: this tab has no token (the sign-in page).
  if (signedOut) await page.addInitScript(() => sessionStorage.removeItem('gantry.console.token'));
  const cdp = await context.newCDPSession(page);
  await cdp.send('Network.enable');
  await cdp.send('Network.setCacheDisabled', { cacheDisabled: !cache });
  await page.goto(url);
  let ms;
  if (ready) {
    await page.waitForFunction(() => performance.getEntriesByName('console:ready').length > 0, undefined, { timeout: 30_000 });
    ms = await page.evaluate(() => performance.getEntriesByName('console:ready')[0].startTime);
  } else {
    await page.waitForLoadState('load');
    ms = await page.evaluate(() => performance.getEntriesByType('navigation')[0].loadEventEnd);
  }
  await page.close();
  return ms;
}

(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM}: apt-get install -y chromium`);
  const sizes = JSON.parse(readFileSync(join(ROOT, 'engine', 'dist', 'console', 'bundle-size.json'), 'utf8'));
  const dataDir = mkdtempSync(join(tmpdir(), 'gantry-bench-console-'));
  const profile = mkdtempSync(join(tmpdir(), 'gantry-bench-chromium-'));
  const engine = await startEngine(dataDir);
  const { prediction, check } = await seed(engine.url);
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 900 },
  });
  // Every tab starts signed in (the console keeps the token in sessionStorage).
  await context.addInitScript((token) => sessionStorage.setItem('gantry.console.token', token), TOKEN);

  const pages = [
    ['sign in', '/console/', false],
    ['models', '/console/models', true],
    ['model playground', '/console/models/gantry/echo', true],
    ['model API tab', '/console/models/gantry/image-resize/api', true],
    ['predictions', '/console/predictions', true],
    ['predictions, filtered', '/console/predictions?tag=n8n_execution_id%3A3&status=succeeded', true],
    ['prediction', `/console/predictions/${prediction}`, true],
    ['deployments', '/console/deployments', true],
    ['deployment', '/console/deployments/gantry/bench', true],
    ['usage', '/console/usage', true],
    ['cluster', '/console/cluster', true],
    ['checks', '/console/checks', true],
    ['check report', `/console/checks/${check}`, true],
    ['new check', '/console/checks/new?model=gantry/echo', true],
    ['decide', '/console/decide', true],
    ['tokens', '/console/tokens', true],
  ];
  // Warm the engine's code paths and the browser once before measuring anything.
  for (const [, path, signedIn] of pages) await measure(context, `${engine.url}${path}`, { cache: true, ready: true, signedOut: !signedIn });
  const baseline = [];
  const results = pages.map(([label]) => ({ label, cold: [], warm: [] }));
  // Interleaved rounds, so a slow moment of the machine hits every page and the baseline alike.
  for (let r = 0; r < RUNS; r++) {
    baseline.push(await measure(context, `${engine.url}/health`, { cache: false, ready: false }));
    for (let i = 0; i < pages.length; i++) {
      const [, path, signedIn] = pages[i];
      const url = `${engine.url}${path}`;
      results[i].cold.push(await measure(context, url, { cache: false, ready: true, signedOut: !signedIn }));
      results[i].warm.push(await measure(context, url, { cache: true, ready: true, signedOut: !signedIn }));
    }
  }
  const base = quantile(baseline, 0.5);
  console.log(`\n${RUNS} runs per page, ${DATABASE_URL ? 'external' : 'embedded'} Postgres, Chromium ${context.browser()?.version() ?? ''}, node ${process.version}`);
  console.log(`bundle: ${sizes.js} ${(sizes.gzip_bytes.js / 1024).toFixed(1)} KiB + ${sizes.css} ${(sizes.gzip_bytes.css / 1024).toFixed(1)} KiB gzipped (budget ${BUDGET_GZIP / 1024} KiB: ${sizes.gzip_bytes.js <= BUDGET_GZIP ? 'met' : 'MISSED'})`);
  console.log(`baseline, GET /health document, cache off: p50 ${base.toFixed(1)} ms, p95 ${quantile(baseline, 0.95).toFixed(1)} ms\n`);
  console.log('| page | first visit p50 (ms) | p95 | max | ratio p50 / baseline | return visit p50 (ms) | ≤ 500 ms |');
  console.log('|---|---|---|---|---|---|---|');
  let worst = 0;
  for (const r of results) {
    const p50 = quantile(r.cold, 0.5);
    const p95 = quantile(r.cold, 0.95);
    const max = Math.max(...r.cold);
    worst = Math.max(worst, p95);
    console.log(`| ${r.label} | ${p50.toFixed(0)} | ${p95.toFixed(0)} | ${max.toFixed(0)} | ${(p50 / base).toFixed(1)} | ${quantile(r.warm, 0.5).toFixed(0)} | ${p95 <= BUDGET_MS ? 'yes' : 'NO'} |`);
  }
  console.log(`\nworst first-visit p95: ${worst.toFixed(0)} ms (budget ${BUDGET_MS} ms: ${worst <= BUDGET_MS ? 'met' : 'MISSED'})`);
  await context.close();
  engine.child.kill('SIGTERM');
  await new Promise((r) => engine.child.once('exit', r));
  rmSync(dataDir, { recursive: true, force: true });
  rmSync(profile, { recursive: true, force: true });
})().catch((err) => {
  console.error(err);
  process.exit(1);
});
