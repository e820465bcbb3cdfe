// Browser test of the planner's map, run by the Go test
// TestPlannerMapInChromium:
//   node web/e2e/planner-map.mjs URL OUTDIR PLANNER_TOKEN
// Drives Debian's Chromium through playwright-core as three visitors: the
// public (desktop), a planner (desktop; the token is put in sessionStorage
// before the page loads, never in a URL) and the public on a phone
// (390×844). Each view is checked with axe-core and photographed into
// OUTDIR. Prints one JSON object with what it saw; the Go test judges it.
// Exits non-zero when the page could not be driven at all.
import { mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import { launchMapBrowser, failed } from './browser.mjs';

const [url, out, plannerToken] = process.argv.slice(2);
if (!url || !out || !plannerToken) {
  console.error('usage: node planner-map.mjs URL OUTDIR PLANNER_TOKEN');
  process.exit(2);
}
mkdirSync(out, { recursive: true });
const require = createRequire(import.meta.url);
const axeSource = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');
const origin = new URL(url).origin;
const { browser, close } = await launchMapBrowser({ viewport: { width: 1280, height: 860 }, acceptDownloads: true });
const result = { errors: [], offsite: [], screenshots: [] };

async function open(name, { token, viewport } = {}) {
  const page = await browser.newPage();
  // The machines that run the tests are shared and slow: generous bounds.
  page.setDefaultTimeout(120000);
  if (viewport) await page.setViewportSize(viewport);
  page.on('pageerror', (e) => result.errors.push(name + ': ' + String(e)));
  page.on('console', (m) => { if (m.type() === 'error' && !/Failed to load resource/.test(m.text())) result.errors.push(name + ' console: ' + m.text()); });
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) result.offsite.push(u);
    if (/[?&](token|access_token)=/.test(u)) result.offsite.push('token in URL: ' + u);
  });
  if (token) await page.addInitScript((t) => window.sessionStorage.setItem('minerights.token', t), token);
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.minerights && (window.minerights.ready || window.minerights.error), null, { timeout: 180000 });
  const err = await page.evaluate(() => window.minerights.error);
  if (err) throw new Error(name + ': map failed: ' + err);
  return page;
}

async function shot(page, name) {
  const path = join(out, name + '.png');
  await page.screenshot({ path });
  result.screenshots.push(path);
}

// axe-core on the whole page: the serious and critical violations.
async function axe(page) {
  await page.evaluate(axeSource);
  return page.evaluate(async () => {
    const r = await window.axe.run(document, { resultTypes: ['violations'] });
    return r.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
      .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
  });
}

// What the map shows: roles, verdicts by feature state, labels, legend.
async function seen(page) {
  return page.evaluate(() => {
    const s = window.minerights, m = s.map;
    const state = {};
    for (let id = 1; id <= s.parcelCount; id++) {
      const fs = m.getFeatureState({ source: 'parcels', sourceLayer: 'parcels', id });
      if (fs && fs.verdict) state[id] = fs.verdict;
    }
    const labels = {};
    for (const l of m.getStyle().layers) {
      if (l.type !== 'symbol') continue;
      labels[l.id] = m.queryRenderedFeatures({ layers: [l.id] }).length;
    }
    return {
      role: s.role, scope: s.scope, colourBy: s.colourBy, verdictState: state, labels, zoom: m.getZoom(),
      panelText: document.getElementById('panel').innerText,
      legend: [...document.querySelectorAll('#legend li[data-colour]')].map((li) => ({ colour: li.dataset.colour, group: li.dataset.group, text: li.textContent.trim() })),
      layers: [...document.querySelectorAll('#layers label')].map((l) => ({ text: l.textContent.trim(), colour: l.dataset.colour, collection: l.dataset.collection })),
      whatifVisible: !document.getElementById('whatif').hidden,
    };
  });
}

// The centre of a feature's largest ring, as the page computes it, and the
// zoom to see it.
async function jumpToFeature(page, collection, id, zoom) {
  return page.evaluate(async ({ collection, id, zoom }) => {
    const m = window.minerights.map;
    const f = await (await fetch(`/ogc/collections/${collection}/items/${id}?f=json`)).json();
    const polys = f.geometry.type === 'Polygon' ? [f.geometry.coordinates] : f.geometry.coordinates;
    let ring = polys[0][0];
    let x = 0, y = 0;
    ring.slice(1).forEach((p) => { x += p[0]; y += p[1]; });
    const c = [x / (ring.length - 1), y / (ring.length - 1)];
    document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove());
    m.jumpTo({ center: c, zoom });
    await new Promise((ok) => m.once('idle', ok));
    const p = m.project(c);
    return { x: p.x, y: p.y, lngLat: c, name: f.properties.name };
  }, { collection, id, zoom });
}

async function popupText(page) {
  await page.waitForSelector('#popup[data-loaded=true]', { timeout: 120000 });
  await page.evaluate(async () => { const m = window.minerights.map; if (!m.loaded()) await new Promise((ok) => m.once('idle', ok)); });
  return (await page.textContent('#popup')).replace(/\s+/g, ' ').trim();
}

try {
  // 1. The public, on a desktop.
  const pub = await open('public');
  result.public = await seen(pub);
  await pub.click('input[name=colour][value=verdict]');
  result.public.afterSwitch = await seen(pub);
  await shot(pub, '01-public-verdicts');
  result.public.axe = await axe(pub);

  // Parcel 1: registered, with a report the public must not see.
  const p1 = await jumpToFeature(pub, 'parcels', 1, 14);
  await pub.mouse.click(p1.x, p1.y);
  result.public.parcelPopup = await popupText(pub);
  await shot(pub, '02-public-parcel-popup');

  // A red line: a check-layer feature's popup with its attributes.
  const redline = await pub.evaluate(async () => (await (await fetch('/ogc/collections/redlines/items?f=json&limit=1')).json()).features[0].id);
  const r = await jumpToFeature(pub, 'redlines', redline, 14);
  await pub.mouse.click(r.x, r.y);
  result.public.featurePopup = await popupText(pub);
  result.public.featurePopupKind = await pub.getAttribute('#popup', 'data-collection');
  result.public.featureName = r.name;
  result.public.labelsAtFeature = (await seen(pub)).labels;
  await shot(pub, '03-public-redline-popup');

  // Search by county, by 公告序号 and by name.
  result.public.search = {};
  for (const q of ['确山', '5', '花岗岩']) {
    await pub.fill('#q', q);
    await pub.click('#search button[type=submit]');
    await pub.waitForFunction(() => !/正在查找/.test(document.getElementById('results').textContent));
    result.public.search[q] = [...(await pub.$$eval('#results li', (ls) => ls.map((l) => l.textContent.trim())))];
  }
  // A result takes the map to the parcel and opens it.
  await pub.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
  await pub.click('#results [data-parcel="0"]');
  result.public.searchPopup = await popupText(pub);
  await shot(pub, '04-public-search');

  // Downloads of the view.
  await pub.evaluate(async () => {
    const m = window.minerights.map;
    document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove());
    const b = window.minerights.collections.find((x) => x.id === 'parcels').extent.spatial.bbox[0];
    m.fitBounds([[b[0], b[1]], [b[2], b[3]]], { padding: 40, duration: 0 });
    await new Promise((ok) => m.once('idle', ok));
  });
  const [gj] = await Promise.all([pub.waitForEvent('download'), pub.click('#dl-geojson')]);
  const doc = JSON.parse(readFileSync(await gj.path(), 'utf8'));
  result.public.geojson = { name: gj.suggestedFilename(), features: doc.features.length,
    collections: [...new Set(doc.features.map((f) => f.properties.collection))].sort(),
    parcels: doc.features.filter((f) => f.properties.collection === 'parcels').length };
  const [txt] = await Promise.all([pub.waitForEvent('download'), pub.click('#dl-txt')]);
  const text = readFileSync(await txt.path(), 'utf8');
  result.public.txt = { name: txt.suggestedFilename(), headers: (text.match(/\[地块坐标\]/g) || []).length,
    blocks: text.split(/\r?\n/).filter((l) => /,@\s*$/.test(l)).length, text };
  result.public.downloadStatus = await pub.textContent('#download-status');
  await pub.close();

  // 2. A planner, on a desktop.
  const pl = await open('planner', { token: plannerToken });
  result.planner = await seen(pl);
  await shot(pl, '05-planner-verdicts');
  const q1 = await jumpToFeature(pl, 'parcels', 1, 14);
  await pl.mouse.click(q1.x, q1.y);
  result.planner.parcelPopup = await popupText(pl);
  await shot(pl, '06-planner-parcel-report');

  // What-if by drawing: a square over a red line, with an elevation range.
  await pl.evaluate(() => document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove()));
  const t = await jumpToFeature(pl, 'redlines', redline, 14);
  await pl.click('#whatif-draw');
  const d = 60;
  for (const [dx, dy] of [[-d, -d], [d, -d], [d, d], [-d, d]]) {
    await pl.mouse.click(t.x + dx, t.y + dy);
    await pl.waitForTimeout(150);
  }
  await pl.keyboard.press('Enter');
  await pl.waitForFunction(() => !document.getElementById('whatif-run').disabled, null, { timeout: 120000 });
  result.planner.drawn = await pl.evaluate(() => window.minerights.ensureDraw().getAll().features.map((f) => f.geometry.coordinates[0].length));
  await pl.fill('#whatif-top', '300');
  await pl.fill('#whatif-bottom', '100');
  await pl.click('#whatif-run');
  await pl.waitForFunction(() => document.getElementById('whatif-result').dataset.verdict || /未能/.test(document.getElementById('whatif-status').textContent), null, { timeout: 120000 });
  result.planner.whatif = await pl.evaluate(() => ({
    verdict: document.getElementById('whatif-result').dataset.verdict || null,
    status: document.getElementById('whatif-status').textContent,
    text: document.getElementById('whatif-result').innerText.replace(/\s+/g, ' '),
    report: window.minerights.whatif,
    hitLayers: window.minerights.hits.slice(),
  }));
  await pl.evaluate(async () => { const m = window.minerights.map; m.triggerRepaint(); await new Promise((ok) => m.once('idle', ok)); });
  await shot(pl, '07-planner-whatif');
  result.planner.axe = await axe(pl);

  // What-if from a 国土 TXT file: parcel 3's own corners, which overlap
  // parcel 3 as registered.
  const corners = await pl.evaluate(async () => (await fetch('/api/v1/parcels/3/corners')).text());
  await pl.click('#whatif-clear');
  await pl.setInputFiles('#whatif-file', { name: '地块3.txt', mimeType: 'text/plain', buffer: Buffer.from(corners, 'utf8') });
  await pl.waitForFunction(() => !document.getElementById('whatif-run').disabled, null, { timeout: 120000 });
  result.planner.txtSource = await pl.textContent('#whatif-source');
  await pl.click('#whatif-run');
  await pl.waitForFunction(() => document.getElementById('whatif-result').dataset.verdict && /完成|未能/.test(document.getElementById('whatif-status').textContent), null, { timeout: 120000 });
  result.planner.whatifTXT = await pl.evaluate(() => ({
    verdict: document.getElementById('whatif-result').dataset.verdict || null,
    status: document.getElementById('whatif-status').textContent,
    text: document.getElementById('whatif-result').innerText.replace(/\s+/g, ' '),
    report: window.minerights.whatif,
    hitLayers: window.minerights.hits.slice(),
  }));
  await pl.close();

  // 3. The public on a phone: the panel starts collapsed and opens.
  const ph = await open('phone', { viewport: { width: 390, height: 844 } });
  result.phone = await ph.evaluate(() => {
    const panel = document.getElementById('panel'), map = document.getElementById('map').getBoundingClientRect();
    return { collapsed: panel.classList.contains('collapsed'), panelVisible: panel.offsetParent !== null,
      expanded: document.getElementById('panel-toggle').getAttribute('aria-expanded'), mapWidth: map.width, mapHeight: map.height };
  });
  await shot(ph, '08-phone-collapsed');
  result.phone.axeCollapsed = await axe(ph);
  await ph.click('#panel-toggle');
  result.phone.afterToggle = await ph.evaluate(() => {
    const r = document.getElementById('panel').getBoundingClientRect();
    return { visible: document.getElementById('panel').offsetParent !== null, width: r.width, height: r.height,
      expanded: document.getElementById('panel-toggle').getAttribute('aria-expanded') };
  });
  await shot(ph, '09-phone-panel-open');
  result.phone.axeOpen = await axe(ph);
  await ph.close();
  console.log(JSON.stringify(result));
} catch (e) {
  failed(result, e);
} finally {
  await close();
}
