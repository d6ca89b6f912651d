/**
 * Drives Debian's Chromium (never a downloaded browser) through playwright-core, for the console's
 * browser tests: a fresh profile per browser, headless, every request recorded so a test can
 * prove that nothing left the machine. Screenshots are written to docs/console/ only when
 * GANTRY_SCREENSHOTS=1, so ordinary runs leave the tree clean.
 */
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { startEngine, type EngineHandle } from './engine';

export const CHROMIUM = process.env.GANTRY_CHROMIUM ?? '/usr/bin/chromium';
const SCREENSHOTS = join(__dirname, '..', '..', 'docs', 'console');

const ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Throws, saying how to install it, when Debian's Chromium is missing (the tests must not skip silently). */
export function requireChromium(): void {
  if (!existsSync(CHROMIUM)) {
    throw new Error(
      `The console's browser tests need Chromium at ${CHROMIUM}, and it is not there. ` +
        'Install Debian\'s package: `apt-get update && apt-get install -y chromium` (.ci/run does this; ' +
        'GANTRY_CHROMIUM points at another binary). The tests never download a browser.',
    );
  }
}

export interface Browser {
  context: BrowserContext;
  /** Every URL the browser requested, in order. */
  requests: string[];
  /** Console errors and uncaught page errors (a test may assert there are none). */
  pageErrors: string[];
  newPage(viewport?: { width: number; height: number }): Promise<Page>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<Browser> {
  requireChromium();
  const profile = mkdtempSync(join(tmpdir(), 'gantry-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    args: ARGS,
    viewport: { width: 1280, height: 900 },
    // The console copies snippets to the clipboard.
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const requests: string[] = [];
  const pageErrors: string[] = [];
  context.on('request', (r) => requests.push(r.url()));
  const watch = (page: Page) => {
    page.on('pageerror', (e) => pageErrors.push(e.message));
  };
  context.on('page', watch);
  return {
    context,
    requests,
    pageErrors,
    async newPage(viewport) {
      const page = await context.newPage();
      if (viewport) await page.setViewportSize(viewport);
      return page;
    },
    async close() {
      await context.close();
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** Requests that went anywhere but the engine (data: and blob: URLs stay in the page). */
export function requestsElsewhere(requests: string[], engineUrl: string): string[] {
  const origin = new URL(engineUrl).origin;
  return requests.filter((u) => !u.startsWith('data:') && !u.startsWith('blob:') && new URL(u).origin !== origin);
}

/** Waits until the page shows its data (the console's `data-ready` mark). */
export async function ready(page: Page, timeout = 20_000): Promise<void> {
  await page.locator('main[data-ready="true"]').waitFor({ timeout });
}

/** Opens the console and signs in with `token`; resolves on the models page. */
export async function signIn(page: Page, engineUrl: string, token: string, path = '/'): Promise<void> {
  await page.goto(`${engineUrl}${path}`);
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.locator('h1', { hasNotText: /Sign in|Token refused/ }).waitFor();
  await ready(page);
}

/** Saves a screenshot under docs/console/ when GANTRY_SCREENSHOTS=1. */
export async function screenshot(page: Page, name: string, opts: { fullPage?: boolean } = {}): Promise<void> {
  if (process.env.GANTRY_SCREENSHOTS !== '1') return;
  mkdirSync(SCREENSHOTS, { recursive: true });
  // A sticky header would be painted mid-page in a full-page capture.
  await page.addStyleTag({ content: '.top { position: static !important; }' });
  await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: opts.fullPage ?? true, animations: 'disabled' });
}

/** Controls with no accessible label (every form control of the console must have one). */
export async function unlabelledControls(page: Page): Promise<string[]> {
  return page.evaluate(() =>
    Array.from(document.querySelectorAll('input, select, textarea'))
      .filter((el) => (el as HTMLInputElement).type !== 'hidden' && !(el as HTMLInputElement).closest('[hidden]'))
      .filter((el) => {
        const labelled = (el as HTMLInputElement).labels?.length || el.getAttribute('aria-label') || el.getAttribute('aria-labelledby');
        return !labelled;
      })
      .map((el) => el.outerHTML.slice(0, 120)),
  );
}

/** True when the page is wider than its viewport (content that forces sideways scrolling). */
export async function overflowsHorizontally(page: Page): Promise<boolean> {
  return page.evaluate(() => document.documentElement.scrollWidth > document.documentElement.clientWidth + 1);
}

export interface ConsoleSession {
  engine: EngineHandle;
  browser: Browser;
}

/**
 * A real engine and a browser for one test file: started before its tests (beforeAll), stopped
 * after them. The fields are filled once the tests run.
 */
export function consoleSession(opts: { env?: Record<string, string> } = {}): ConsoleSession {
  const session = {} as ConsoleSession;
  beforeAll(async () => {
    [session.engine, session.browser] = await Promise.all([startEngine(opts), launchBrowser()]);
  }, 90_000);
  afterAll(async () => {
    await session.browser?.close();
    await session.engine?.stop();
  });
  return session;
}
