#!/usr/bin/env node
/**
 * A longer fuzz run than `npm test` makes, with its report:
 *
 *   node test/fuzz/run.js --requests 10000 [--seconds 900] [--seed N] [--report fuzz-report.json]
 *
 * Runs the same suite (test/fuzz/api.fuzz.test.ts, against a real engine on the machine's
 * Postgres) with other bounds, then prints the counts: requests, answers per status, failures
 * (with the first examples) and the checks made afterwards. Exits non-zero when anything failed.
 * Build first (`npm run build`): the engine runs from engine/dist.
 */
const { spawnSync } = require('node:child_process');
const { existsSync, readFileSync } = require('node:fs');
const { join, resolve } = require('node:path');

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i > 0 && process.argv[i + 1] !== undefined ? process.argv[i + 1] : fallback;
}

const requests = Number(option('requests', 10000));
const seconds = Number(option('seconds', Math.max(120, Math.ceil(requests / 20))));
const report = resolve(option('report', 'fuzz-report.json'));
const seed = option('seed', undefined);
const root = join(__dirname, '..', '..');

const env = { ...process.env, FUZZ_REQUESTS: String(requests), FUZZ_SECONDS: String(seconds), FUZZ_REPORT: report };
if (seed !== undefined) env.FUZZ_SEED = String(seed);
const jest = spawnSync(process.execPath, [require.resolve('jest/bin/jest', { paths: [root] }), 'test/fuzz/api.fuzz.test.ts', '--runInBand', '--forceExit'], {
  cwd: root,
  env,
  stdio: 'inherit',
});

if (!existsSync(report)) {
  console.error(`no report was written (${report}); see the output above`);
  process.exit(jest.status || 1);
}
const r = JSON.parse(readFileSync(report, 'utf8'));
const statuses = Object.entries(r.statuses).sort(([a], [b]) => a.localeCompare(b));
console.log(`\nfuzz run: seed ${r.seed}, ${r.requests} requests in ${r.seconds} s over ${Object.keys(r.routes).length} routes`);
console.log(`answer times (ms): ${Object.entries(r.latencyMs).map(([k, v]) => `${k} ${v}`).join(', ')}`);
console.log('answers per status:');
for (const [status, n] of statuses) console.log(`  ${status.padEnd(10)} ${n}`);
console.log(`failures: ${r.failures}`);
for (const e of r.examples.slice(0, 10)) console.log(`  - ${e.failures.join('; ')}\n    ${e.request}\n    => ${e.answer}`);
console.log(`afterwards: ${r.afterwards.length ? r.afterwards.join('; ') : 'healthy, every accepted prediction terminal'}`);
if (r.engineErrors.length) console.log(`engine errors:\n  ${r.engineErrors.join('\n  ')}`);
console.log(`full report: ${report}`);
process.exit(jest.status ?? 1);
