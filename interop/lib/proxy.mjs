// A same-origin front for the browser test: serves the static page at / and forwards /api/* to an
// upstream server (method, path, headers with cookies, body), passing every Set-Cookie back. Like a
// real reverse proxy it sends the upstream's own Host plus X-Forwarded-Host/-Proto/-For, so the
// upstream must take its public origin from configuration, not from the request.
import { readFileSync } from 'node:fs';
import http from 'node:http';
import path from 'node:path';

const HOP = new Set(['connection', 'keep-alive', 'proxy-connection', 'transfer-encoding', 'upgrade', 'te', 'trailer']);
const TYPES = { '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8' };

/** Starts the proxy on 127.0.0.1 (any free port). Set `upstream` (an origin) before the first API
 * call. Every forwarded exchange is pushed to `log`. */
export async function startProxy({ staticDir }) {
  const state = { upstream: null, log: [] };
  const server = http.createServer((req, res) => {
    const url = new URL(req.url, 'http://x');
    if (url.pathname.startsWith('/api/')) return forward(req, res);
    const file = url.pathname === '/' ? 'index.html' : url.pathname.slice(1);
    const type = TYPES[path.extname(file)];
    if (!type || file.includes('..') || file.includes('/')) {
      res.writeHead(404).end();
      return;
    }
    try {
      const body = readFileSync(path.join(staticDir, file));
      res.writeHead(200, { 'content-type': type, 'cache-control': 'no-store' }).end(body);
    } catch {
      res.writeHead(404).end();
    }
  });

  function forward(req, res) {
    const up = new URL(state.upstream);
    const headers = {};
    for (let i = 0; i < req.rawHeaders.length; i += 2) {
      const k = req.rawHeaders[i].toLowerCase();
      if (HOP.has(k) || k === 'host') continue;
      headers[k] = headers[k] === undefined ? req.rawHeaders[i + 1] : `${headers[k]}, ${req.rawHeaders[i + 1]}`;
    }
    headers.host = up.host;
    headers['x-forwarded-host'] = req.headers.host;
    headers['x-forwarded-proto'] = 'http';
    headers['x-forwarded-for'] = req.socket.remoteAddress;
    const chunks = [];
    req.on('data', (c) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const entry = {
        method: req.method, path: req.url, requestHeaders: req.headers, requestBody: body.toString(),
        status: 0, setCookies: [], responseBody: '',
      };
      state.log.push(entry);
      const preq = http.request({ host: up.hostname, port: up.port, method: req.method, path: req.url, headers, timeout: 15_000 }, (pres) => {
        const out = [];
        for (let i = 0; i < pres.rawHeaders.length; i += 2) {
          if (!HOP.has(pres.rawHeaders[i].toLowerCase())) out.push(pres.rawHeaders[i], pres.rawHeaders[i + 1]);
        }
        entry.status = pres.statusCode;
        entry.setCookies = pres.headers['set-cookie'] ?? [];
        const rchunks = [];
        pres.on('data', (c) => rchunks.push(c));
        pres.on('end', () => {
          const rbody = Buffer.concat(rchunks);
          entry.responseBody = rbody.toString();
          res.writeHead(pres.statusCode, pres.statusMessage, out).end(rbody);
        });
      });
      preq.on('timeout', () => preq.destroy(new Error('upstream timeout')));
      preq.on('error', (err) => {
        entry.status = 502;
        entry.responseBody = String(err);
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'text/plain' });
        res.end(String(err));
      });
      preq.end(body);
    });
  }

  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return {
    origin: `http://127.0.0.1:${server.address().port}`,
    port: server.address().port,
    state,
    close: () => new Promise((resolve) => {
      server.closeAllConnections?.();
      server.close(() => resolve());
    }),
  };
}
