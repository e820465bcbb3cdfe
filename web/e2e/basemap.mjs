// Browser test of the optional base map, run by the Go test
// TestWebMapBasemapInChromium:
//   node web/e2e/basemap.mjs URL OUT.png
// The server is configured with a base map on another host: the page must
// fetch nothing from it until the user turns the base map on, and then draw
// its tiles. Prints one JSON line with the requests it saw.
import { launchMapBrowser, failed } from './browser.mjs';

const [url, out] = process.argv.slice(2);
if (!url || !out) {
  console.error('usage: node basemap.mjs URL OUT.png');
  process.exit(2);
}
const { browser, close } = await launchMapBrowser({ viewport: { width: 1024, height: 700 } });
const result = { errors: [], offsiteBefore: [], offsiteAfter: [] };
try {
  const page = await browser.newPage();
  const origin = new URL(url).origin;
  let on = false;
  page.on('pageerror', (e) => result.errors.push(String(e)));
  page.on('request', (r) => {
    const u = r.url();
    if (!u.startsWith(origin) && !u.startsWith('blob:') && !u.startsWith('data:')) (on ? result.offsiteAfter : result.offsiteBefore).push(u);
  });
  await page.goto(url, { waitUntil: 'load' });
  await page.waitForFunction(() => window.minerights && (window.minerights.ready || window.minerights.error), null, { timeout: 180000 });
  result.toggle = await page.evaluate(() => {
    const b = document.getElementById('toggle-basemap');
    return b && { checked: b.checked, label: b.parentElement.textContent.trim() };
  });
  await page.evaluate(async () => { const m = window.minerights.map; if (!m.loaded()) await new Promise((ok) => m.once('idle', ok)); });
  on = true;
  await page.click('#toggle-basemap');
  await page.evaluate(async () => { const m = window.minerights.map; await new Promise((ok) => m.once('idle', ok)); });
  result.visibility = await page.evaluate(() => window.minerights.map.getLayoutProperty('basemap', 'visibility'));
  result.attribution = await page.evaluate(() => document.querySelector('.maplibregl-ctrl-attrib-inner')?.textContent || '');
  await page.screenshot({ path: out });
  console.log(JSON.stringify(result));
} catch (e) {
  failed(result, e);
} finally {
  await close();
}
