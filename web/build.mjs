// Copies MapLibre GL JS and Mapbox GL Draw (the what-if polygon tool) from
// node_modules into web/static, beside the app's own files, which the Go
// binary embeds (package web), so the map needs no network at run time. Run
// `npm run build` after upgrading either; the copied files are committed.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'static');
mkdirSync(out, { recursive: true });
const versions = [];
function vendor(pkg, files, license, prefix) {
  const lib = join(here, 'node_modules', pkg);
  const version = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')).version;
  for (const f of files) cpSync(join(lib, 'dist', f), join(out, f));
  cpSync(join(lib, license), join(out, prefix + '.LICENSE.txt'));
  versions.push(`${prefix} ${version}`);
}
// The CSP worker lets the desk's pages, whose policy allows scripts only
// from 'self' (no blob: workers), load MapLibre's worker as a file
// (maplibregl.setWorkerUrl).
vendor('maplibre-gl', ['maplibre-gl.js', 'maplibre-gl.css', 'maplibre-gl-csp-worker.js'], 'LICENSE.txt', 'maplibre-gl');
vendor('@mapbox/mapbox-gl-draw', ['mapbox-gl-draw.js', 'mapbox-gl-draw.css'], 'LICENSE', 'mapbox-gl-draw');
writeFileSync(join(out, 'VERSIONS'), versions.join('\n') + '\n');
console.log(`web: ${versions.join(', ')} copied to ${out}`);
