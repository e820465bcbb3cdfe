// Browser test of the web map, run by the Go test TestWebMapInChromium:
//   node web/e2e/map.mjs URL OUT.png
// Opens the map in headless Chromium (Debian's, through playwright-core),
// checks that the 11 parcels and the counties are drawn, switches layers,
// clicks a parcel, reads its popup and saves a screenshot. Prints one JSON
// line with what it saw; exits non-zero on any failure.
import { launchMapBrowser, failed } from './browser.mjs';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node map.mjs URL OUT.png');
  process.exit(2);
}
const { browser, close } = await launchMapBrowser({ viewport: { width: 1280, height: 860 } });
const result = { errors: [], offsite: [] };
try {
  const page = await browser.newPage();
  const origin = new URL(url).origin;
  page.on('pageerror', (e) => result.errors.push(String(e)));
  page.on('request', (r) => { if (!r.url().startsWith(origin) && !r.url().startsWith('blob:') && !r.url().startsWith('data:')) result.offsite.push(r.url()); });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.minerights && (window.minerights.ready || window.minerights.error), null, { timeout: 180000 });
  const err = await page.evaluate(() => window.minerights.error);
  if (err) throw new Error('map failed: ' + err);

  // What the overview shows: parcels (tile features and dots) and counties.
  const seen = await page.evaluate(() => {
    const m = window.minerights.map;
    const ids = new Set(m.querySourceFeatures('parcels', { sourceLayer: 'parcels' }).map((f) => f.id));
    const dots = m.queryRenderedFeatures({ layers: ['parcels-dot'] }).length;
    const counties = new Set(m.queryRenderedFeatures({ layers: ['counties-fill'] }).map((f) => f.properties.code));
    return { parcelIds: [...ids].sort((a, b) => a - b), dots, counties: counties.size, zoom: m.getZoom(),
      layers: [...document.querySelectorAll('#layers input')].map((i) => i.id) };
  });
  Object.assign(result, seen);

  // Switch layers: hide the counties and show every check layer, then back.
  const switched = [];
  for (const id of seen.layers) {
    const before = await page.isChecked('#' + id);
    await page.click('#' + id);
    const layer = id.replace('toggle-', '') + (id === 'toggle-parcels' ? '-fill' : id === 'toggle-counties' ? '-fill' : '-fill');
    const vis = await page.evaluate((l) => window.minerights.map.getLayoutProperty(l, 'visibility') || 'visible', layer);
    switched.push({ id, from: before, visibility: vis });
    await page.click('#' + id);
  }
  result.switched = switched;
  await page.click('input[name=colour][value=verdict]');
  result.colourBy = await page.evaluate(() => window.minerights.colourBy);
  await page.click('input[name=colour][value=status]');

  // Click parcel 1: fly to it, click its centre, read the popup.
  const target = await page.evaluate(async () => {
    const m = window.minerights.map;
    const r = await fetch('/ogc/collections/parcels/items/1?f=json');
    const f = await r.json();
    const ring = f.geometry.coordinates[0][0];
    let x = 0, y = 0;
    ring.slice(1).forEach((p) => { x += p[0]; y += p[1]; });
    const c = [x / (ring.length - 1), y / (ring.length - 1)];
    m.jumpTo({ center: c, zoom: 14 });
    await new Promise((ok) => m.once('idle', ok));
    const p = m.project(c);
    return { x: p.x, y: p.y, name: f.properties.name };
  });
  await page.mouse.click(target.x, target.y);
  await page.waitForSelector('#popup[data-loaded=true]', { timeout: 30000 });
  result.popup = (await page.textContent('#popup')).replace(/\s+/g, ' ').trim();
  result.expectedName = target.name;

  // Back to the overview, popup closed, for the screenshot.
  await page.evaluate(async () => {
    const m = window.minerights.map;
    document.querySelectorAll('.maplibregl-popup').forEach((p) => p.remove());
    const c = window.minerights.collections.find((x) => x.id === 'parcels').extent.spatial.bbox[0];
    m.fitBounds([[c[0], c[1]], [c[2], c[3]]], { padding: { top: 60, bottom: 60, left: 300, right: 60 }, duration: 0 });
    await new Promise((ok) => m.once('idle', ok));
  });
  await page.screenshot({ path: out });
  console.log(JSON.stringify(result));
} catch (e) {
  failed(result, e);
} finally {
  await close();
}
