/**
 * Deployments in a real Chromium: a bad form shows each API error at its field; creating one with
 * min_instances 1 shows its instance come up, the cost split and the always-on warning; editing
 * to min 0 makes a new release and drops the warning.
 */
import { api } from '../helpers/engine';
import { consoleSession, ready, screenshot, signIn } from '../helpers/browser';

const session = consoleSession();


test('the create form shows the API errors next to their fields', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/deployments/new');
  await page.getByLabel('Name (required)').fill('bad name!');
  await page.getByLabel('Model (required)').selectOption('gantry/echo');
  // The model's versions load and the latest is chosen.
  await page.waitForFunction(() => (document.getElementById('dep-version') as HTMLSelectElement)?.value.length === 64);
  await page.getByLabel('Min instances').fill('3');
  await page.getByLabel('Max instances').fill('1');
  await page.getByRole('button', { name: 'Create deployment' }).click();
  await page.locator('[data-field="dep-name"] .field-error').waitFor();
  await expect(page.locator('[data-field="dep-name"] .field-error').textContent()).resolves.toMatch(/letters, digits/);
  // Fix the name: the API then reports the range at min_instances.
  await page.getByLabel('Name (required)').fill('burst');
  await page.getByRole('button', { name: 'Create deployment' }).click();
  await page.locator('[data-field="dep-min"] .field-error').waitFor();
  await expect(page.locator('[data-field="dep-min"] .field-error').textContent()).resolves.toMatch(/must not exceed max_instances/);
  expect(await page.locator('[data-field="dep-name"] .field-error').count()).toBe(0);
  expect((await api(session.engine)('GET', '/v1/deployments')).json.results).toEqual([]);
  await page.close();
});

test('create a deployment and watch its instance come up; edit it to scale to zero', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/deployments');
  await page.getByRole('link', { name: 'New deployment' }).click();
  await page.getByLabel('Name (required)').waitFor();
  await page.getByLabel('Name (required)').fill('warm-echo');
  await page.getByLabel('Model (required)').selectOption('gantry/echo');
  await page.waitForFunction(() => (document.getElementById('dep-version') as HTMLSelectElement)?.value.length === 64);
  await page.getByLabel('Hardware').selectOption('cpu');
  await page.getByLabel('Min instances').fill('1');
  await page.getByLabel('Max instances').fill('2');
  await page.getByRole('button', { name: 'Create deployment' }).click();

  await page.waitForURL(/\/console\/deployments\/gantry\/warm-echo$/);
  await ready(page);
  // The page follows the instance as it boots, then shows it ready.
  await page.locator('[data-testid="instances"] [data-status="ready"]').waitFor({ timeout: 30_000 });
  await page.getByTestId('warning-always-on').waitFor();
  await expect(page.getByTestId('warning-always-on').textContent()).resolves.toMatch(/min_instances 1 keeps an instance of cpu running all the time: about \$0\.36 an hour/);
  await expect(page.getByTestId('cost-breakdown').textContent()).resolves.toMatch(/Predictions.*Setup \(boots\).*Idle instances/);

  // A prediction through the deployment shows in its cost split.
  const run = await api(session.engine)('POST', '/v1/deployments/gantry/warm-echo/predictions', { input: { text: 'hi' } }, { prefer: 'wait' });
  expect(run.json.status).toBe('succeeded');
  await page.waitForFunction(() => /Predictions\s*1/.test(document.querySelector('[data-testid="cost-breakdown"]')?.textContent ?? ''), undefined, { timeout: 20_000 });
  await screenshot(page, 'deployment');

  await page.getByRole('button', { name: 'Edit' }).click();
  await page.getByLabel('Min instances').fill('0');
  await page.getByRole('button', { name: 'Save (new release)' }).click();
  await page.getByRole('heading', { name: 'Release 2' }).waitFor();
  expect(await page.getByTestId('warning-always-on').count()).toBe(0);
  expect((await api(session.engine)('GET', '/v1/deployments/gantry/warm-echo')).json.current_release.configuration.min_instances).toBe(0);

  // The list shows it with its instances.
  await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: 'Deployments' }).click();
  await ready(page);
  await expect(page.getByTestId('deployment-list').textContent()).resolves.toMatch(/gantry\/warm-echo.*gantry\/echo.*cpu.*0 \/ 2/);
  await screenshot(page, 'deployments');
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
