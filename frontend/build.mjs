// Bundles the tab into the Python package's static folder. Run by
// setup_frontend.py at package build/install time; the output is never
// committed (tb_curvecheck/static/.gitignore).
import { build } from 'esbuild';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import fs from 'node:fs';

const here = path.dirname(fileURLToPath(import.meta.url));
const outdir = path.resolve(here, '..', 'tb_curvecheck', 'static');
fs.mkdirSync(outdir, { recursive: true });

const started = Date.now();
await build({
  entryPoints: [path.join(here, 'src', 'index.js')],
  bundle: true,
  format: 'esm',
  target: ['es2020'],
  minify: process.env.CURVECHECK_DEV !== '1',
  sourcemap: false,
  // CSS travels inside the module and is added as a <style> element: one file
  // to serve, and TensorBoard's CSP allows inline styles (not inline scripts).
  loader: { '.css': 'text' },
  legalComments: 'eof',
  outfile: path.join(outdir, 'index.js'),
  logLevel: 'warning',
});
const size = fs.statSync(path.join(outdir, 'index.js')).size;
console.log(`curvecheck frontend: wrote ${path.relative(process.cwd(), path.join(outdir, 'index.js'))} (${(size / 1024).toFixed(1)} KiB) in ${Date.now() - started} ms`);
