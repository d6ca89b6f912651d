/**
 * The playground in a real Chromium against a real engine: a file input uploaded from the form
 * (gantry/image-resize) gives an image preview and its cost; an input the API rejects shows the
 * error beside its field; a streaming model (gantry/echo with stream_chunks) shows output as it
 * arrives; "copy as" gives runnable snippets.
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { api } from '../helpers/engine';
import { consoleSession, ready, requestsElsewhere, screenshot, signIn } from '../helpers/browser';

const session = consoleSession();
let image: string;

beforeAll(async () => {
  // A 640×480 colour gradient (something to look at in the screenshot).
  image = join(mkdtempSync(join(tmpdir(), 'gantry-img-')), 'gradient.png');
  const [w, h] = [640, 480];
  const pixels = Buffer.alloc(w * h * 3);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) pixels.set([Math.round((x / w) * 255), Math.round((y / h) * 200), 180], (y * w + x) * 3);
  }
  writeFileSync(image, await sharp(pixels, { raw: { width: w, height: h, channels: 3 } }).png().toBuffer());
});

test('an uploaded image runs through gantry/image-resize: the preview shows the resized image and the cost', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/image-resize');
  await page.getByLabel('image (required)', { exact: true }).setInputFiles(image);
  await page.getByText('gradient.png').waitFor();
  await page.getByLabel('width', { exact: true }).fill('240');
  await page.getByLabel('format', { exact: true }).selectOption({ label: 'webp' });
  await page.getByRole('button', { name: 'Run' }).click();

  const result = page.locator('[data-testid="run-result"][data-status="succeeded"]');
  await result.waitFor({ timeout: 30_000 });
  const img = page.getByTestId('output-image');
  await img.waitFor();
  await page.waitForFunction(() => (document.querySelector('[data-testid="output-image"]') as HTMLImageElement)?.complete);
  // The browser decoded the engine's output file: 640×480 resized to width 240 keeps the aspect ratio.
  expect(await img.evaluate((el: HTMLImageElement) => [el.naturalWidth, el.naturalHeight])).toEqual([240, 180]);
  await expect(page.locator('figcaption').textContent()).resolves.toMatch(/resized\.webp.*image\/webp/);
  // Per-image pricing: one image at the list price.
  await expect(page.getByTestId('cost-total').textContent()).resolves.toBe('$0.0002');
  await expect(page.getByTestId('cost').textContent()).resolves.toMatch(/per image: 1 × \$0\.0002/);
  await expect(page.getByTestId('timings').textContent()).resolves.toMatch(/Predict/);

  // The file went up through the Files API, and the prediction used its URL.
  expect(session.browser.requests.some((u) => u === `${session.engine.url}/v1/files`)).toBe(true);
  const listed = await api(session.engine)('GET', '/v1/predictions?model=gantry/image-resize');
  expect(listed.json.results[0].input.image).toMatch(new RegExp(`^${session.engine.url}/v1/files/`));
  expect(listed.json.results[0].cost.total_usd).toBe(0.0002);
  await screenshot(page, 'playground-image-resize');
  await page.close();
});

test('an input the API rejects shows its error next to the field, and nothing runs', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/echo/playground');
  const before = (await api(session.engine)('GET', '/v1/predictions?model=gantry/echo')).json.results.length;
  await page.getByLabel('sleep', { exact: true }).fill('1000');
  await page.getByLabel('stream_chunks', { exact: true }).fill('2.5');
  await page.getByRole('button', { name: 'Run' }).click();
  const sleepError = page.locator('[data-field="in-sleep"] .field-error');
  await sleepError.waitFor();
  await expect(sleepError.textContent()).resolves.toMatch(/must be <= 600/);
  await expect(page.locator('[data-field="in-stream_chunks"] .field-error').textContent()).resolves.toMatch(/must be integer/);
  // Fields without a problem carry none, and the control is marked invalid for assistive technology.
  expect(await page.locator('[data-field="in-text"] .field-error').count()).toBe(0);
  await expect(page.getByLabel('sleep', { exact: true }).getAttribute('aria-invalid')).resolves.toBe('true');
  expect((await api(session.engine)('GET', '/v1/predictions?model=gantry/echo')).json.results.length).toBe(before);
  await screenshot(page, 'playground-field-error', { fullPage: false });

  // Fixing the field clears its error on the next run.
  await page.getByLabel('sleep', { exact: true }).fill('0');
  await page.getByLabel('stream_chunks', { exact: true }).fill('0');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('[data-testid="run-result"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  expect(await page.locator('.field-error').count()).toBe(0);
  await page.close();
});

test('a streaming model shows its output as it arrives', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/echo/playground');
  const text = Array.from({ length: 120 }, (_, i) => `w${i} `).join('');
  await page.getByLabel('text', { exact: true }).fill(text);
  await page.getByLabel('stream_chunks', { exact: true }).fill('120');
  // Record what the output box shows, and the run's status at that moment, on every change.
  await page.evaluate(() => {
    const seen: Array<{ length: number; status: string | null }> = [];
    (window as unknown as { seen: typeof seen }).seen = seen;
    new MutationObserver(() => {
      const out = document.querySelector('[data-testid="output-text"]');
      const status = document.querySelector('[data-testid="run-result"]')?.getAttribute('data-status') ?? null;
      if (out) seen.push({ length: (out.textContent ?? '').length, status });
    }).observe(document.body, { subtree: true, childList: true, characterData: true, attributes: true });
  });
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('[data-testid="run-result"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await expect(page.getByTestId('output-text').textContent()).resolves.toBe(text);
  const seen = await page.evaluate(() => (window as unknown as { seen: Array<{ length: number; status: string | null }> }).seen);
  const partial = new Set(seen.filter((s) => s.length > 0 && s.length < text.length && s.status !== 'succeeded').map((s) => s.length));
  // Several partial outputs were on screen before the prediction ended.
  expect(partial.size).toBeGreaterThanOrEqual(3);
  // The stream came over server-sent events from the engine itself.
  expect(session.browser.requests.some((u) => u.startsWith(`${session.engine.url}/v1/streams/`))).toBe(true);
  await page.close();
});

test('previews: speech plays inline (gantry/tts), JSON reads as JSON (gantry/text-classifier)', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/tts');
  await page.getByLabel('text (required)', { exact: true }).fill('Hello from the console.');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('[data-testid="run-result"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  const audio = page.getByTestId('output-audio');
  await audio.waitFor();
  // The browser read the WAV the engine stored: it knows how long it is.
  await page.waitForFunction(() => ((document.querySelector('[data-testid="output-audio"]') as HTMLAudioElement)?.duration ?? 0) > 0.5);
  await expect(page.locator('figcaption').textContent()).resolves.toMatch(/speech\.wav.*audio\/wav/);
  await expect(page.getByTestId('cost').textContent()).resolves.toMatch(/per audio second/);

  await page.goto(`${session.engine.url}/console/models/gantry/text-classifier`);
  await ready(page);
  await page.getByLabel('text (required)', { exact: true }).fill('The room was lovely and the staff were kind.');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('[data-testid="run-result"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  const json = JSON.parse((await page.getByTestId('output-json').textContent())!);
  expect(json.label).toBe('positive');
  await page.close();
});

test('copy as curl, JavaScript, Python and an n8n node', async () => {
  const page = await session.browser.newPage();
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/echo/playground');
  await page.getByLabel('text', { exact: true }).fill("it's here");
  const curl = await page.getByTestId('snippet-curl').textContent();
  expect(curl).toContain(`curl -s -X POST ${session.engine.url}/v1/predictions`);
  expect(curl).toContain(`"text":"it'\\''s here"`);
  expect(curl).not.toContain(session.engine.token);

  // The curl command runs as written (with the token in the environment it names).
  const body = /-d '(.*)'$/s.exec(curl!)![1].replace(/'\\''/g, "'");
  const run = await api(session.engine)('POST', '/v1/predictions', JSON.parse(body), { prefer: 'wait' });
  expect(run.json.output).toBe("it's here");

  await page.getByText('JavaScript', { exact: true }).click();
  await expect(page.getByTestId('snippet-javascript').textContent()).resolves.toContain(`baseUrl: '${session.engine.url}/v1'`);
  await page.getByText('Python', { exact: true }).click();
  await expect(page.getByTestId('snippet-python').textContent()).resolves.toContain(`base_url="${session.engine.url}"`);
  await page.getByText('n8n node', { exact: true }).click();
  const node = JSON.parse((await page.getByTestId('snippet-n8n').textContent())!);
  expect(node.nodes[0]).toEqual(
    expect.objectContaining({ type: 'n8n-nodes-gantry.gantryRunModel', parameters: expect.objectContaining({ model: { __rl: true, mode: 'id', value: 'gantry/echo' } }) }),
  );
  expect(JSON.parse(node.nodes[0].parameters.inputJson).text).toBe("it's here");
  await page.close();
});

test('the playground at 360 px', async () => {
  const page = await session.browser.newPage({ width: 360, height: 780 });
  await signIn(page, session.engine.url, session.engine.token, '/console/models/gantry/echo/playground');
  await page.getByRole('button', { name: 'Run' }).click();
  await page.locator('[data-testid="run-result"][data-status="succeeded"]').waitFor({ timeout: 30_000 });
  await ready(page);
  await screenshot(page, 'playground-360');
  expect(requestsElsewhere(session.browser.requests, session.engine.url)).toEqual([]);
  expect(session.browser.pageErrors).toEqual([]);
  await page.close();
});
