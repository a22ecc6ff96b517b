// Headless Chromium for the dashboard's browser tests: the system's Chromium (Debian's
// `chromium`, or FOBGATE_CHROMIUM) driven by playwright-core, which downloads no browser. Every
// run gets a new empty profile and the flags that keep Chromium off the network. Without a
// Chromium the tests fail saying how to get one (FOBGATE_SKIP_BROWSER_TESTS=1 skips them).
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';

export const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome', '/usr/bin/google-chrome-stable'];

/** The Chromium to drive, or null. */
export function findChromium(): string | null {
  const env = process.env.FOBGATE_CHROMIUM;
  if (env) return existsSync(env) ? env : null;
  for (const c of CANDIDATES) if (existsSync(c)) return c;
  return null;
}

/** true: run the browser tests; false: skipped on purpose (said so). No Chromium: says so and exits 1. */
export function browserAvailable(): boolean {
  if (process.env.FOBGATE_SKIP_BROWSER_TESTS === '1') {
    console.log('  browser tests skipped: FOBGATE_SKIP_BROWSER_TESTS=1');
    return false;
  }
  if (!findChromium()) {
    console.error(
      'browser tests: no Chromium found (looked at ' + (process.env.FOBGATE_CHROMIUM ? `FOBGATE_CHROMIUM=${process.env.FOBGATE_CHROMIUM}` : CANDIDATES.join(', ')) + '). ' +
        'Install Debian\'s chromium (apt-get install chromium; .ci/run does) or point FOBGATE_CHROMIUM at one; ' +
        'FOBGATE_SKIP_BROWSER_TESTS=1 skips these tests.',
    );
    process.exit(1);
  }
  return true;
}

export interface Browser {
  context: BrowserContext;
  page: Page;
  /** Console errors and CSP violations the page reported. */
  problems: string[];
  close(): Promise<void>;
}

/** A fresh headless Chromium with an empty profile and one page (desktop size by default). */
export async function openBrowser(viewport = { width: 1280, height: 900 }): Promise<Browser> {
  const exe = findChromium();
  if (!exe) throw new Error('no Chromium');
  const profile = mkdtempSync(join(tmpdir(), 'fobgate-chromium-'));
  const context = await chromium.launchPersistentContext(profile, {
    executablePath: exe,
    headless: true,
    // the new empty profile goes in as --user-data-dir (playwright passes it)
    args: CHROMIUM_FLAGS,
    viewport,
    acceptDownloads: true,
    timeout: 60_000,
  });
  const page = context.pages()[0] ?? (await context.newPage());
  const problems: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(m.text());
  });
  page.on('pageerror', (e) => problems.push(String(e)));
  return {
    context,
    page,
    problems,
    async close() {
      await context.close().catch(() => undefined);
      rmSync(profile, { recursive: true, force: true });
    },
  };
}

/** The page's document, for functions that run in the page (the server's programs have no DOM types). */
interface PageDoc {
  querySelector(s: string): { textContent: string | null } | null;
}

// Functions, not strings: the dashboard's CSP forbids eval, which playwright needs for strings.

/** Waits until the text of `selector` includes `text` (or, with `absent`, no longer does). */
export async function waitText(page: Page, selector: string, text: string, opts: { absent?: boolean; timeout?: number } = {}): Promise<void> {
  await page.waitForFunction(
    ([sel, want, absent]) => {
      const doc = (globalThis as unknown as { document: PageDoc }).document;
      const el = doc.querySelector(sel as string);
      const has = (el ? el.textContent || '' : '').includes(want as string);
      return absent ? !has : has;
    },
    [selector, text, opts.absent === true] as const,
    { timeout: opts.timeout ?? 15_000 },
  );
}

/** Waits until the text of `selector` is exactly `text`. */
export async function waitExact(page: Page, selector: string, text: string, timeout = 15_000): Promise<void> {
  await page.waitForFunction(
    ([sel, want]) => {
      const el = (globalThis as unknown as { document: PageDoc }).document.querySelector(sel);
      return (el ? el.textContent : null) === want;
    },
    [selector, text] as const,
    { timeout },
  );
}
