// The dashboard as people see it, in headless Chromium at desktop and phone widths: screenshots
// (written to docs/ with FOBGATE_WRITE_SCREENSHOTS=1), no sideways scrolling on a phone, every
// text readable (WCAG AA contrast 4.5:1 against its background), the keyboard reaches the skip
// link and the actions and the confirmation, no CSP violation or script error; the status board.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { AddressInfo } from 'node:net';
import { makeApp, postUpdate, update, AUTH, TOKEN, TestUnit, type TestApp } from './helpers.js';
import { browserAvailable, openBrowser, waitText, type Browser } from './browser.js';

const run = browserAvailable();
const DOCS = join(fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'docs');
const OUT = process.env.FOBGATE_WRITE_SCREENSHOTS === '1' ? DOCS : mkdtempSync(join(tmpdir(), 'fobgate-shots-'));
let t: TestApp;
let base = '';

/** Width and height from a PNG's IHDR. */
function pngSize(file: string): { width: number; height: number } {
  const b = readFileSync(file);
  assert.equal(Array.from(b.subarray(0, 8)), [137, 80, 78, 71, 13, 10, 26, 10], 'a PNG file');
  return { width: b.readUInt32BE(16), height: b.readUInt32BE(20) };
}

// Runs in the page (as an expression: CDP evaluation is not script the CSP governs): every
// visible element with its own text, its colour against the first opaque background behind it.
const CONTRAST = `(() => {
  const parse = (c) => { const m = c.match(/rgba?\\(([^)]+)\\)/); if (!m) return null; const p = m[1].split(',').map((x) => parseFloat(x)); return { r: p[0], g: p[1], b: p[2], a: p.length > 3 ? p[3] : 1 }; };
  const lum = (c) => { const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); }; return 0.2126 * f(c.r) + 0.7152 * f(c.g) + 0.0722 * f(c.b); };
  const bg = (el) => { for (let e = el; e; e = e.parentElement) { const c = parse(getComputedStyle(e).backgroundColor); if (c && c.a > 0.9) return c; } return { r: 255, g: 255, b: 255, a: 1 }; };
  const bad = [];
  for (const el of Array.from(document.querySelectorAll('body *'))) {
    const own = Array.from(el.childNodes).some((n) => n.nodeType === 3 && n.textContent.trim() !== '');
    if (!own) continue;
    const r = el.getBoundingClientRect();
    const s = getComputedStyle(el);
    if (r.width === 0 || r.height === 0 || s.visibility === 'hidden' || el.closest('[hidden]') || el.closest('button:disabled')) continue;
    const fg = parse(s.color); const b = bg(el);
    const l1 = lum(fg), l2 = lum(b);
    const ratio = (Math.max(l1, l2) + 0.05) / (Math.min(l1, l2) + 0.05);
    if (ratio < 4.5) bad.push(el.tagName + ' "' + el.textContent.trim().slice(0, 30) + '" ' + ratio.toFixed(2));
  }
  return bad;
})()`;

const OVERFLOW = `document.documentElement.scrollWidth - document.documentElement.clientWidth`;

test.before(async () => {
  if (!run) return;
  t = await makeApp({ start: Date.now(), extra: { dashboard: { board: 'on' } } });
  await t.app.listen({ host: '127.0.0.1', port: 0 });
  base = `http://127.0.0.1:${(t.app.server.address() as AddressInfo).port}`;
  // a fleet worth looking at: a member at the lathe, an oops, a lockout, a fobgate unit, always-on lights
  await postUpdate(t.app, update('lathe', { rfid_value: '0000000001' }));
  await postUpdate(t.app, update('saw'));
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/saw/oops', headers: AUTH, payload: { by: 'Sam' } });
  await postUpdate(t.app, update('drill'));
  await t.app.inject({ method: 'POST', url: '/api/admin/machines/drill/lockout', headers: AUTH, payload: { cut: true, by: 'Sam' } });
  await postUpdate(t.app, update('lights'));
  const unit = new TestUnit(t.app, 'unit1');
  await unit.register();
  await unit.sync({ fw: 'fobgate 0.1.0' });
});

test.after(async () => {
  if (!run) return;
  t.app.server.closeAllConnections();
  await t.close();
});

async function signedIn(b: Browser): Promise<void> {
  await b.page.goto(base + '/');
  await b.page.fill('#token', TOKEN);
  await b.page.click('#signin-button');
  await b.page.waitForSelector('tr[data-machine="unit1"]');
  await waitText(b.page, 'tr[data-machine="lathe"]', 'Ada Tester');
}

if (run) {
  test('desktop: screenshot, readable contrast, keyboard to the skip link, an action and its confirmation', async () => {
    const b = await openBrowser({ width: 1280, height: 800 });
    try {
      await signedIn(b);
      const file = join(OUT, 'dashboard.png');
      await b.page.screenshot({ path: file, fullPage: true });
      const size = pngSize(file);
      assert.is(size.width, 1280);
      assert.ok(size.height >= 400);
      assert.equal(await b.page.evaluate(CONTRAST), [], 'every text at least 4.5:1');
      assert.is(await b.page.evaluate(OVERFLOW), 0, 'no sideways scrolling');
      // keyboard: the first Tab reaches the skip link; the actions and the dialog work without a mouse
      await b.page.goto(base + '/');
      await b.page.waitForSelector('tr[data-machine="lathe"]');
      await b.page.keyboard.press('Tab');
      assert.is(await b.page.evaluate('document.activeElement.className'), 'skip');
      await b.page.focus('button[aria-label="Oops Metal Lathe"]');
      await b.page.keyboard.press('Enter');
      await b.page.waitForSelector('#confirm[open]');
      assert.is(await b.page.evaluate('document.activeElement.id'), 'confirm-cancel', 'the safe choice has the focus');
      await b.page.keyboard.press('Escape');
      await b.page.waitForSelector('#confirm[open]', { state: 'detached' });
      const rows = (await t.app.inject({ method: 'GET', url: '/api/admin/machines', headers: AUTH })).json().machines;
      assert.is(rows.find((m: { name: string }) => m.name === 'lathe').oopsed, false, 'Escape cancelled');
      // every button has a name a screen reader can say
      const unnamed = await b.page.evaluate(`Array.from(document.querySelectorAll('button')).filter((x) => !(x.getAttribute('aria-label') || x.textContent).trim()).length`);
      assert.is(unnamed, 0);
      const problems = b.problems.filter((x) => !/status of 401/.test(x));
      assert.equal(problems, []);
    } finally {
      await b.close();
    }
  });

  test('phone width: one card per machine, nothing wider than the screen, still readable', async () => {
    const b = await openBrowser({ width: 390, height: 844 });
    try {
      await signedIn(b);
      assert.is(await b.page.evaluate(OVERFLOW), 0, 'no sideways scrolling at 390 px');
      assert.is(await b.page.evaluate(`getComputedStyle(document.querySelector('#fleet-table thead')).display`), 'none', 'the table turned into cards');
      const labels = await b.page.evaluate(`getComputedStyle(document.querySelector('tr[data-machine="lathe"] td'), '::before').content`);
      assert.is(labels, '"Status"', 'each value says what it is');
      assert.equal(await b.page.evaluate(CONTRAST), []);
      const file = join(OUT, 'dashboard-phone.png');
      await b.page.screenshot({ path: file, fullPage: false });
      assert.is(pngSize(file).width, 390);
    } finally {
      await b.close();
    }
  });

  test('status board: tiles, no member names, live, readable; screenshot', async () => {
    const b = await openBrowser({ width: 1024, height: 600 });
    try {
      await b.page.goto(base + '/board');
      await b.page.waitForSelector('#board li[data-machine="lathe"]');
      const tiles = await b.page.$$eval('#board li', (els) => els.map((e) => [e.getAttribute('data-machine'), e.className]));
      assert.equal(tiles, [['lathe', 'in_use'], ['saw', 'oops'], ['drill', 'maintenance'], ['lights', 'free'], ['unit1', 'free']]);
      assert.not.match((await b.page.textContent('#board')) ?? '', 'Ada');
      await postUpdate(t.app, update('lathe', { rfid_value: '' }));
      await b.page.waitForSelector('#board li[data-machine="lathe"].free');
      assert.equal(await b.page.evaluate(CONTRAST), []);
      await b.page.screenshot({ path: join(OUT, 'status-board.png') });
      assert.equal(b.problems, []);
    } finally {
      await b.close();
    }
  });
}

test.run();
