// What the browser tests (map.mjs, basemap.mjs, planner-map.mjs,
// bidders.mjs) share: Debian's Chromium started through playwright-core,
// and the way a run that fails reports what it saw.
import { chromium } from 'playwright-core';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

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
