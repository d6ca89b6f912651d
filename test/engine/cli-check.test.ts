/**
 * `gantry check` and `gantry decide` as a user runs them: the built CLI as a child process against
 * a real engine. The exit status gates CI (1 when an item fails), the progress is on stderr, the
 * report on stdout as a table, JSON or Markdown.
 */
import { spawn } from 'node:child_process';
import { join } from 'node:path';
import { api, startEngine, type EngineHandle } from '../helpers/engine';

const CLI = join(__dirname, '..', '..', 'engine', 'dist', 'src', 'cli.js');
let engine: EngineHandle;

function gantry(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [CLI, ...args], {
      env: { ...process.env, GANTRY_URL: engine.url, GANTRY_API_TOKEN: engine.token, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('exit', (code) => resolve({ code, stdout, stderr }));
  });
}

beforeAll(async () => {
  engine = await startEngine();
}, 90_000);
afterAll(async () => engine?.stop());

test('a passing check: exit 0, a progress line per step on stderr, the items as a table', async () => {
  const r = await gantry(['check', 'gantry/echo', '--input', '{"text":"ci"}', '--runs', '2', '--no-worst-case', '--poll', '100']);
  expect(r.code).toBe(0);
  expect(r.stderr).toMatch(/\[#+\.*\] \d+\/\d+ runs/);
  expect(r.stderr.trim().split('\n').pop()).toMatch(/\[#{30}\] (\d+)\/\1 runs {2}succeeded/);
  const lines = r.stdout.split('\n');
  expect(lines[0]).toMatch(/^item\s+status\s+summary$/);
  for (const key of ['consistency', 'cold_start', 'runtime', 'worst_case', 'compare', 'hardware', 'timeout_retry', 'cost_per_action', 'license', 'version_stability']) {
    expect(lines.some((l) => l.startsWith(key))).toBe(true);
  }
  expect(r.stdout).toMatch(/^result: PASS/m);
  const id = /checks\/([a-z0-9]+)/.exec(r.stdout)![1];
  const check = (await api(engine)('GET', `/v1/checks/${id}`)).json;
  expect(r.stdout).toContain(`${check.report.totals.predictions} predictions, $${check.report.totals.cost_usd}`);
});

test('a failing item: exit 1 (usable in CI); --json prints the check', async () => {
  const r = await gantry(['check', 'gantry/echo', '--input', '{"text":"x"}', '--runs', '2', '--no-worst-case', '--worst-case-input', '{"fail":true}', '--json']);
  expect(r.code).toBe(1);
  const check = JSON.parse(r.stdout);
  expect(check.status).toBe('succeeded');
  expect(check.report.items.find((i: any) => i.key === 'worst_case').status).toBe('fail');
});

test('--markdown prints the report page', async () => {
  const r = await gantry(['check', 'gantry/echo', '--input', '{}', '--runs', '2', '--no-worst-case', '--markdown']);
  expect(r.code).toBe(0);
  expect(r.stdout).toMatch(/^# Model check [a-z0-9]+/);
  expect(r.stdout).toContain('| item | status | summary |');
});

test('bad command lines exit 2; the engine\'s 422 is printed with the field, exit 1', async () => {
  const noInput = await gantry(['check', 'gantry/echo']);
  expect(noInput.code).toBe(2);
  expect(noInput.stderr).toMatch(/--input is required/);
  const unknown = await gantry(['check', 'gantry/echo', '--input', '{}', '--frobnicate']);
  expect(unknown.code).toBe(2);
  const bad = await gantry(['check', 'gantry/echo', '--input', '{"text": 5}']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/HTTP 422/);
  expect(bad.stderr).toMatch(/\/input\/text/);
});

test('gantry decide prints every option of each group and the recommendation; --json is the API answer', async () => {
  const table = await gantry(['decide', '--since', '1h']);
  expect(table.code).toBe(0);
  expect(table.stdout).toMatch(/^gantry\/echo: \d+ runs/m);
  for (const option of ['gantry', 'replicate_public', 'replicate_private', 'dedicated']) expect(table.stdout).toMatch(new RegExp(`^  ${option}`, 'm'));
  expect(table.stdout).toMatch(/→ gantry\/echo: .* is the cheapest for this period/);
  const json = JSON.parse((await gantry(['decide', '--since', '1h', '--group-by', 'deployment', '--json'])).stdout);
  expect(json.group_by).toBe('deployment');
  const priced = JSON.parse((await gantry(['decide', '--since', '1h', '--json', '--prices', '{"dedicated":{"per_gpu_hour":{"cpu":0.05}}}'])).stdout);
  expect(priced.groups[0].options.dedicated.total_usd).toBeGreaterThan(0);
  const bad = await gantry(['decide', '--since', 'whenever']);
  expect(bad.code).toBe(1);
  expect(bad.stderr).toMatch(/\/since/);
});
