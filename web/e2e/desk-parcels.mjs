// Browser test of the bureau's desk, parcels part, run by the Go test
// TestDeskParcelsInChromium:
//   BASE=http://127.0.0.1:PORT LOGIN=e-mail PASSWORD=... GOOD=file BAD=file SHOTS=DIR node web/e2e/desk-parcels.mjs
// A clerk signs in, reads the desk's home (with its calendar warning) and
// the parcels table, filters it by county, registers a parcel by uploading a
// 国土 TXT file — first one whose boundary crosses itself, read the message
// at its line and corners, then the fixed file — previews the map and the
// computed area, saves, runs the compliance check and reads the report. The
// same pages at a phone's size. axe-core on every page; a screenshot of
// each goes to SHOTS. Prints one JSON line with what it saw; exits non-zero
// on any failure.
import { launchPagesBrowser, latinWords } from './browser.mjs';
import { mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';

const { BASE, LOGIN, PASSWORD, GOOD, BAD, SHOTS } = process.env;
// A new version of the mountains layer: one feature with many vertices
// (under the 10,000 a polygon may have), about 200 KiB.
const ring = [];
for (let i = 0; i < 8000; i++) {
  const a = (2 * Math.PI * i) / 8000;
  ring.push([+(113.4 + 0.01 * Math.cos(a)).toFixed(9), +(32.8 + 0.01 * Math.sin(a)).toFixed(9)]);
}
ring.push(ring[0]);
const LAYER = JSON.stringify({ type: 'FeatureCollection', features: [{ type: 'Feature', id: 'mountain-e2e',
  properties: { name: '测试山体' }, geometry: { type: 'Polygon', coordinates: [ring] } }] });
if (!BASE || !LOGIN || !PASSWORD || !GOOD || !BAD || !SHOTS) {
  console.error('usage: BASE=... LOGIN=... PASSWORD=... GOOD=file BAD=file SHOTS=DIR node desk-parcels.mjs');
  process.exit(2);
}
mkdirSync(SHOTS, { recursive: true });
const result = { errors: [], offsite: [], axe: [], pages: [], steps: [], latin: [] };
const t0 = Date.now();
const step = (s) => result.steps.push(`${((Date.now() - t0) / 1000).toFixed(1)}s ${s}`);

const pages = await launchPagesBrowser(result, BASE, SHOTS, { defaultTimeout: 30000 });
const { browser, context, text } = pages;
// check runs axe-core and keeps the screenshot, and records any English
// word on the page.
async function check(page, name, full) {
  await pages.check(page, name, full);
  for (const w of await latinWords(page)) result.latin.push(`${name}: ${w}`);
}
// mapSeen waits for the parcel's MapLibre map to draw and reads what it drew.
async function mapSeen(page) {
  await page.waitForSelector('#desk-map[data-state=loaded], #desk-map[data-state=no-webgl]', { timeout: 30000 });
  return page.$eval('#desk-map', (e) => ({ state: e.dataset.state, parcel: +e.dataset.parcel || 0, corners: +e.dataset.corners || 0,
    overlaps: +e.dataset.overlaps || 0, labels: +e.dataset.labels || 0, error: e.dataset.error || '' }));
}

async function signIn(page) {
  await page.goto(BASE + '/desk');
  await page.waitForURL('**/login?next=*');
  await page.fill('#login', LOGIN);
  await page.fill('#password', PASSWORD);
  await Promise.all([page.waitForURL('**/desk'), page.click('main button[type=submit]')]);
}

async function fillForm(page) {
  await page.fill('#name', '河南省泌阳县刘庄饰面花岗岩矿（浏览器登记）');
  await page.selectOption('#county', '411726');
  await page.fill('#mineral', '饰面用花岗岩');
  await page.fill('#top', '692');
  await page.fill('#bottom', '192');
  await page.fill('#price', '1234.5');
}

try {
  const ctx = await context({ viewport: { width: 1280, height: 900 } });
  const page = await ctx.newPage();
  await signIn(page);
  step('signed in');
  result.home = await text(page, 'main');
  result.calendarWarning = (await page.$('#calendar-warning')) ? await text(page, '#calendar-warning') : '';
  await check(page, 'desk-home');

  await page.click('.desk-nav a[href="/desk/parcels"]');
  await page.waitForSelector('#parcels');
  result.parcelRows = await page.$$eval('#parcels tbody tr', (rs) => rs.length);
  await check(page, 'desk-parcels');
  await page.selectOption('select[name=county]', '泌阳县');
  await Promise.all([page.waitForURL('**county=*'), page.click('form.filters button[type=submit]')]);
  result.filteredCounties = await page.$$eval('#parcels tbody tr td:nth-child(3)', (cs) => [...new Set(cs.map((c) => c.textContent.trim()))]);
  await check(page, 'desk-parcels-filtered');
  step('parcels table');

  // Register: the self-intersecting file first.
  await page.goto(BASE + '/desk/parcels/new');
  await check(page, 'desk-parcel-new');
  await fillForm(page);
  await page.setInputFiles('#file', { name: '刘庄-有误.txt', mimeType: 'text/plain', buffer: readFileSync(BAD) });
  await Promise.all([page.waitForSelector('#problems'), page.click('#preview-button')]);
  result.problem = await text(page, '#problems tbody');
  result.problemAlert = await text(page, '#page-error');
  result.saveOfferedOnError = !!(await page.$('#save-button'));
  await check(page, 'desk-parcel-new-error');
  step('self-intersection shown');

  // The fixed file: preview with the map and the area, then save.
  await page.setInputFiles('#file', { name: '刘庄.txt', mimeType: 'text/plain', buffer: readFileSync(GOOD) });
  await Promise.all([page.waitForSelector('#preview'), page.click('#preview-button')]);
  result.previewArea = await text(page, '#preview-area');
  result.previewMapDrawn = await mapSeen(page);
  result.previewMap = result.previewMapDrawn.state === 'loaded' && result.previewMapDrawn.parcel > 0;
  result.previewCorners = await page.$$eval('#preview #corner-table tbody tr', (rs) => rs.length);
  await check(page, 'desk-parcel-preview');
  await Promise.all([page.waitForURL('**/desk/parcels/*?done=created'), page.click('#save-button')]);
  result.parcelURL = page.url();
  result.figures = await text(page, '#figures');
  result.noReport = await text(page, '#no-report');
  await check(page, 'desk-parcel');
  step('parcel saved');

  // Run the check and read the report.
  await Promise.all([page.waitForURL('**done=checked*'), page.click('#run-check')]);
  result.verdict = await text(page, '#verdict');
  result.checks = await page.$$eval('table.checks tbody tr', (rs) => rs.map((r) => r.querySelector('td:nth-child(1)').textContent.trim() + '｜' +
    r.querySelector('td:nth-child(2)').textContent.trim() + '｜' + r.querySelector('td:nth-child(3) div').textContent.trim()));
  result.layers = await text(page, '#layer-versions');
  result.reportMap = await mapSeen(page);
  result.overlaps = (await page.$('#overlaps')) ? await text(page, '#overlaps tbody') : '';
  result.legend = await text(page, '#desk-map-legend');
  await page.$eval('#desk-map', (e) => e.scrollIntoView());
  await page.screenshot({ path: join(SHOTS, 'desk-parcel-map.png') });
  await check(page, 'desk-parcel-report');
  step('report read');

  // The rule table, a layer version uploaded with its progress, the calendars.
  await page.goto(BASE + '/desk/compliance');
  await check(page, 'desk-rules');
  await page.goto(BASE + '/desk/layers');
  await check(page, 'desk-layers');
  await page.fill('#layer-name', 'mountains');
  await page.fill('#layer-source', '驻马店市林业局 2026-11（浏览器上传）');
  await page.setInputFiles('#layer-file', { name: 'mountains.geojson', mimeType: 'application/geo+json', buffer: Buffer.from(LAYER) });
  const progress = [];
  const watcher = setInterval(async () => { try { progress.push(await text(page, '#upload-status')); } catch { /* navigating */ } }, 20);
  await page.click('#layer-submit');
  await page.waitForSelector('#import-summary, #layer-problems, #page-error');
  clearInterval(watcher);
  if (await page.$('#page-error')) throw new Error('layer upload refused: ' + await text(page, 'main'));
  result.uploadStatus = [...new Set(progress.filter((s) => s))];
  result.layerSummary = await text(page, '#import-summary');
  result.layerVersions = await text(page, '#layer-mountains');
  await check(page, 'desk-layers-imported');
  await page.goto(BASE + '/desk/calendars');
  result.calendars = await text(page, '#calendars');
  await check(page, 'desk-calendars');
  step('rules, layers, calendars');

  // A phone.
  const phone = await (await context({ viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 })).newPage();
  await signIn(phone);
  await check(phone, 'desk-home-phone');
  await phone.goto(result.parcelURL.replace(/\?.*/, ''));
  result.phoneOverflow = await phone.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  await check(phone, 'desk-parcel-phone');
  await phone.goto(BASE + '/desk/parcels/new');
  await check(phone, 'desk-parcel-new-phone');
  step('phone');
  console.log(JSON.stringify(result));
} catch (e) {
  console.log(JSON.stringify(result));
  console.error(e);
  process.exitCode = 1;
} finally {
  await browser.close();
}
