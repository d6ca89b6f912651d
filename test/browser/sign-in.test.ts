/**
 * The console in a real Chromium: served by the engine at / → /console/, sign in with a wrong
 * token and a right one (kept for the tab only), every section reachable from the navigation,
 * labelled controls, 360 px without sideways scrolling, and no request leaving the machine.
 */
import { api } from '../helpers/engine';
import { consoleSession, overflowsHorizontally, ready, requestsElsewhere, screenshot, signIn, unlabelledControls } from '../helpers/browser';

const session = consoleSession();


test('a wrong token gets a clear refusal next to the field; the right one signs in for this tab only', async () => {
  const page = await session.browser.newPage();
  await page.goto(`${session.engine.url}/`);
  expect(new URL(page.url()).pathname).toBe('/console/');
  await expect(page.locator('h1').textContent()).resolves.toBe('Sign in to Gantry');
  await screenshot(page, 'sign-in', { fullPage: false });

  await page.getByLabel('API token').fill('not-a-real-token');
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasText: 'Token refused' }).waitFor();
  const error = page.locator('[data-field="token"] .field-error');
  await expect(error.textContent()).resolves.toMatch(/The engine refused this token: The API token is invalid or revoked/);
  // The error is tied to the field for assistive technology.
  await expect(page.getByLabel('API token').getAttribute('aria-invalid')).resolves.toBe('true');
  await expect(page.getByLabel('API token').getAttribute('aria-describedby')).resolves.toContain('token-error');
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);

  await page.getByLabel('API token').fill(session.engine.token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  // The sign-in page was ready too: wait for the models page itself, then for its data.
  await page.locator('h1', { hasText: /^Models$/ }).waitFor();
  await ready(page);
  await expect(page.locator('h1').textContent()).resolves.toBe('Models');
  expect(new URL(page.url()).pathname).toBe('/console/models');
  expect(await page.evaluate(() => Object.keys(sessionStorage))).toEqual(['gantry.console.token']);
  expect(await page.evaluate(() => localStorage.length)).toBe(0);
  await page.getByRole('link', { name: 'gantry/echo' }).waitFor();
  await screenshot(page, 'models');

  // Another tab starts signed out: the token is this tab's alone.
  const other = await session.browser.newPage();
  await other.goto(`${session.engine.url}/console/models`);
  await other.getByLabel('API token').waitFor();
  await other.close();

  // A revoked session token sends the tab back to sign-in with the reason.
  const made = await api(session.engine)('POST', '/v1/tokens', { name: 'short-lived', scope: 'admin' });
  await page.evaluate(() => sessionStorage.clear());
  await signIn(page, session.engine.url, made.json.token, '/console/tokens');
  await expect(page.locator('h1').textContent()).resolves.toBe('API tokens');
  await api(session.engine)('DELETE', `/v1/tokens/${made.json.id}`);
  await page.getByRole('link', { name: 'Predictions' }).click();
  await page.getByText('The engine refused the token of this session').waitFor();
  expect(await page.evaluate(() => sessionStorage.length)).toBe(0);
  await page.close();
});

test('every section opens from the navigation, with labelled controls, at 360 px and on a desktop', async () => {
  for (const viewport of [{ width: 360, height: 780 }, { width: 1280, height: 900 }]) {
    const page = await session.browser.newPage(viewport);
    await signIn(page, session.engine.url, session.engine.token);
    for (const [link, heading] of [
      ['Models', 'Models'],
      ['Predictions', 'Predictions'],
      ['Deployments', 'Deployments'],
      ['Usage', 'Usage and cost'],
      ['Cluster', 'Cluster'],
      ['Checks', 'Model checks'],
      ['Decide', 'Decide'],
      ['Tokens', 'API tokens'],
    ]) {
      await page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link }).click();
      await page.locator('h1', { hasText: heading }).waitFor();
      await ready(page);
      await expect(page.getByRole('navigation', { name: 'Sections' }).getByRole('link', { name: link }).getAttribute('aria-current')).resolves.toBe('page');
      expect(await unlabelledControls(page)).toEqual([]);
      if (viewport.width === 360) expect({ link, overflows: await overflowsHorizontally(page) }).toEqual({ link, overflows: false });
    }
    // The new-check form (its input is the model's schema form) too.
    await page.goto(`${session.engine.url}/console/checks/new?model=gantry/echo`);
    await ready(page);
    await page.getByLabel('text', { exact: true }).waitFor();
    expect(await unlabelledControls(page)).toEqual([]);
    if (viewport.width === 360) expect({ page: 'new check', overflows: await overflowsHorizontally(page) }).toEqual({ page: 'new check', overflows: false });
    // The model page and its tabs too.
    for (const tab of ['Playground', 'API', 'Examples', 'Versions', 'Pricing', 'Licence']) {
      await page.goto(`${session.engine.url}/console/models/gantry/echo/${tab.toLowerCase()}`);
      await ready(page);
      await expect(page.getByRole('navigation', { name: 'Model' }).getByRole('link', { name: tab }).getAttribute('aria-current')).resolves.toBe('page');
      expect(await unlabelledControls(page)).toEqual([]);
      if (viewport.width === 360) expect({ tab, overflows: await overflowsHorizontally(page) }).toEqual({ tab, overflows: false });
    }
    await page.close();
  }
  expect(session.browser.pageErrors).toEqual([]);
});

test('the sign-in form works from the keyboard alone', async () => {
  const page = await session.browser.newPage();
  await page.goto(`${session.engine.url}/console/`);
  await page.getByLabel('API token').waitFor();
  await page.keyboard.press('Tab');
  expect(await page.evaluate(() => document.activeElement?.id)).toBe('token');
  await page.keyboard.type(session.engine.token);
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: 'Models' }).waitFor();
  await ready(page);
  await page.close();
});

test('no request of the console left the machine', () => {
  expect(session.browser.requests.length).toBeGreaterThan(10);
  expect(requestsElsewhere(session.browser.requests, session.engine.url)).toEqual([]);
});
