/**
 * Decide in a real Chromium, on an engine with a declared L40S (GANTRY_GPUS=gpu-l40s:1): after
 * real predictions (on demand on the CPU, and through a gpu-l40s deployment) the page shows, for
 * the period the test fixes, each group's usage and every option's cost exactly as `/v1/decide`
 * answers them (same figures, formatted as the console formats money, time and fractions),
 * grouped by model and by deployment; prices typed into the table are sent as `POST /v1/decide`
 * and the page shows that answer; a bad price or period shows its error beside its field.
 */
import { api } from '../helpers/engine';
import { consoleSession, overflowsHorizontally, requestsElsewhere, screenshot, signIn, unlabelledControls } from '../helpers/browser';
import { percent, seconds, usd } from '../../engine/console/src/lib/format';
import type { Page } from 'playwright-core';

const session = consoleSession({ env: { GANTRY_GPUS: 'gpu-l40s:1' } });
const OPTIONS = ['gantry', 'replicate_public', 'replicate_private', 'dedicated'];
let since: string;
let until: string;

const call = (...args: Parameters<ReturnType<typeof api>>) => api(session.engine)(...args);
const money = (v: number | null) => (v === null ? 'no price' : usd(v));
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

beforeAll(async () => {
  since = new Date(Date.now() - 1000).toISOString();
  for (const text of ['a', 'b', 'c']) expect((await call('POST', '/v1/models/gantry/echo/predictions', { input: { text, sleep: 0.2 } }, { prefer: 'wait' })).json.status).toBe('succeeded');
  expect((await call('POST', '/v1/models/gantry/text-classifier/predictions', { input: { text: 'a fine and useful thing' } }, { prefer: 'wait' })).json.status).toBe('succeeded');
  const echo = (await call('GET', '/v1/models/gantry/echo')).json.latest_version.id;
  expect((await call('POST', '/v1/deployments', { name: 'echo-l40s', model: 'gantry/echo', version: echo, hardware: 'gpu-l40s', min_instances: 0, max_instances: 1 })).status).toBeLessThan(300);
  for (const text of ['d', 'e']) expect((await call('POST', '/v1/deployments/gantry/echo-l40s/predictions', { input: { text, sleep: 0.2 } }, { prefer: 'wait' })).json.status).toBe('succeeded');
  until = new Date(Date.now() + 50).toISOString();
  await sleep(100);
}, 120_000);

/** Everything the page shows of a decision, compared with the API's answer figure by figure. */
async function expectDecision(page: Page, d: any) {
  await expect(page.getByTestId('recommendation').textContent()).resolves.toBe(d.recommendation);
  const keys = await page.locator('[data-testid="decide-table"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-key')));
  expect(keys).toEqual([...d.groups.map((g: any) => g.key ?? ''), '(total)']);
  for (const g of d.groups) {
    const row = page.locator(`[data-testid="decide-table"] tr[data-key="${g.key ?? ''}"]`);
    await expect(row.locator('[data-col="predictions"]').textContent()).resolves.toBe(String(g.predictions));
    await expect(row.locator('[data-col="utilisation"]').textContent()).resolves.toBe(percent(g.utilisation));
    for (const o of OPTIONS) {
      const cell = row.locator(`[data-option="${o}"]`);
      await expect(cell.getAttribute('data-usd')).resolves.toBe(g.options[o].total_usd === null ? '' : String(g.options[o].total_usd));
      await expect(cell.textContent()).resolves.toBe(money(g.options[o].total_usd));
    }
    const card = page.locator(`section[data-group="${g.key ?? ''}"]`);
    await expect(card.getByTestId('group-recommendation').textContent()).resolves.toBe(g.recommendation);
    for (const [figure, text] of [
      ['predictions', String(g.predictions)],
      ['active_seconds', seconds(g.active_seconds)],
      ['setup_seconds', seconds(g.setup_seconds)],
      ['idle_seconds', seconds(g.idle_seconds)],
      ['peak_concurrency', String(g.peak_concurrency)],
      ['mean_concurrency', String(g.mean_concurrency)],
      ['utilisation', percent(g.utilisation)],
    ]) {
      await expect(card.locator(`[data-figure="${figure}"] dd`).textContent()).resolves.toBe(text);
    }
    const skus = await card.locator('[data-testid="group-hardware"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-sku'), tr.querySelector('[data-col="predictions"]')!.textContent]));
    expect(skus).toEqual(g.hardware.map((h: any) => [h.sku, String(h.predictions)]));
    for (const o of OPTIONS) {
      await expect(card.locator(`[data-testid="group-options"] tr[data-option="${o}"] [data-col="variable"]`).textContent()).resolves.toBe(usd(g.options[o].variable_usd));
    }
    const pairs = await card.locator('[data-testid="group-break-even"] tbody tr').evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-pair'), tr.querySelector('[data-col="utilisation"]')!.textContent]));
    expect(pairs).toEqual(g.break_even_utilisation.map((b: any) => [b.options.join(' '), b.utilisation === null ? 'never (they scale alike)' : percent(b.utilisation)]));
  }
  for (const o of OPTIONS) {
    await expect(page.locator(`[data-testid="decide-table"] tr[data-key="(total)"] [data-option="${o}"]`).getAttribute('data-usd')).resolves.toBe(d.totals[o] === null ? '' : String(d.totals[o]));
  }
}

test('the options side by side for the predictions made here, as /v1/decide has them, by model and by deployment', async () => {
  const page = await session.browser.newPage();
  const period = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  await signIn(page, session.engine.url, session.engine.token, `/console/decide?${period}`);
  const byModel = (await call('GET', `/v1/decide?${period}`)).json;
  expect(byModel.groups.map((g: any) => [g.key, g.predictions]).sort()).toEqual([['gantry/echo', 5], ['gantry/text-classifier', 1]]);
  // The echo group ran on two SKUs: cpu on demand and the deployment's L40S, which RunPod rents.
  const echo = byModel.groups.find((g: any) => g.key === 'gantry/echo');
  expect(echo.hardware.map((h: any) => h.sku)).toEqual(['cpu', 'gpu-l40s']);
  await expectDecision(page, byModel);
  await screenshot(page, 'decide', { fullPage: false });
  // At 360 px the tables scroll inside their boxes; every price control is labelled.
  const narrow = await session.browser.newPage({ width: 360, height: 780 });
  await signIn(narrow, session.engine.url, session.engine.token, `/console/decide?${period}`);
  await narrow.getByTestId('decide-table').waitFor();
  expect(await overflowsHorizontally(narrow)).toBe(false);
  expect(await unlabelledControls(narrow)).toEqual([]);
  await narrow.close();

  await page.getByLabel('Group by').selectOption('deployment');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.waitForURL(/group_by=deployment/);
  await page.locator('[data-testid="decide-table"] tr[data-key="gantry/echo-l40s"]').waitFor();
  const byDeployment = (await call('GET', `/v1/decide?${period}&group_by=deployment`)).json;
  expect(byDeployment.groups.map((g: any) => [g.key, g.predictions]).sort()).toEqual([[null, 4], ['gantry/echo-l40s', 2]]);
  await expectDecision(page, byDeployment);
  await expect(page.locator('section[data-group=""] h2').textContent()).resolves.toBe('on-demand runs');
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});

test('prices typed into the table are the POST form of the API; a bad price shows beside it', async () => {
  const page = await session.browser.newPage();
  const period = `since=${encodeURIComponent(since)}&until=${encodeURIComponent(until)}`;
  await signIn(page, session.engine.url, session.engine.token, `/console/decide?${period}`);
  const shipped = (await call('GET', `/v1/decide?${period}`)).json;
  // Without a dedicated CPU price, the groups that ran on the CPU have no dedicated option.
  expect(shipped.totals.dedicated).toBeNull();
  await page.getByLabel('Replicate $ per second for cpu').fill('0.001');
  await page.getByLabel('Your dedicated $ per GPU-hour for cpu').fill('0.05');
  await page.getByLabel('Provider').selectOption('runpod-secure');
  await page.getByRole('button', { name: 'Apply prices' }).click();
  await page.getByTestId('overridden').waitFor();
  const prices = { replicate: { cpu: 0.001 }, dedicated: { per_gpu_hour: { cpu: 0.05 }, provider: 'runpod-secure' } };
  const overridden = (await call('POST', '/v1/decide', { since, until, group_by: 'model', prices })).json;
  expect(overridden.totals.dedicated).not.toBeNull();
  expect(overridden.totals.replicate_public).not.toBe(shipped.totals.replicate_public);
  await expectDecision(page, overridden);
  const listed = await page.locator('[data-testid="overridden"] li').allTextContents();
  expect(listed).toEqual(overridden.prices.overridden);
  // The dedicated rental of echo's L40S runs uses the chosen provider.
  const rental = overridden.groups.find((g: any) => g.key === 'gantry/echo').options.dedicated.by_hardware.find((r: any) => r.sku === 'gpu-l40s');
  expect(rental.provider).toBe('runpod-secure');
  await expect(page.locator('section[data-group="gantry/echo"] tr[data-sku="gpu-l40s"] [data-usd]').getAttribute('data-usd')).resolves.toBe(String(rental.total_usd));

  // A negative price: the API's error beside that price, and the last answer stays on the page.
  await page.getByLabel('Replicate $ per second for cpu').fill('-1');
  await page.getByRole('button', { name: 'Apply prices' }).click();
  const error = page.locator('[data-field="price-prices-replicate-cpu"] .field-error');
  await error.waitFor();
  await expect(error.textContent()).resolves.toBe('must be a price: a number ≥ 0');
  await expect(page.getByLabel('Replicate $ per second for cpu').getAttribute('aria-invalid')).resolves.toBe('true');
  await expectDecision(page, overridden);
  await page.locator('#prices').evaluate((el) => el.scrollIntoView());
  await screenshot(page, 'decide-price-error', { fullPage: false });

  // From the keyboard: a price typed and Enter applies it.
  await page.getByLabel('Replicate $ per second for cpu').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('0.002');
  await page.keyboard.press('Enter');
  await error.waitFor({ state: 'detached' });
  const typed = (await call('POST', '/v1/decide', { since, until, group_by: 'model', prices: { ...prices, replicate: { cpu: 0.002 } } })).json;
  await expectDecision(page, typed);

  // Back to the engine's prices.
  await page.getByRole('button', { name: "Back to the engine's prices" }).click();
  await page.waitForFunction(() => !document.querySelector('[data-testid="overridden"]'));
  await expectDecision(page, shipped);
  await expect(page.getByLabel('Replicate $ per second for cpu').inputValue()).resolves.toBe('');
  await page.close();
});

test('a period the API refuses shows its error beside the field', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/decide');
  await page.getByLabel('Since').fill('yesterday');
  await page.getByRole('button', { name: 'Show' }).click();
  const error = page.locator('[data-field="decide-since"] .field-error');
  await error.waitFor();
  await expect(error.textContent()).resolves.toBe('must be an ISO 8601 date or date-time, or a time ago like 30d, 12h or 90m');
  expect(new URL(page.url()).searchParams.get('since')).toBe('yesterday');
  // The default period (30 days) holds every prediction made here.
  await page.getByLabel('Since').fill('30d');
  await page.getByRole('button', { name: 'Show' }).click();
  // The answer for the new period replaces the error (the table of the default period stayed meanwhile).
  await error.waitFor({ state: 'detached' });
  await expect(page.locator('[data-testid="decide-table"] tr[data-key="gantry/echo"] [data-col="predictions"]').textContent()).resolves.toBe('5');
  expect(requestsElsewhere(session.browser.requests, session.engine.url)).toEqual([]);
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
