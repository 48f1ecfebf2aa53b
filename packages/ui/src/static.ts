// The front-end files, from this package: its public/ directory and the vendored ES modules of
// Preact and htm (resolved from node_modules). The table of names is made once at start, so a
// request path is only ever a key in it, never part of a file path. The page gets a fresh CSP
// nonce for its one inline script (the import map).
import { randomBytes } from 'node:crypto';
import { readdir, readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { join, relative, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Context } from 'hono';
import { mediaTypeOf } from './files.js';

const PUBLIC = fileURLToPath(new URL('../public/', import.meta.url));
const require = createRequire(import.meta.url);

/** Vendored modules: URL name → file in node_modules. */
const VENDOR: Record<string, string> = {
  'preact.mjs': require.resolve('preact'),
  'hooks.mjs': require.resolve('preact/hooks'),
  'htm.mjs': require.resolve('htm').replace(/htm\.js$/, 'htm.mjs'),
};

const TYPES: Record<string, string> = { '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8', '.css': 'text/css; charset=utf-8', '.png': 'image/png', '.svg': 'image/svg+xml', '.html': 'text/html; charset=utf-8' };
const typeOf = (name: string) => TYPES[name.slice(name.lastIndexOf('.'))] ?? mediaTypeOf(name);

async function walk(dir: string): Promise<string[]> {
  const out: string[] = [];
  for (const entry of await readdir(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) out.push(...(await walk(path)));
    else if (entry.isFile()) out.push(path);
  }
  return out;
}

export async function staticAssets(): Promise<{ page(c: Context): Response; file(c: Context): Response }> {
  const files = new Map<string, { body: Buffer; type: string }>();
  for (const path of await walk(PUBLIC)) {
    const name = relative(PUBLIC, path).split(sep).join('/');
    if (name !== 'index.html') files.set(`/assets/${name}`, { body: await readFile(path), type: typeOf(name) });
  }
  for (const [name, path] of Object.entries(VENDOR)) files.set(`/assets/vendor/${name}`, { body: await readFile(path), type: typeOf(name) });
  const page = await readFile(join(PUBLIC, 'index.html'), 'utf8');
  return {
    page(c) {
      const nonce = randomBytes(16).toString('base64');
      c.header('Content-Security-Policy', `default-src 'none'; script-src 'self' 'nonce-${nonce}'; style-src 'self'; img-src 'self' data:; media-src 'self'; connect-src 'self'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'`);
      return c.html(page.replaceAll('{{nonce}}', nonce));
    },
    file(c) {
      const found = files.get(new URL(c.req.url).pathname);
      if (!found) return c.json({ error: { code: 'NOT_FOUND', message: 'Not found.' } }, 404);
      return new Response(new Uint8Array(found.body), { headers: { 'Content-Type': found.type, 'Cache-Control': 'private, max-age=3600' } });
    },
  };
}
