// Rate-limit storage, both ways: a real Better Auth 1.7.25 server and examples/basic count one
// client's requests in ONE bucket.
//
// - secondary storage: both on one Redis (Better Auth with @better-auth/redis-storage, examples/basic
//   with REDIS_URL; `secondary-storage` is the default storage of both then). The bucket is
//   `better-auth:<ip>|<path>`, its expiry set by the first request (made by either server), every
//   request counted, refused ones too; a 429 from either carries `X-Retry-After: 10` and Better Auth's
//   message.
// - database: both on one PostgreSQL database with rateLimit.storage "database"
//   (BETTER_AUTH_RATE_LIMIT_STORAGE=database). Our migrations create the rateLimit table and Better
//   Auth's migrator then has nothing to do; the row has Better Auth's key, the count stops at the max,
//   lastRequest is the last allowed request (epoch ms).
//
// The client is told apart by X-Forwarded-For: Better Auth believes a single-address header from
// anyone, examples/basic from its trusted proxy (BETTER_AUTH_TRUSTED_PROXIES=127.0.0.1), as replicas
// behind a load balancer are configured. Requests are counted on the default sign-in rule (3 per 10 s),
// with an empty body (400 on both: no password is hashed, but the request counts).
//
// One throwaway Redis and one PostgreSQL for the file (lib/redis.mjs, lib/db.mjs, or INTEROP_REDIS_URL /
// INTEROP_DATABASE_URL); skipped without them, except under CI.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { redisStorage } from '@better-auth/redis-storage';
import { getMigrations } from 'better-auth/db/migration';
import { startBetterAuth } from '../ba-server.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { redisClient, redisServer } from '../lib/redis.mjs';
import { SECRET, buildBasic, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 120_000;
const MESSAGE = { message: 'Too many requests. Please try again later.' };

let pgServer;
let redis;
let redisDB = 0;
const cleanups = [];

before(async () => {
  await buildBasic();
  pgServer = await postgresServer();
  if (pgServer) cleanups.push(() => pgServer.stop());
  redis = await redisServer();
  if (redis) cleanups.push(() => redis.close());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/** A sign-in with an empty body from client ip, through srv; resolves to { status, retry, body, what }. */
async function signIn(srv, ip) {
  const res = await fetch(`${srv.origin}/api/auth/sign-in/email`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', origin: srv.origin, 'x-forwarded-for': ip },
    body: '{}',
  });
  const text = await res.text();
  let body;
  try { body = JSON.parse(text); } catch {}
  return { status: res.status, retry: res.headers.get('x-retry-after'), body, what: `${srv.name}: sign-in from ${ip} → ${res.status} ${text.slice(0, 300)}` };
}

function allowed(r) {
  assert.notEqual(r.status, 429, r.what);
  assert.equal(r.status, 400, r.what);
}

function refused(r) {
  assert.equal(r.status, 429, r.what);
  assert.deepEqual(r.body, MESSAGE, r.what);
  assert.match(r.retry ?? '', /^\d+$/, `${r.what}: X-Retry-After`);
  return Number(r.retry);
}

/** An ioredis client on url, once it is connected (it queues no command before). */
async function connected(url) {
  const c = redisClient(url);
  cleanups.push(() => c.quit());
  if (c.status !== 'ready') await new Promise((resolve) => c.once('ready', resolve));
  return c;
}

const basicEnv = { BETTER_AUTH_RATE_LIMIT: 'true', BETTER_AUTH_TRUSTED_PROXIES: '127.0.0.1' };

test('rate limits: Better Auth and examples/basic count one bucket in Redis', { timeout: TIMEOUT }, async (t) => {
  if (!redis) return t.skip('no redis-server (set INTEROP_REDIS_URL or install redis-server)');
  const redisURL = redis.url(++redisDB % 16);
  const kv = await connected(redisURL);
  await kv.flushdb();
  const baRedis = await connected(redisURL);
  const baServer = await startBetterAuth({
    secret: SECRET,
    options: { secondaryStorage: redisStorage({ client: baRedis }), rateLimit: { enabled: true } },
  });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: { ...basicEnv, REDIS_URL: redisURL } });
  cleanups.push(() => basic.stop());
  const ba = { name: 'Better Auth', origin: baServer.origin };
  const go = { name: 'examples/basic', origin: basic.origin };
  assert.match(basic.logs(), /secondary storage: Redis/);

  for (const [first, second, ip] of [[ba, go, '203.0.113.7'], [go, ba, '203.0.113.8']]) {
    await t.test(`${first.name} opens the window, ${second.name} shares it`, async () => {
      const key = `better-auth:${ip}|/sign-in/email`;
      allowed(await signIn(first, ip));
      const ttl = await kv.ttl(key);
      assert.ok(ttl > 0 && ttl <= 10, `${key}: the window's expiry, set by ${first.name}'s first request (TTL ${ttl})`);
      allowed(await signIn(second, ip));
      allowed(await signIn(first, ip));
      assert.equal(refused(await signIn(second, ip)), 10, 'the whole window');
      assert.equal(refused(await signIn(first, ip)), 10, 'the whole window');
      assert.equal(await kv.get(key), '5', 'refused requests are counted too');
      assert.ok(await kv.ttl(key) <= ttl, 'the expiry is not moved by later requests');
      allowed(await signIn(second, `${ip}9`));
    });
  }
});

test('rate limits: Better Auth and examples/basic count one bucket in the rateLimit table', { timeout: TIMEOUT }, async (t) => {
  if (!pgServer) return t.skip('no PostgreSQL (set INTEROP_DATABASE_URL or install PostgreSQL)');
  const url = await createDatabase(pgServer.url, 'ratelimit_db');
  const db = pool(url);
  cleanups.push(() => db.end());

  // examples/basic first: our migrations create the tables, rateLimit included.
  const basic = await startBasic({ env: { ...basicEnv, DATABASE_URL: url, BETTER_AUTH_RATE_LIMIT_STORAGE: 'database' } });
  cleanups.push(() => basic.stop());
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const options = { database: baPool, rateLimit: { enabled: true, storage: 'database' } };
  const plan = await getMigrations({ ...options, secret: SECRET, emailAndPassword: { enabled: true } }, { throwOnUnsafe: false });
  assert.deepEqual(plan.toBeCreated.map((x) => x.table), [], 'Better Auth\'s migrator finds every table, rateLimit too');
  assert.deepEqual(plan.toBeAdded.map((x) => x.table), [], 'and every column');
  const cols = await db.query(`select column_name, data_type, is_nullable from information_schema.columns
    where table_name = 'rateLimit' order by ordinal_position`);
  assert.deepEqual(cols.rows.map((c) => `${c.column_name} ${c.data_type} ${c.is_nullable}`),
    ['id text NO', 'key text NO', 'count integer NO', 'lastRequest bigint NO']);

  const baServer = await startBetterAuth({ secret: SECRET, options });
  cleanups.push(() => baServer.close());
  const ba = { name: 'Better Auth', origin: baServer.origin };
  const go = { name: 'examples/basic', origin: basic.origin };
  const row = async (key) => (await db.query('select "key", "count", "lastRequest" from "rateLimit" where "key" = $1', [key])).rows[0];

  for (const [first, second, ip] of [[ba, go, '203.0.113.17'], [go, ba, '203.0.113.18']]) {
    await t.test(`${first.name} writes the row, ${second.name} counts on it`, async () => {
      const key = `${ip}|/sign-in/email`;
      const start = Date.now();
      allowed(await signIn(first, ip));
      const r1 = await row(key);
      assert.ok(r1, `${first.name} wrote the row ${key}`);
      assert.equal(r1.count, 1);
      allowed(await signIn(second, ip));
      allowed(await signIn(first, ip));
      const r3 = await row(key);
      assert.equal(r3.count, 3);
      const last = Number(r3.lastRequest);
      assert.ok(last >= start && last <= Date.now(), `lastRequest is epoch ms (${r3.lastRequest})`);
      for (const srv of [second, first]) {
        const retry = refused(await signIn(srv, ip));
        assert.ok(retry >= 1 && retry <= 10, `${srv.name}: what is left of the window (${retry} s)`);
      }
      const r5 = await row(key);
      assert.equal(r5.count, 3, 'the count stops at the max');
      assert.equal(Number(r5.lastRequest), last, 'refused requests do not move lastRequest');
    });
  }
});
