/**
 * Models in a real Chromium: local models searched and filtered by collection, runner and
 * hardware (in the URL); the public catalogue searched and a model imported from it, whose page
 * shows its schema, versions, pricing and licence; a problem that names no field (no worker has
 * the import's GPU) shown above the form; and nothing fetched from outside (catalogue entries
 * carry external cover images, which the console never loads).
 */
import { api } from '../helpers/engine';
import { consoleSession, ready, requestsElsewhere, screenshot, signIn } from '../helpers/browser';
import type { Page } from 'playwright-core';

const session = consoleSession();

const shownModels = (page: Page) => page.locator('[data-testid="model-list"] .card-title').allTextContents();

test('local models: search and filters by collection, runner and hardware', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models');
  const all = await shownModels(page);
  expect(all).toEqual(expect.arrayContaining(['gantry/echo', 'gantry/ocr', 'gantry/image-resize', 'gantry/text-classifier']));

  await page.getByLabel('Search').fill('resize');
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="model-list"] .card').length === 1);
  expect(await shownModels(page)).toEqual(['gantry/image-resize']);
  expect(new URL(page.url()).searchParams.get('q')).toBe('resize');

  await page.getByLabel('Search').fill('');
  await page.getByLabel('Collection').selectOption({ label: 'Trainable models' });
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="model-list"] .card').length === 1);
  expect(await shownModels(page)).toEqual(['gantry/text-classifier']);

  await page.getByLabel('Collection').selectOption('');
  await page.getByLabel('Runner').selectOption('node');
  await page.getByLabel('Hardware').selectOption('cpu');
  await page.waitForFunction((n) => document.querySelectorAll('[data-testid="model-list"] .card').length === n, all.length);
  await page.getByLabel('Runner').selectOption('');
  await page.close();
});

test('the public catalogue: search, import, and the imported model page', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models');
  await page.getByRole('link', { name: 'Public catalogue' }).click();
  await page.getByLabel('Search the catalogue').fill('whisper');
  await page.getByRole('button', { name: 'Search' }).click();
  await page.waitForURL(/source=catalogue&q=whisper/);
  await page.getByRole('heading', { name: 'openai/whisper' }).waitFor();
  await screenshot(page, 'catalogue', { fullPage: false });
  await page.getByRole('button', { name: 'Import openai/whisper' }).click();

  await page.waitForURL(/\/console\/models\/openai\/whisper$/);
  await ready(page);
  // The form comes from the imported version's schema: an audio file input among others.
  await page.getByLabel('audio (required)', { exact: true }).waitFor();
  const imported = (await api(session.engine)('GET', '/v1/models/openai/whisper')).json;
  expect(imported.imported_from).toMatch(/replicate\.com\/openai\/whisper/);

  // Running it needs a GPU no worker here has: the problem names no input, so it shows above the form.
  await page.getByLabel('or a URL').first().fill('https://example.com/speech.wav');
  await page.getByRole('button', { name: 'Run' }).click();
  const problem = page.getByTestId('problem');
  await problem.waitFor();
  await expect(problem.textContent()).resolves.toMatch(/no worker in the cluster has gpu-/);

  for (const [tab, expected] of [
    ['Versions', /runner cog/],
    ['Pricing', /Hardware time/],
    ['Licence', /https?:\/\//],
    ['API', /audio/],
  ] as const) {
    await page.getByRole('navigation', { name: 'Model' }).getByRole('link', { name: tab }).click();
    await ready(page);
    await expect(page.locator('.tab-panel').textContent()).resolves.toMatch(expected);
  }
  // Back in the catalogue the model says it is imported.
  await page.goto(`${session.engine.url}/console/models?source=catalogue&q=whisper`);
  await ready(page);
  await page.getByRole('link', { name: 'Imported: open it' }).first().waitFor();
  expect(requestsElsewhere(session.browser.requests, session.engine.url)).toEqual([]);
  await page.close();
});
