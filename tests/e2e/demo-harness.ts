import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { type Browser, type BrowserContext, chromium, type Page } from 'playwright-core';

const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));
const DEMO_DIR = join(REPO_ROOT, 'packages/demo');
export const ARTIFACTS_DIR = join(REPO_ROOT, 'test-artifacts/e2e');
export const CHROMIUM_PATH = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

/**
 * Why the browser suite cannot run here, or undefined when it can. CI (`.ci/run` sets
 * WEFT_E2E=required) installs Chromium, so a missing browser there fails instead of skipping.
 */
export function e2eSkipReason(): string | undefined {
  if (existsSync(CHROMIUM_PATH)) return undefined;
  const reason = `e2e: skipped, no Chromium at ${CHROMIUM_PATH} (apt-get install -y chromium, or set CHROMIUM_PATH)`;
  if (process.env.WEFT_E2E === 'required') throw new Error(`${reason}; WEFT_E2E=required`);
  return reason;
}

/** Builds the demo as `pnpm start` does (a production build, so the service worker registers). */
export async function buildDemo(outDir: string): Promise<void> {
  const vite = join(DEMO_DIR, 'node_modules/vite/bin/vite.js');
  await promisify(execFile)(
    process.execPath,
    [vite, 'build', '--outDir', outDir, '--emptyOutDir', '--logLevel', 'warn'],
    {
      cwd: DEMO_DIR,
    },
  );
}

export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM_PATH,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/** A page whose console errors and uncaught exceptions are recorded, to assert there are none. */
export interface WatchedPage {
  page: Page;
  context: BrowserContext;
  errors: string[];
}

export async function openBoard(
  browser: Browser,
  url: string,
  options: { context?: BrowserContext; status?: string } = {},
): Promise<WatchedPage> {
  const context = options.context ?? (await browser.newContext({ viewport: { width: 1280, height: 800 } }));
  const page = await context.newPage();
  const errors: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') errors.push(`console: ${message.text()}`);
  });
  page.on('pageerror', (error) => errors.push(`pageerror: ${error.message}`));
  await page.goto(url);
  await waitForStatus(page, options.status ?? 'synced');
  return { page, context, errors };
}

/** Waits until the connection badge shows `status` (offline | connecting | synced). */
export async function waitForStatus(page: Page, status: string): Promise<void> {
  await page.waitForSelector(`.status-badge[data-status="${status}"]`, { timeout: 20_000 });
}

/** Waits until the page shows no unsaved changes (every local edit is durable on the server). */
export async function waitForAllSaved(page: Page): Promise<void> {
  await page.waitForSelector('.saved-state[data-unsaved="0"]', { timeout: 20_000 });
}

export async function addTask(page: Page, text: string): Promise<void> {
  await page.fill('.new-task', text);
  await page.press('.new-task', 'Enter');
  await waitForTask(page, text);
}

export async function waitForTask(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) =>
      Array.from(document.querySelectorAll<HTMLInputElement>('.task-text')).some((input) => input.value === wanted),
    text,
    { timeout: 20_000 },
  );
}

export function taskTexts(page: Page): Promise<string[]> {
  return page.$$eval('.task-text', (inputs) => inputs.map((input) => (input as HTMLInputElement).value));
}

export async function waitForNotes(page: Page, text: string): Promise<void> {
  await page.waitForFunction(
    (wanted) => document.querySelector<HTMLTextAreaElement>('.notes')?.value === wanted,
    text,
    { timeout: 20_000 },
  );
}

/** Changes a setting in the settings dialog and closes it. */
export async function changeSetting(page: Page, name: string, value: string): Promise<void> {
  await page.click('.settings-button');
  await page.fill(`.settings-dialog input[name="${name}"]`, value);
  await page.click('.settings-dialog .dialog-footer button');
}

/** Picks this person's presence colour in the settings dialog. */
export async function changeUserColor(page: Page, color: string): Promise<void> {
  await page.click('.settings-button');
  await page.click(`.settings-dialog label.swatch:has(input[name="userColor"][value="${color}"])`);
  await page.click('.settings-dialog .dialog-footer button');
}

export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(ARTIFACTS_DIR, { recursive: true });
  const path = join(ARTIFACTS_DIR, `${name}.png`);
  await page.screenshot({ path, animations: 'disabled' });
  return path;
}
