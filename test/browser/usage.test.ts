/**
 * Usage and cost in a real Chromium: on a fresh engine the page says there is no usage; after new
 * predictions the chart draws today's bar (pixels of the series' colour on the canvas) and the
 * table counts them; more predictions raise the counts; stacking by a tag groups by its values.
 */
import { api, sql } from '../helpers/engine';
import { consoleSession, ready, screenshot, signIn } from '../helpers/browser';
import type { Page } from 'playwright-core';

const session = consoleSession();


async function runs(model: string, n: number, tags: Record<string, string>) {
  for (let i = 0; i < n; i++) {
    const r = await api(session.engine)('POST', `/v1/models/${model}/predictions`, { input: { text: `usage ${i}` }, tags }, { prefer: 'wait' });
    expect(r.json.status).toBe('succeeded');
  }
}

/** Usage records for the `days` days before today: three models a day, varying amounts. */
async function history(days: number) {
  for (let d = 1; d <= days; d++) {
    for (const [model, usd] of [['gantry/ocr', 0.004], ['gantry/image-resize', 0.0006], ['gantry/echo', 0.0015]] as const) {
      await sql(
        session.engine,
        `INSERT INTO usage_records (kind, model, rule, quantity, unit_price_usd, total_usd, created_at)
         VALUES ('prediction', $1, 'hardware_time', 1, $2, $2, date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - make_interval(days => $3) + interval '12 hours')`,
        [model, usd * (1 + ((d * 7) % 5) / 4), d],
      );
    }
  }
}

/** Pixels of the chart's canvas drawn in a colour (bars), not background or grid. */
const colouredPixels = (page: Page, hex: string) =>
  page.evaluate((colour) => {
    const canvas = document.querySelector('[data-testid="usage-chart"] canvas') as HTMLCanvasElement | null;
    if (!canvas) return -1;
    const [r, g, b] = [1, 3, 5].map((i) => parseInt(colour.slice(i, i + 2), 16));
    const data = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
    let n = 0;
    for (let i = 0; i < data.length; i += 4) if (Math.abs(data[i] - r) < 8 && Math.abs(data[i + 1] - g) < 8 && Math.abs(data[i + 2] - b) < 8) n++;
    return n;
  }, hex);

const todayCount = (page: Page, key: string) =>
  page.locator(`[data-testid="usage-series"] tr[data-key="${key}"] [data-col="today-count"]`).textContent().then(Number);

test('the usage chart reflects new predictions', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/usage');
  await page.getByText('No usage in this range.').waitFor();
  await expect(page.getByTestId('range-count').textContent()).resolves.toBe('0 records');

  await runs('gantry/echo', 3, { n8n_workflow_id: 'wf-a' });
  await runs('gantry/text-classifier', 1, { n8n_workflow_id: 'wf-b' });
  await page.reload();
  await ready(page);
  await page.getByTestId('usage-chart').locator('canvas').waitFor();
  expect(await todayCount(page, 'gantry/echo')).toBe(3);
  expect(await todayCount(page, 'gantry/text-classifier')).toBe(1);
  await expect(page.getByTestId('range-count').textContent()).resolves.toBe('4 records');
  // Both series are drawn: the costlier one (blue, first colour) and the other (pink).
  const series = await page.locator('[data-testid="usage-series"] tbody tr').evaluateAll((rows) => rows.map((r) => r.getAttribute('data-key')));
  expect(series.sort()).toEqual(['gantry/echo', 'gantry/text-classifier']);
  expect(await colouredPixels(page, '#2563eb')).toBeGreaterThan(20);
  expect(await colouredPixels(page, '#db2777')).toBeGreaterThan(20);
  const monthToDate = await page.getByTestId('month-to-date').textContent();
  expect(monthToDate).not.toBe('$0');

  await runs('gantry/echo', 2, { n8n_workflow_id: 'wf-a' });
  await page.reload();
  await ready(page);
  await page.getByTestId('usage-chart').locator('canvas').waitFor();
  expect(await todayCount(page, 'gantry/echo')).toBe(5);

  // Two weeks of earlier usage (as records written on those days) stack per day on the chart.
  await history(14);
  await page.reload();
  await ready(page);
  await page.getByTestId('usage-chart').locator('canvas').waitFor();
  await expect(page.getByTestId('range-count').textContent()).resolves.toBe(`${6 + 14 * 3} records`);
  expect(await page.locator('[data-testid="usage-series"] tbody tr').count()).toBe(4);
  await screenshot(page, 'usage');

  // Stacked by a tag: one series per workflow.
  await page.getByLabel('Stack by').selectOption('tag');
  await page.getByLabel('Tag key').fill('n8n_workflow_id');
  await page.getByRole('button', { name: 'Show' }).click();
  await page.locator('[data-testid="usage-series"] tr[data-key="wf-a"]').waitFor();
  expect(await todayCount(page, 'wf-a')).toBe(5);
  expect(await todayCount(page, 'wf-b')).toBe(1);
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
