/**
 * The cluster page with a declared GPU inventory (GANTRY_GPUS=gpu-t4:2): both GPUs with their
 * memory, instances on their devices, queue depth and the "does not fit" reasons of waiting work;
 * and the tokens page: a new token (with the scope chosen) shown once, listed, revoked.
 */
import { join } from 'node:path';
import { api } from '../helpers/engine';
import { consoleSession, ready, screenshot, signIn } from '../helpers/browser';

const session = consoleSession({ env: { GANTRY_GPUS: 'gpu-t4:2' } });
const ECHO = join(__dirname, '..', '..', 'engine', 'dist', 'models', 'echo', 'index.js');


test('the cluster page shows the declared GPUs, instances per device, queue depth and why work does not fit', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/cluster');
  const gpus = page.locator('[data-testid="gpus"] tbody tr');
  await gpus.first().waitFor();
  expect(await gpus.count()).toBe(2);
  expect(await gpus.evaluateAll((rows) => rows.map((r) => r.getAttribute('data-sku')))).toEqual(['gpu-t4', 'gpu-t4']);
  await expect(gpus.nth(0).textContent()).resolves.toMatch(/#0.*Nvidia T4.*0 \/ 16 GB.*free/);
  await expect(page.getByTestId('worker').textContent()).resolves.toMatch(/serves cpu, gpu-t4/);

  // Two always-on deployments take both T4s; an on-demand run of a third needs one and waits.
  const call = api(session.engine);
  await call('POST', '/v1/models', { owner: 'gpu', name: 'echo-t4', hardware: 'gpu-t4' });
  const version = (await call('POST', '/v1/models/gpu/echo-t4/versions', { runner: { type: 'node', module: ECHO }, hardware: 'gpu-t4' })).json.id;
  for (const name of ['t4-a', 't4-b']) {
    const d = await call('POST', '/v1/deployments', { name, model: 'gpu/echo-t4', version, hardware: 'gpu-t4', min_instances: 1, max_instances: 1 });
    expect(d.status).toBe(200);
  }
  await page.waitForFunction(() => document.querySelectorAll('[data-testid="gpus"] .instance[data-state="ready"]').length === 2, undefined, { timeout: 30_000 });
  await expect(gpus.nth(0).textContent()).resolves.toMatch(/16 \/ 16 GB.*gantry\/t4-(a|b)/);
  await expect(gpus.nth(1).textContent()).resolves.toMatch(/16 \/ 16 GB.*gantry\/t4-(a|b)/);

  const waiting = await call('POST', '/v1/models/gpu/echo-t4/predictions', { input: { text: 'wait' } });
  expect(waiting.status).toBe(201);
  await page.getByTestId('pending').waitFor({ timeout: 20_000 });
  await expect(page.getByTestId('pending').textContent()).resolves.toMatch(/does not fit: .*device 0: in use.*device 1: in use/);
  await expect(page.getByTestId('queues').textContent()).resolves.toMatch(/gpu-t4\s*1\s*0/);
  await screenshot(page, 'cluster');
  await call('POST', `/v1/predictions/${waiting.json.id}/cancel`);
  for (const name of ['t4-a', 't4-b']) await call('DELETE', `/v1/deployments/gantry/${name}`);
  await page.close();
});

test('tokens: created and shown once, listed, revoked', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/tokens');
  // A missing name is the API's field error, next to the field.
  await page.getByRole('button', { name: 'Create token' }).click();
  await page.locator('[data-field="token-name"] .field-error').waitFor();

  await page.getByLabel('Name (required)').fill('n8n production');
  // A new token runs models by default; this one only reads.
  await expect(page.getByLabel('Scope').inputValue()).resolves.toBe('run');
  await page.getByLabel('Scope').selectOption('read');
  await page.getByRole('button', { name: 'Create token' }).click();
  const secret = await page.getByTestId('new-token-secret').textContent();
  expect(secret).toMatch(/^\S{20,}$/);
  const listed = (await api(session.engine)('GET', '/v1/tokens')).json.results.find((t: { name: string }) => t.name === 'n8n production');
  expect(listed.scope).toBe('read');
  // The secret works against the API, and the list shows the token (never its secret).
  expect((await fetch(`${session.engine.url}/v1/account`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(200);
  const row = page.locator('[data-testid="token-list"] tr', { hasText: 'n8n production' });
  await row.waitFor();
  await expect(row.textContent()).resolves.toContain('read');
  await expect(page.getByTestId('token-list').textContent()).resolves.not.toContain(secret!);
  await screenshot(page, 'tokens', { fullPage: false });

  // Shown once: after a reload only the list remains.
  await page.reload();
  await ready(page);
  expect(await page.getByTestId('new-token').count()).toBe(0);

  page.once('dialog', (d) => void d.accept());
  await page.getByRole('button', { name: 'Revoke n8n production' }).click();
  await page.locator('[data-testid="token-list"] tr', { hasText: 'n8n production' }).getByText(/revoked/).waitFor();
  // Revoked tokens are refused at once (the engine's token cache is cleared on revoke).
  expect((await fetch(`${session.engine.url}/v1/account`, { headers: { authorization: `Bearer ${secret}` } })).status).toBe(401);
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
