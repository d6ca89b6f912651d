// Bundles the console (src/main.tsx, Preact + uPlot) with esbuild into ../dist/console:
// index.html plus content-hashed assets, so the engine can serve them as immutable files.
// Run by the engine's `npm run build`; prints the gzipped size of the main bundle.
import { build } from 'esbuild';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';

const here = dirname(fileURLToPath(import.meta.url));
const out = join(here, '..', 'dist', 'console');

rmSync(out, { recursive: true, force: true });
mkdirSync(join(out, 'assets'), { recursive: true });

const result = await build({
  entryPoints: { app: join(here, 'src', 'main.tsx') },
  bundle: true,
  format: 'esm',
  target: ['chrome110', 'firefox110', 'safari16'],
  minify: true,
  sourcemap: true,
  jsx: 'automatic',
  jsxImportSource: 'preact',
  outdir: join(out, 'assets'),
  entryNames: '[name]-[hash]',
  // Pages that need more (the usage chart's uPlot) load it as a separate chunk.
  splitting: true,
  chunkNames: 'chunk-[hash]',
  assetNames: '[name]-[hash]',
  metafile: true,
  legalComments: 'linked',
  logLevel: 'warning',
});

const outputs = Object.keys(result.metafile.outputs).map((p) => basename(p));
const js = outputs.find((f) => /^app-.*\.js$/.test(f));
const css = outputs.find((f) => /^app-.*\.css$/.test(f));
if (!js || !css) throw new Error(`the console build produced no app bundle: ${outputs.join(', ')}`);

const html = readFileSync(join(here, 'index.html'), 'utf8')
  .replace('%CSS%', `/console/assets/${css}`)
  .replace('%JS%', `/console/assets/${js}`);
writeFileSync(join(out, 'index.html'), html);

const gz = (f) => gzipSync(readFileSync(join(out, 'assets', f)), { level: 9 }).length;
const chunks = outputs.filter((f) => /^chunk-.*\.js$/.test(f));
const sizes = { js: gz(js), css: gz(css), chunks: Object.fromEntries(chunks.map((c) => [c, gz(c)])) };
// What every page loads first: the main script and the stylesheet.
const first = sizes.js + sizes.css;
writeFileSync(join(out, 'bundle-size.json'), JSON.stringify({ js, css, chunks, gzip_bytes: sizes, total_gzip_bytes: first }, null, 2));
const kib = (n) => `${(n / 1024).toFixed(1)} KiB`;
console.log(`console: ${js} ${kib(sizes.js)} + ${css} ${kib(sizes.css)} gzipped first; ${chunks.length} lazy chunk(s) ${kib(Object.values(sizes.chunks).reduce((a, b) => a + b, 0))} → ${out}`);
