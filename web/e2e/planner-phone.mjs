// Browser test of the planner's map at a phone's size, signed in on the
// pages, run by the Go test TestPlannerWhatIfOnPhoneInChromium:
//   BASE=http://127.0.0.1:PORT LOGIN=e-mail PASSWORD=... SHOTS=DIR node web/e2e/planner-phone.mjs
// A planner signs in at /login on a 390×844 screen and lands on the map,
// which then colours every parcel by its verdict; opens the collapsed
// panel, starts the what-if, draws a square over a red line with a finger's
// worth of taps (the panel gets out of the way while drawing), gives an
// elevation range and runs the check, which the API answers with the
// session's CSRF token. axe-core on each view; screenshots to SHOTS; the
// what-if's words are searched for English. Prints one JSON line; exits
// non-zero on any failure.
import { launchPagesBrowser, latinAllowed } from './browser.mjs';
import { mkdirSync } from 'node:fs';

const { BASE, LOGIN, PASSWORD, SHOTS } = process.env;
if (!BASE || !LOGIN || !PASSWORD || !SHOTS) {
  console.error('usage: BASE=... LOGIN=... PASSWORD=... SHOTS=DIR node planner-phone.mjs');
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const result = { errors: [], offsite: [], axe: [], pages: [], steps: [], latin: [] };
const t0 = Date.now();
const step = (s) => result.steps.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);
const { browser, context, check, text } = await launchPagesBrowser(result, BASE, SHOTS, { defaultTimeout: 120000 });

try {
  const ctx = await context({ viewport: { width: 390, height: 844 } });
  const page = await ctx.newPage();
  await page.goto(BASE + '/login?next=/');
  await page.fill('#login', LOGIN);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL(BASE + '/'), page.click('main button[type=submit]')]);
  await page.waitForFunction(() => window.minerights && (window.minerights.ready || window.minerights.error), null, { timeout: 180000 });
  const err = await page.evaluate(() => window.minerights.error);
  if (err) throw new Error('map failed: ' + err);
  result.viewer = await page.evaluate(() => ({ role: window.minerights.role, scope: window.minerights.scope, colourBy: window.minerights.colourBy,
    verdicts: Object.keys(window.minerights.verdicts).length, signedIn: !!window.minerights.session,
    collapsed: document.getElementById('panel').classList.contains('collapsed') }));
  await check(page, 'planner-phone-map', false);
  step('signed in, map');

  // A red line's middle, at zoom 14.
  const target = await page.evaluate(async () => {
    const m = window.minerights.map;
    const f = (await (await fetch('/ogc/collections/redlines/items?f=json&limit=1')).json()).features[0];
    const ring = (f.geometry.type === 'Polygon' ? f.geometry.coordinates : f.geometry.coordinates[0])[0];
    let x = 0, y = 0;
    ring.slice(1).forEach((p) => { x += p[0]; y += p[1]; });
    const c = [x / (ring.length - 1), y / (ring.length - 1)];
    m.jumpTo({ center: c, zoom: 14 });
    await new Promise((ok) => m.once('idle', ok));
    const p = m.project(c);
    return { x: p.x, y: p.y };
  });
  await page.click('#panel-toggle');
  result.whatifVisible = await page.isVisible('#whatif');
  await check(page, 'planner-phone-panel', false);
  await page.click('#whatif-draw');
  result.panelOutOfTheWay = await page.evaluate(() => document.getElementById('panel').classList.contains('collapsed'));
  const d = 50;
  for (const [dx, dy] of [[-d, -d], [d, -d], [d, d], [-d, d]]) {
    await page.mouse.click(target.x + dx, target.y + dy);
    await page.waitForTimeout(200);
  }
  await page.mouse.click(target.x - d, target.y + d); // the last corner again ends the polygon
  await page.waitForFunction(() => !document.getElementById('whatif-run').disabled, null, { timeout: 120000 });
  result.drawn = await page.evaluate(() => window.minerights.ensureDraw().getAll().features.map((f) => f.geometry.coordinates[0].length));
  await page.screenshot({ path: SHOTS + '/planner-phone-drawn.png' });
  if (await page.evaluate(() => document.getElementById('panel').classList.contains('collapsed'))) await page.click('#panel-toggle');
  await page.fill('#whatif-top', '300');
  await page.fill('#whatif-bottom', '100');
  await page.click('#whatif-run');
  await page.waitForFunction(() => document.getElementById('whatif-result').dataset.verdict || /未能/.test(document.getElementById('whatif-status').textContent), null, { timeout: 120000 });
  result.whatif = await page.evaluate(() => ({ verdict: document.getElementById('whatif-result').dataset.verdict || '',
    status: document.getElementById('whatif-status').textContent, text: document.getElementById('whatif-result').innerText.replace(/\s+/g, ' ') }));
  await page.$eval('#whatif-result', (e) => e.scrollIntoView());
  await check(page, 'planner-phone-whatif', false);
  const words = await page.evaluate(() => document.getElementById('whatif-result').innerText);
  // Feature ids (redline-003) are codes: a token with a digit is left out.
  for (const tok of words.split(/[\s,，。：:;；、()（）]+/)) {
    if (/\d/.test(tok)) continue;
    for (const w of tok.match(/[A-Za-z]{2,}/g) || []) if (!latinAllowed.has(w)) result.latin.push(w);
  }
  result.overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  step('what-if');
  console.log(JSON.stringify(result));
} catch (e) {
  result.failedAt = e && e.message;
  console.log(JSON.stringify(result));
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
