/**
 * Model checks in a real Chromium, on an engine with a declared GPU (GANTRY_GPUS=gpu-t4:1):
 * a check of `gantry/echo` started from its model page runs to the end and its report shows 100 %
 * consistency and every item's status as the API has them, with links to the predictions it ran;
 * bad settings and a bad input show their API errors beside their fields; a running check shows
 * its progress and can be canceled; "run again" refills the form; the past checks are listed a
 * page at a time; the report's Markdown page downloads.
 */
import { readFileSync } from 'node:fs';
import { api, sql } from '../helpers/engine';
import { consoleSession, overflowsHorizontally, ready, requestsElsewhere, screenshot, signIn, unlabelledControls } from '../helpers/browser';
import type { Page } from 'playwright-core';

const session = consoleSession({ env: { GANTRY_GPUS: 'gpu-t4:1' } });
let checkId: string;

const fieldError = (page: Page, id: string) => page.locator(`[data-field="${id}"] .field-error`);

/** Waits for the check page to show a final status (checks take seconds here). */
async function waitForEnd(page: Page, status: string) {
  await page.locator(`[data-testid="check-status"][data-status="${status}"]`).waitFor({ timeout: 90_000 });
}

test('a check of gantry/echo started from its model page: the report with 100 % consistency and each item\'s status', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/echo');
  await page.getByRole('link', { name: 'Check this model' }).click();
  await page.waitForURL(/\/console\/checks\/new\?model=gantry%2Fecho$/);
  await ready(page);
  await expect(page.getByLabel('Model (required)').inputValue()).resolves.toBe('gantry/echo');
  // The input form is the version's schema, with its defaults.
  await page.getByLabel('text', { exact: true }).waitFor();
  await expect(page.getByLabel('sleep', { exact: true }).inputValue()).resolves.toBe('0');
  await page.getByLabel('text', { exact: true }).fill('the same words every time');
  await page.getByLabel('Runs').fill('3');
  await page.getByLabel('Deadline').fill('10s');
  await page.getByLabel("Worst-case inputs at the schema's limits").uncheck();
  await page.getByRole('checkbox', { name: /^gpu-t4/ }).check();
  await page.getByRole('button', { name: 'Start the check' }).click();

  await page.waitForURL(/\/console\/checks\/[a-z0-9]+$/);
  checkId = page.url().split('/').pop()!;
  await waitForEnd(page, 'succeeded');
  const check = (await api(session.engine)('GET', `/v1/checks/${checkId}`)).json;
  expect(check).toEqual(expect.objectContaining({ status: 'succeeded', model: 'gantry/echo', runs: 3, hardware: ['gpu-t4'], timeout: '10s', worst_case: false }));
  expect(check.input.text).toBe('the same words every time');
  const report = check.report;

  // Every item, in the API's order, with the API's status and summary.
  const rows = page.locator('[data-testid="report-items"] tbody tr');
  await expect(rows.evaluateAll((trs) => trs.map((tr) => [tr.getAttribute('data-key'), tr.getAttribute('data-item-status'), tr.querySelector('td:last-child')!.textContent]))).resolves.toEqual(
    report.items.map((i: any) => [i.key, i.status, i.summary]),
  );
  const consistency = report.items.find((i: any) => i.key === 'consistency');
  expect(consistency.status).toBe('pass');
  expect(consistency.figures.identical_output_rate).toBe(1);
  await expect(page.locator('[data-testid="figures-consistency"] tr[data-figure="identical_output_rate"] td').textContent()).resolves.toBe('100 %');
  await expect(page.locator('[data-testid="figures-consistency"] tr[data-figure="runs"] td').textContent()).resolves.toBe('3');
  // Skipped items say why: no compare_with, no worst case.
  for (const key of ['compare', 'worst_case']) {
    const item = report.items.find((i: any) => i.key === key);
    expect(item.status).toBe('skipped');
    await expect(page.locator(`details[data-item="${key}"] [data-status]`).first().getAttribute('data-status')).resolves.toBe('skipped');
    await expect(page.locator(`details[data-item="${key}"] .item-summary`).textContent()).resolves.toBe(item.summary);
    // Only items that warn or fail are open.
    await expect(page.locator(`details[data-item="${key}"]`).evaluate((el) => (el as HTMLDetailsElement).open)).resolves.toBe(false);
  }
  // The hardware item's per-SKU figures are a table: the model's own cpu and the declared gpu-t4.
  const skus = await page.locator('[data-testid="figures-hardware"] [data-figure-table="hardware"] td[data-col="sku"]').allTextContents();
  expect(skus).toEqual(report.items.find((i: any) => i.key === 'hardware').figures.hardware.map((h: any) => h.sku));
  await expect(page.getByTestId('report-counts').textContent()).resolves.toBe(
    `${report.counts.pass} pass, ${report.counts.warn} warn, ${report.counts.fail} fail, ${report.counts.skipped} skipped.`,
  );
  // Every run with a link to its prediction.
  const made = report.runs.filter((r: any) => r.prediction_id);
  const links = await page.locator('[data-testid="report-runs"] a[href^="/console/predictions/"]').evaluateAll((as) => as.map((a) => a.getAttribute('href')));
  expect(links).toEqual(made.map((r: any) => `/console/predictions/${r.prediction_id}`));
  // An item's link in the table opens its figures.
  await page.locator('[data-testid="report-items"] tr[data-key="consistency"] a').click();
  await expect(page.locator('details[data-item="consistency"]').evaluate((el) => (el as HTMLDetailsElement).open)).resolves.toBe(true);
  await page.evaluate(() => scrollTo(0, 0));
  await screenshot(page, 'check-report');
  // The report reads at 360 px too: its wide tables scroll inside their boxes, not the page.
  const narrow = await session.browser.newPage({ width: 360, height: 780 });
  await signIn(narrow, session.engine.url, session.engine.token, `/console/checks/${checkId}`);
  await narrow.getByTestId('report').waitFor();
  expect(await overflowsHorizontally(narrow)).toBe(false);
  expect(await unlabelledControls(narrow)).toEqual([]);
  await narrow.close();

  // The predictions it ran: the list filtered by the check's tag.
  await page.getByRole('link', { name: `${report.totals.predictions} predictions (tagged gantry_check)` }).click();
  await page.waitForURL(/\/console\/predictions\?tag=gantry_check%3A/);
  await ready(page);
  const listed = await page.locator('[data-testid="prediction-list"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  expect(listed.sort()).toEqual(made.map((r: any) => r.prediction_id).sort());
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});

test('bad settings and a bad input show the API\'s errors beside their fields', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/checks/new?model=gantry/echo');
  await page.getByLabel('sleep', { exact: true }).waitFor();
  // From the keyboard: type into the fields, Enter submits the form.
  await page.getByLabel('Runs').focus();
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1');
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('check-timeout');
  await page.keyboard.press('Control+A');
  await page.keyboard.type('1s');
  await page.keyboard.press('Enter');
  await fieldError(page, 'check-runs').waitFor();
  await expect(fieldError(page, 'check-runs').textContent()).resolves.toBe('must be an integer from 2 to 20');
  await expect(fieldError(page, 'check-timeout').textContent()).resolves.toMatch(/at least 5 seconds/);
  await expect(page.getByLabel('Runs').getAttribute('aria-invalid')).resolves.toBe('true');

  // Fixed settings; now the input is checked against the version's schema.
  await page.getByLabel('Runs').fill('2');
  await page.getByLabel('Deadline').fill('10s');
  await page.getByLabel('sleep', { exact: true }).fill('9999');
  await page.getByRole('button', { name: 'Start the check' }).click();
  await fieldError(page, 'check-in-sleep').waitFor();
  await expect(fieldError(page, 'check-in-sleep').textContent()).resolves.toMatch(/600/);
  expect(await fieldError(page, 'check-runs').count()).toBe(0);
  await page.locator('form.check-form').evaluate((el) => el.scrollIntoView());
  await screenshot(page, 'check-field-error', { fullPage: false });
  // Marked worst-case inputs that are not JSON never leave the page.
  await page.getByLabel('sleep', { exact: true }).fill('0');
  await page.getByLabel('Marked worst-case inputs').fill('[{"sleep": ');
  await page.getByRole('button', { name: 'Start the check' }).click();
  await fieldError(page, 'check-marked').waitFor();
  await expect(fieldError(page, 'check-marked').textContent()).resolves.toMatch(/not valid JSON/);
  expect(page.url()).toMatch(/\/checks\/new/);
  await page.close();
});

test('a running check shows its progress and can be canceled; its report says what was not run', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/checks/new?model=gantry/echo');
  await page.getByLabel('sleep', { exact: true }).fill('30');
  await page.getByLabel('Runs').fill('2');
  await page.getByLabel("Worst-case inputs at the schema's limits").uncheck();
  await page.getByRole('button', { name: 'Start the check' }).click();
  await page.waitForURL(/\/console\/checks\/[a-z0-9]+$/);
  const id = page.url().split('/').pop()!;
  const progress = page.getByTestId('check-progress');
  await progress.waitFor();
  const planned = (await api(session.engine)('GET', `/v1/checks/${id}`)).json.progress.planned;
  await expect(progress.getAttribute('max')).resolves.toBe(String(planned));
  await page.getByText(`0 of ${planned} runs finished`).waitFor();
  // Its first run is a real prediction, processing, tagged with the check.
  for (let i = 0; ; i++) {
    const open = (await api(session.engine)('GET', `/v1/predictions?tag=gantry_check:${id}&status=processing`)).json.results;
    if (open.length) break;
    if (i > 300) throw new Error('the check made no prediction');
    await new Promise((r) => setTimeout(r, 100));
  }
  await page.getByRole('button', { name: 'Cancel' }).click();
  await waitForEnd(page, 'canceled');
  const check = (await api(session.engine)('GET', `/v1/checks/${id}`)).json;
  expect(check.status).toBe('canceled');
  const consistency = check.report.items.find((i: any) => i.key === 'consistency');
  await expect(page.locator('[data-testid="report-items"] tr[data-key="consistency"]').getAttribute('data-item-status')).resolves.toBe(consistency.status);
  await expect(page.locator('[data-testid="report-runs"] tr[data-run="consistency.1"] [data-status]').first().getAttribute('data-status')).resolves.toBe(
    check.report.runs.find((r: any) => r.key === 'consistency.1').status,
  );
  await page.getByText(`The check stopped early: ${check.report.stopped}.`).waitFor();
  expect(await page.getByRole('button', { name: 'Cancel' }).count()).toBe(0);
  await page.close();
});

test('run again fills the form from a check; the past checks are listed a page at a time', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, `/console/checks/${checkId}`);
  await page.getByRole('link', { name: 'Run again' }).click();
  await page.waitForURL(/\/console\/checks\/new\?from=/);
  await ready(page);
  await page.waitForFunction(() => (document.getElementById('check-in-text') as HTMLTextAreaElement | null)?.value === 'the same words every time');
  await expect(page.getByLabel('Runs').inputValue()).resolves.toBe('3');
  await expect(page.getByLabel('Deadline').inputValue()).resolves.toBe('10s');
  await expect(page.getByRole('checkbox', { name: /^gpu-t4/ }).isChecked()).resolves.toBe(true);
  await expect(page.getByLabel("Worst-case inputs at the schema's limits").isChecked()).resolves.toBe(false);

  // 120 more past checks (copies of the first, earlier): the list shows 100, then the rest.
  await sql(
    session.engine,
    `INSERT INTO checks (id, status, model, version, request, plan, report, created_at, completed_at)
     SELECT 'old' || lpad(n::text, 3, '0'), status, model, version, request, plan, report, created_at - make_interval(mins => n), completed_at - make_interval(mins => n)
       FROM checks, generate_series(1, 120) AS n WHERE id = $1`,
    [checkId],
  );
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Checks' }).click();
  await page.locator('h1', { hasText: 'Model checks' }).waitFor();
  await ready(page);
  const ids = () => page.locator('[data-testid="check-list"] tbody tr').evaluateAll((trs) => trs.map((tr) => tr.getAttribute('data-id')));
  const first = await ids();
  expect(first).toHaveLength(100);
  // Newest first: the two checks made here, then the copies by age.
  expect(first.slice(2, 5)).toEqual(['old001', 'old002', 'old003']);
  expect(first).toContain(checkId);
  await expect(page.locator(`[data-testid="check-list"] tr[data-id="${checkId}"] [data-status]`).first().getAttribute('data-status')).resolves.toBe('succeeded');
  await screenshot(page, 'checks', { fullPage: false });
  await page.getByRole('link', { name: 'Next page' }).click();
  await page.waitForURL(/\/console\/checks\?cursor=/);
  await page.waitForFunction(() => document.querySelector('[data-testid="check-list"] tbody tr')?.getAttribute('data-id') === 'old099');
  expect(await ids()).toEqual(Array.from({ length: 22 }, (_, i) => `old${String(i + 99).padStart(3, '0')}`));
  expect(await page.getByRole('link', { name: 'Next page' }).count()).toBe(0);
  await page.getByRole('link', { name: 'First page' }).waitFor();
  await page.close();
});

test('the report\'s Markdown page downloads with the session\'s token', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, `/console/checks/${checkId}`);
  const [download] = await Promise.all([page.waitForEvent('download'), page.getByRole('button', { name: 'Markdown' }).click()]);
  expect(download.suggestedFilename()).toBe(`check-${checkId}.md`);
  const text = readFileSync((await download.path())!, 'utf8');
  const expected = (await api(session.engine)('GET', `/v1/checks/${checkId}`, undefined, { accept: 'text/markdown' })).text;
  expect(text).toBe(expected);
  expect(text).toMatch(new RegExp(`^# Model check ${checkId}`));
  expect(requestsElsewhere(session.browser.requests, session.engine.url)).toEqual([]);
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
