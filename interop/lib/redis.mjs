// A throwaway Redis for the secondary-storage tests, as the Go tests make one (internal/redistest):
// the installed redis-server (REDIS_SERVER, PATH, /usr/bin), no persistence, on a free 127.0.0.1
// port, killed when this process exits. INTEROP_REDIS_URL uses a running server instead (its data
// is flushed by the tests that use it). Each scenario takes a database number of its own (select),
// so scenarios never see each other's keys.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { freePort } from './servers.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

function redisBinary() {
  if (process.env.REDIS_SERVER) return process.env.REDIS_SERVER;
  for (const d of [...(process.env.PATH || '').split(':'), '/usr/bin', '/usr/local/bin']) {
    if (d && existsSync(path.join(d, 'redis-server'))) return path.join(d, 'redis-server');
  }
  return null;
}

/** A client that never crashes the process when the server goes away, and gives up on a command
 * quickly while it is down. Close it with disconnect() (quit() waits for a server that may be gone). */
export function redisClient(url) {
  const c = new Redis(url, { maxRetriesPerRequest: 1 });
  c.on('error', () => {});
  return c;
}

async function ping(url, deadline) {
  let last = '';
  while (Date.now() < deadline) {
    const c = new Redis(url, { maxRetriesPerRequest: 0, retryStrategy: () => null, lazyConnect: true });
    c.on('error', () => {});
    try {
      await c.connect();
      if ((await c.ping()) === 'PONG') return;
    } catch (err) {
      last = err.message;
    } finally {
      c.disconnect();
    }
    await sleep(50);
  }
  throw new Error(`redis at ${url} not ready (${last})`);
}

/**
 * Resolves to { url(db), start(), stop(), close() } for a Redis server, or null when there is none
 * (the caller skips; under CI this fails instead). url(db) names database db (0..15) on it.
 * stop() shuts a throwaway server down saving its data (SHUTDOWN SAVE), start() starts it again on
 * the same port with that data: Redis restarting, for outage tests. close() stops it for good.
 */
export async function redisServer({ timeoutMs = 20_000 } = {}) {
  if (process.env.INTEROP_REDIS_URL) {
    const base = process.env.INTEROP_REDIS_URL.replace(/\/\d*$/, '');
    return { url: (db = 0) => `${base}/${db}`, start: async () => {}, stop: async () => {}, close: async () => {} };
  }
  const bin = redisBinary();
  if (!bin) {
    if (process.env.CI) assert.fail('no redis-server found (apt-get install redis-server) and INTEROP_REDIS_URL is unset');
    return null;
  }
  const port = await freePort();
  const base = `redis://127.0.0.1:${port}`;
  const dir = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-redis-'));
  const cleanup = () => rmSync(dir, { recursive: true, force: true });
  process.on('exit', cleanup);
  let child = null;
  let log = '';
  const killOnExit = () => { try { child?.kill('SIGKILL'); } catch {} };
  process.on('exit', killOnExit);
  const start = async () => {
    child = spawn(bin, ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no',
      '--databases', '16', '--protected-mode', 'no',
      '--dir', dir, '--dbfilename', 'dump.rdb'], { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.on('data', (c) => { log = (log + c).slice(-16384); });
    child.stderr.on('data', (c) => { log = (log + c).slice(-16384); });
    try {
      await ping(`${base}/0`, Date.now() + timeoutMs);
    } catch (err) {
      throw new Error(`${err.message}\n${log}`);
    }
  };
  const running = () => child && child.exitCode === null && child.signalCode === null;
  const kill = async () => {
    const c = child;
    if (!running()) return;
    const exited = new Promise((r) => c.once('exit', r));
    c.kill('SIGKILL');
    await exited;
  };
  const stop = async () => {
    const c = child;
    if (!running()) return;
    const exited = new Promise((r) => c.once('exit', r));
    const admin = new Redis(`${base}/0`, { maxRetriesPerRequest: 0, retryStrategy: () => null });
    admin.on('error', () => {});
    try { await admin.call('SHUTDOWN', 'SAVE'); } catch {} // the connection closes as it answers
    admin.disconnect();
    const t = setTimeout(() => c.kill('SIGKILL'), 10_000);
    await exited;
    clearTimeout(t);
  };
  await start();
  return {
    url: (db = 0) => `${base}/${db}`,
    start,
    stop,
    close: async () => { await kill(); process.off('exit', killOnExit); cleanup(); process.off('exit', cleanup); },
  };
}
