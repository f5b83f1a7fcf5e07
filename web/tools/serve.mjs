#!/usr/bin/env node
// web/tools/serve.mjs — a small static file server for the lab, with no dependencies.
//
// Usage: node web/tools/serve.mjs DIR [PORT]   (PORT 0 picks a free one)
// Binds 127.0.0.1 only, serves files under DIR with the right MIME types (wasm must be
// application/wasm for streaming compilation), never outside DIR.
import { createServer } from 'node:http';
import { createReadStream, existsSync, readFileSync, statSync } from 'node:fs';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

export const MIME = {
  '.html': 'text/html; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.wasm': 'application/wasm',
  '.png': 'image/png',
  '.svg': 'image/svg+xml',
  '.ico': 'image/x-icon',
  '.txt': 'text/plain; charset=utf-8',
};

function send(res, status, text) {
  res.writeHead(status, { 'Content-Type': 'text/plain; charset=utf-8', 'Content-Length': Buffer.byteLength(text) });
  res.end(text);
}

/** Maps a request path to a file inside root, or null if it would leave root. */
export function resolveInside(root, urlPath) {
  let path;
  try {
    path = decodeURIComponent(urlPath.split('?')[0].split('#')[0]);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = resolve(root, '.' + (path.startsWith('/') ? path : '/' + path));
  if (file !== root && !file.startsWith(root + sep)) return null;
  return file;
}

/** The Content-Security-Policy of an HTML text's <meta http-equiv>, or null. */
export function policyOf(html) {
  const m = /<meta\s+http-equiv=["']Content-Security-Policy["']\s+content="([^"]*)"/i.exec(html);
  return m ? m[1] : null;
}

/**
 * The policy to send as a header with `file`: an HTML file's own meta policy; for anything
 * else (scripts, the worker, wasm) the lab page's policy (root/web/index.html, or
 * root/index.html for a flat directory). A header is what puts the
 * worker under the policy too: a meta tag only covers its document. Read on every request
 * so a rebuilt site is served with its current policy.
 */
function policyFor(root, file) {
  try {
    const page = existsSync(join(root, 'web/index.html')) ? join(root, 'web/index.html') : join(root, 'index.html');
    return policyOf(readFileSync(/\.html?$/i.test(file) ? file : page, 'utf8'));
  } catch {
    return null;
  }
}

/** Creates (does not start) the server for directory dir. */
export function createStaticServer(dir) {
  const root = resolve(dir);
  return createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') return send(res, 405, 'method not allowed\n');
    let file = resolveInside(root, req.url || '/');
    if (!file) return send(res, 403, 'forbidden\n');
    let st;
    try {
      st = statSync(file);
      if (st.isDirectory()) {
        file = join(file, 'index.html');
        st = statSync(file);
      }
    } catch {
      return send(res, 404, 'not found\n');
    }
    if (!st.isFile()) return send(res, 404, 'not found\n');
    const headers = {
      'Content-Type': MIME[extname(file).toLowerCase()] || 'application/octet-stream',
      'Content-Length': st.size,
      'Cache-Control': 'no-cache',
      'X-Content-Type-Options': 'nosniff',
    };
    const policy = policyFor(root, file);
    if (policy) headers['Content-Security-Policy'] = policy;
    res.writeHead(200, headers);
    if (req.method === 'HEAD') return res.end();
    createReadStream(file).pipe(res);
  });
}

/** Starts serving dir on 127.0.0.1:port; resolves to {server, url}. */
export function serve(dir, port = 0) {
  const server = createStaticServer(dir);
  return new Promise((ok, fail) => {
    server.once('error', fail);
    server.listen(port, '127.0.0.1', () => {
      ok({ server, url: `http://127.0.0.1:${server.address().port}/` });
    });
  });
}

async function main([dir, port = '8000']) {
  if (!dir) {
    console.error('usage: node web/tools/serve.mjs DIR [PORT]');
    process.exit(2);
  }
  try {
    if (!statSync(dir).isDirectory()) throw new Error();
  } catch {
    console.error(`serve: ${dir} is not a directory (run \`make site\` first)`);
    process.exit(1);
  }
  try {
    const { url } = await serve(dir, Number(port));
    console.log(`accumlab: serving ${resolve(dir)} at ${url}  (Ctrl-C to stop)`);
  } catch (e) {
    console.error(`serve: cannot listen on 127.0.0.1:${port}: ${e.code === 'EADDRINUSE' ? 'the port is in use' : e.message}`);
    process.exit(1);
  }
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) main(process.argv.slice(2));
