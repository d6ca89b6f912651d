/**
 * Predictions in a real Chromium: the list filtered by the API (tag of one n8n execution, status,
 * model) from the filter form, a filter the API rejects shown at its field, the detail page with
 * timings, cost, tags, logs and webhook deliveries, and cancel while it runs.
 */
import { join } from 'node:path';
import { api } from '../helpers/engine';
import { startReceiver, type Receiver } from '../helpers/receiver';
import { consoleSession, ready, screenshot, signIn } from '../helpers/browser';

const session = consoleSession();
let receiver: Receiver;
const ids: Record<string, string> = {};

const listedIds = (page: import('playwright-core').Page) =>
  page.locator('[data-testid="prediction-list"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-id')));

beforeAll(async () => {
  receiver = await startReceiver();
  const call = api(session.engine);
  const run = async (model: string, body: Record<string, unknown>) => (await call('POST', `/v1/models/${model}/predictions`, body, { prefer: 'wait' })).json.id as string;
  ids.a = await run('gantry/echo', { input: { text: 'one' }, tags: { n8n_execution_id: '101', n8n_workflow_id: 'wf' } });
  ids.b = await run('gantry/echo', { input: { text: 'two', fail: true }, tags: { n8n_execution_id: '101', n8n_workflow_id: 'wf' } });
  ids.c = await run('gantry/echo', { input: { text: 'three' }, tags: { n8n_execution_id: '102' }, webhook: receiver.url });
  ids.d = await run('gantry/text-classifier', { input: { text: 'a lovely stay' } });
  await receiver.waitFor((d) => d.json?.id === ids.c && d.json?.status === 'succeeded');
}, 120_000);
afterAll(async () => receiver?.close());

test('the list filtered by tag, status and model from the filter form; the filters are in the URL', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/predictions');
  expect(await listedIds(page)).toEqual([ids.d, ids.c, ids.b, ids.a]);

  await page.getByLabel('Tag').fill('n8n_execution_id:101');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/tag=n8n_execution_id%3A101/);
  await ready(page);
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="prediction-list"] tbody tr').length === n, 2);
  expect(await listedIds(page)).toEqual([ids.b, ids.a]);
  await screenshot(page, 'predictions-filtered');

  await page.getByLabel('Status').selectOption('failed');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForURL(/status=failed/);
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction-list"] tbody tr').length === 1);
  expect(await listedIds(page)).toEqual([ids.b]);

  // A reload keeps the view: the filters are the page's query, applied by the API.
  await page.reload();
  await ready(page);
  expect(await listedIds(page)).toEqual([ids.b]);
  await expect(page.getByLabel('Tag').inputValue()).resolves.toBe('n8n_execution_id:101');
  expect(session.browser.requests.some((u) => u.startsWith(`${session.engine.url}/v1/predictions?`) && u.includes('status=failed') && u.includes('tag=n8n_execution_id'))).toBe(true);

  await page.getByRole('button', { name: 'Clear' }).click();
  await page.getByLabel('Model').fill('gantry/text-classifier');
  await page.getByRole('button', { name: 'Apply' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction-list"] tbody tr').length === 1);
  expect(await listedIds(page)).toEqual([ids.d]);

  // A tag chip in the list is itself a filter.
  await page.getByRole('button', { name: 'Clear' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction-list"] tbody tr').length === 4);
  await page.getByRole('link', { name: 'n8n_execution_id:102' }).click();
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="prediction-list"] tbody tr').length === 1);
  expect(await listedIds(page)).toEqual([ids.c]);
  await page.close();
});

test('a filter the API rejects is shown next to its field', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/predictions');
  await page.getByLabel('Tag').fill('no-colon');
  await page.getByRole('button', { name: 'Apply' }).click();
  const error = page.locator('[data-field="filter-tag"] .field-error');
  await error.waitFor();
  await expect(error.textContent()).resolves.toMatch(/must be key:value/);
  await page.close();
});

test('the detail page: timings, cost, tags, logs and webhook deliveries', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, `/console/predictions/${ids.c}`);
  await expect(page.locator('h1').textContent()).resolves.toBe(`Prediction ${ids.c}`);
  await expect(page.getByTestId('output-text').textContent()).resolves.toBe('three');
  await expect(page.getByTestId('timings').textContent()).resolves.toMatch(/Queue.*Setup.*Predict.*Total/);
  await expect(page.getByTestId('cost').textContent()).resolves.toMatch(/hardware time/);
  await page.getByRole('link', { name: 'n8n_execution_id:102' }).waitFor();
  const deliveries = page.getByTestId('deliveries');
  await deliveries.waitFor();
  await expect(deliveries.textContent()).resolves.toContain(receiver.url);
  await expect(deliveries.locator('tr', { hasText: 'completed' }).textContent()).resolves.toMatch(/delivered.*204/);
  await screenshot(page, 'prediction-detail');

  // The failed one says why.
  await page.goto(`${session.engine.url}/console/predictions/${ids.b}`);
  await ready(page);
  await page.getByText('echo asked to fail').first().waitFor();
  // Replicate's urls.web lands on the same page.
  const web = (await api(session.engine)('GET', `/v1/predictions/${ids.b}`)).json.urls.web;
  await page.goto(web);
  await ready(page);
  expect(new URL(page.url()).pathname).toBe(`/console/predictions/${ids.b}`);
  await page.close();
});

test('logs stream while it runs, and cancel stops it', async () => {
  const call = api(session.engine);
  await call('POST', '/v1/models', { owner: 'tests', name: 'ticker', visibility: 'private', hardware: 'cpu' });
  await call('POST', '/v1/models/tests/ticker/versions', { runner: { type: 'node', module: join(__dirname, '..', 'fixtures', 'predictors', 'ticker.js') } });
  const created = await call('POST', '/v1/models/tests/ticker/predictions', { input: { ticks: 200, every_ms: 250 } });
  expect(created.status).toBe(201);
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, `/console/predictions/${created.json.id}`);
  // Lines appear one after another while the prediction is still running.
  await page.getByTestId('logs').filter({ hasText: 'tick 2' }).waitFor({ timeout: 20_000 });
  await page.getByTestId('logs').filter({ hasText: 'tick 4' }).waitFor({ timeout: 20_000 });
  await expect(page.locator('.page-head [data-status]').getAttribute('data-status')).resolves.toBe('processing');
  await page.getByRole('button', { name: 'Cancel' }).click();
  await page.locator('.page-head [data-status="canceled"]').waitFor({ timeout: 20_000 });
  expect((await call('GET', `/v1/predictions/${created.json.id}`)).json.status).toBe('canceled');
  // Once it ended there is nothing to cancel.
  expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  await page.close();
});
