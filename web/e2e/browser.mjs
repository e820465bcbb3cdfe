// What the browser tests (map.mjs, basemap.mjs, planner-map.mjs,
// bidders.mjs, desk-parcels.mjs, desk-sales.mjs) share: Debian's Chromium started through playwright-core,
// and the way a run that fails reports what it saw.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

// launchMapBrowser starts headless Chromium with a fresh profile (playwright
// passes it as --user-data-dir) and WebGL through SwiftShader, for the map
// pages; options (viewport, acceptDownloads, …) go to
// launchPersistentContext. close() ends the browser and removes the profile.
export async function launchMapBrowser(options) {
  const profile = mkdtempSync(join(tmpdir(), 'minerights-chromium-'));
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    ...options,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const close = async () => {
    try {
      await browser.close();
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  };
  return { browser, close };
}

// failed prints what the run saw so far as its one JSON line, the error on
// stderr, and makes the process exit non-zero.
export function failed(result, e) {
  console.log(JSON.stringify(result));
  console.error(e);
  process.exitCode = 1;
}

const axePath = join(dirname(fileURLToPath(import.meta.url)), '..', 'node_modules', 'axe-core', 'axe.min.js');

// launchPagesBrowser starts headless Chromium for the server-rendered pages
// (bidders.mjs, desk-parcels.mjs, desk-sales.mjs) and returns what their
// scripts share: context() opens a zh-CN, Beijing-time context whose pages
// record their errors and any request to a host other than base in result;
// check() runs axe-core on a page (its serious and critical violations go to
// result.axe) and keeps one screenshot per name in shots; text() reads an
// element's text with its spaces collapsed.
export async function launchPagesBrowser(result, base, shots, { defaultTimeout } = {}) {
  const browser = await chromium.launch({
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    // WebGL through SwiftShader for the pages that hold a map (desk-map.js, the planner's map).
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync', '--use-gl=angle', '--use-angle=swiftshader', '--enable-unsafe-swiftshader'],
  });
  const origin = new URL(base).origin;
  async function context(opts) {
    // bypassCSP lets the test inject axe-core; the pages themselves allow only 'self'.
    const ctx = await browser.newContext({ locale: 'zh-CN', timezoneId: 'Asia/Shanghai', bypassCSP: true, ...opts });
    if (defaultTimeout) ctx.setDefaultTimeout(defaultTimeout);
    ctx.on('page', (p) => {
      p.on('pageerror', (e) => result.errors.push(String(e)));
      p.on('request', (r) => { const u = r.url(); if (!u.startsWith(origin) && !u.startsWith('data:') && !u.startsWith('blob:')) result.offsite.push(u); });
    });
    return ctx;
  }
  const seen = new Set();
  async function check(page, name, full = true) {
    await page.addScriptTag({ path: axePath });
    const r = await page.evaluate(async () => {
      const out = await window.axe.run(document, { resultTypes: ['violations'] });
      return out.violations.filter((v) => v.impact === 'serious' || v.impact === 'critical')
        .map((v) => ({ id: v.id, impact: v.impact, nodes: v.nodes.map((n) => n.target.join(' ')).slice(0, 5) }));
    });
    for (const v of r) result.axe.push({ page: name, ...v });
    if (!seen.has(name)) {
      seen.add(name);
      result.pages.push(name);
      await page.screenshot({ path: join(shots, name + '.png'), fullPage: full });
    }
  }
  const text = (page, sel) => page.$eval(sel, (e) => e.textContent.replace(/\s+/g, ' ').trim());
  return { browser, context, check, text };
}

// latinAllowed are the Latin words a zh-CN page may show: codes and names
// of formats and systems that have no Chinese of their own.
export const latinAllowed = new Set(['EPSG', 'TXT', 'GeoJSON', 'CGCS', 'CGCS2000', 'PostGIS', 'QGIS', 'GIS', 'OGC', 'API', 'PDF', 'A4',
  'WGS', 'CRS', 'CSV', 'GB', 'MiB', 'KiB', 'SHA', 'ID', 'URL', 'JSON', 'MapLibre', 'OpenStreetMap', 'UTC', 'YAML', 'km', 'm']);

// latinWords returns the English words on a page's visible text: runs of
// two or more Latin letters outside latinAllowed, leaving out codes that
// mix letters and digits (credit codes, hashes, numbers of documents),
// e-mail addresses and what the page marks lang="en" or translate="no".
export async function latinWords(page) {
  const txt = await page.evaluate(() => {
    const clone = document.body.cloneNode(true);
    for (const e of clone.querySelectorAll('[lang=en], [translate=no], script, style, noscript, code, .mono, .hash')) e.remove();
    return clone.innerText || clone.textContent || '';
  });
  const out = new Set();
  for (const tok of txt.split(/[\s，。：；、（）()“”"'<>［］\[\]{}|,:;!?·—–\/=+*]+/)) {
    if (!tok || /\d/.test(tok) || tok.includes('@') || /^[0-9a-f]{16,}$/i.test(tok)) continue;
    // A file's name keeps its extension (刘庄.txt).
    for (const w of tok.replace(/\.[A-Za-z]{2,8}$/, '').match(/[A-Za-z]{2,}/g) || []) {
      if (!latinAllowed.has(w)) out.add(w);
    }
  }
  return [...out];
}
