// Builds the React page (page/app.jsx + page/index.html) with esbuild into a static directory.
import { copyFileSync, mkdirSync } from 'node:fs';
import path from 'node:path';
import * as esbuild from 'esbuild';
import { INTEROP_DIR } from './servers.mjs';

export async function buildPage(outDir) {
  mkdirSync(outDir, { recursive: true });
  await esbuild.build({
    entryPoints: [path.join(INTEROP_DIR, 'page', 'app.jsx')],
    outfile: path.join(outDir, 'app.js'),
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'chrome120',
    jsx: 'automatic',
    minify: false,
    sourcemap: 'inline',
    define: { 'process.env.NODE_ENV': '"production"' },
    logLevel: 'silent',
  });
  copyFileSync(path.join(INTEROP_DIR, 'page', 'index.html'), path.join(outDir, 'index.html'));
  return outDir;
}
