// Copies MapLibre GL JS from node_modules into web/static, beside the app's
// own files, which the Go binary embeds (package web), so the map needs no
// network at run time. Run `npm run build` after upgrading maplibre-gl; the
// copied files are committed.
import { cpSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, 'static');
mkdirSync(out, { recursive: true });
const lib = join(here, 'node_modules', 'maplibre-gl');
const version = JSON.parse(readFileSync(join(lib, 'package.json'), 'utf8')).version;
for (const f of ['maplibre-gl.js', 'maplibre-gl.css']) cpSync(join(lib, 'dist', f), join(out, f));
cpSync(join(lib, 'LICENSE.txt'), join(out, 'maplibre-gl.LICENSE.txt'));
writeFileSync(join(out, 'VERSIONS'), `maplibre-gl ${version}\n`);
console.log(`web: maplibre-gl ${version} copied to ${out}`);
