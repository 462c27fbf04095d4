// Secondary storage, both ways: a real Better Auth 1.7.25 server with @better-auth/redis-storage
// (1.7.5, on ioredis) and examples/basic (REDIS_URL) share ONE Redis and ONE PostgreSQL database and
// one secret. Users live in PostgreSQL; sessions and verification values live in Redis only (Better
// Auth's default with secondaryStorage), or in both with storeSessionInDatabase
// (BETTER_AUTH_STORE_SESSION_IN_DATABASE=true here). Whatever one server writes the other must read:
//
// - a session made by either is read (get-session), listed (list-sessions) and revoked
//   (revoke-session, revoke-sessions, sign-out) by the other, under the same keys with the same JSON
//   shape and TTLs (`<token>`, `active-sessions-<userId>`, `revoked-sessions-before-<userId>`);
// - update-user on either rewrites the cached sessions the other reads;
// - a reset-password token asked for on either (`verification:reset-password:<token>`) resets the
//   password on the other, once.
//
// One throwaway PostgreSQL and one throwaway Redis for the file (lib/pg.mjs, lib/redis.mjs, or
// INTEROP_DATABASE_URL / INTEROP_REDIS_URL); a fresh database and a Redis database number per
// scenario. Skipped without them, except under CI.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { redisStorage } from '@better-auth/redis-storage';
import { getMigrations } from 'better-auth/db/migration';
import { startBetterAuth } from '../ba-server.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { CookieJar, browserLikeFetch } from '../lib/jar.mjs';
import { redisClient, redisServer } from '../lib/redis.mjs';
import { SECRET, buildBasic, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 120_000;
const SESSION_COOKIE = 'better-auth.session_token';
const PREFIX = 'better-auth:';
const P1 = 'correct-horse-1';
const P2 = 'battery-staple-2';
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

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

/** A browser: one cookie jar for both servers (same host), each request with its server's Origin. */
class Browser {
  jar = new CookieJar();
  log = [];

  async call(srv, method, p, body) {
    const fetch = browserLikeFetch({ jar: this.jar, origin: srv.origin, log: this.log });
    const init = { method, headers: {} };
    if (body !== undefined) {
      init.body = JSON.stringify(body);
      init.headers['content-type'] = 'application/json';
    }
    const res = await fetch(`${srv.origin}/api/auth${p}`, init);
    const x = this.log.at(-1);
    let json;
    try { json = JSON.parse(x.text); } catch {}
    const shown = body === undefined ? '' : ` ${JSON.stringify(body)}`;
    return { status: res.status, json, what: `${srv.name}: ${method} ${p}${shown} → ${res.status} ${x.text.slice(0, 600)}` };
  }

  cookie() { return this.jar.get(SESSION_COOKIE); }
  token() { return decodeURIComponent(this.cookie() ?? '').split('.')[0]; }
}

function expectStatus(r, status) {
  assert.equal(r.status, status, r.what);
  return r;
}

async function mailTo(srv, kind, to) {
  for (let i = 0; i < 250; i++) {
    const m = srv.mails().filter((x) => x.kind === kind && x.to === to).at(-1);
    if (m) return m;
    await sleep(20);
  }
  assert.fail(`${srv.name}: no ${kind} mail to ${to}`);
}

/** The shape of a JSON value: objects by their keys in order (recursively), arrays by their
 * elements' shapes, scalars by their type. */
function shape(v) {
  if (Array.isArray(v)) return v.map(shape);
  if (v && typeof v === 'object') return Object.fromEntries(Object.entries(v).map(([k, x]) => [k, shape(x)]));
  return v === null ? null : typeof v;
}

/** Both servers on a fresh database and a fresh Redis database; storeSessionInDatabase for both
 * when asked. Resolves to { ba, go, db (a pool), kv (an ioredis client on the scenario's Redis db) }. */
async function startPair(tag, { storeSessionInDatabase = false } = {}) {
  const url = await createDatabase(pgServer.url, `redis_${tag}`);
  const redisURL = redis.url(++redisDB % 16);
  const kv = redisClient(redisURL);
  cleanups.push(() => kv.disconnect());
  await kv.flushdb();
  const db = pool(url);
  cleanups.push(() => db.end());
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const baRedis = redisClient(redisURL);
  cleanups.push(() => baRedis.disconnect());
  const options = {
    database: baPool,
    secondaryStorage: redisStorage({ client: baRedis }),
    session: { storeSessionInDatabase },
  };
  await (await getMigrations({ ...options, secret: SECRET, emailAndPassword: { enabled: true } })).runMigrations();
  const baServer = await startBetterAuth({ secret: SECRET, options });
  cleanups.push(() => baServer.close());
  const ba = { name: 'Better Auth', origin: baServer.origin, mails: () => baServer.mails };
  const basic = await startBasic({
    env: {
      DATABASE_URL: url,
      REDIS_URL: redisURL,
      BETTER_AUTH_STORE_SESSION_IN_DATABASE: storeSessionInDatabase ? 'true' : undefined,
    },
  });
  cleanups.push(() => basic.stop());
  const go = { name: 'examples/basic', origin: basic.origin, mails: basic.mails };
  return { ba, go, db, kv };
}

const newEmail = (tag) => `redis-${tag}-${randomBytes(5).toString('hex')}@example.com`;

async function signUp(srv, browser, email, name = 'Redis Interop') {
  const r = expectStatus(await browser.call(srv, 'POST', '/sign-up/email', { name, email, password: P1 }), 200);
  assert.ok(browser.cookie(), `${r.what}: a session cookie`);
  return r.json.user;
}

async function signIn(srv, browser, email, password = P1) {
  return expectStatus(await browser.call(srv, 'POST', '/sign-in/email', { email, password }), 200).json;
}

async function sessionOf(srv, browser) {
  const r = expectStatus(await browser.call(srv, 'GET', '/get-session'), 200);
  return r.json;
}

async function getJSON(kv, key) {
  const v = await kv.get(PREFIX + key);
  return v === null ? null : JSON.parse(v);
}

function skipWithout(t) {
  if (!pgServer) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL'), true;
  if (!redis) return t.skip('no redis-server: install it or set INTEROP_REDIS_URL'), true;
  return false;
}

for (const storeSessionInDatabase of [false, true]) {
  const label = storeSessionInDatabase ? 'sessions in Redis and PostgreSQL' : 'sessions in Redis only';
  test(`Better Auth (redis-storage) and examples/basic share sessions through one Redis (${label})`, { timeout: TIMEOUT }, async (t) => {
    if (skipWithout(t)) return;
    const { ba, go, db, kv } = await startPair(storeSessionInDatabase ? 'both' : 'only', { storeSessionInDatabase });
    const sessionRows = async (userId) => (await db.query('select token from "session" where "userId" = $1 order by "createdAt"', [userId])).rows.map((r) => r.token);

    for (const [first, second] of [[ba, go], [go, ba]]) {
      const email = newEmail(first === ba ? 'ba' : 'go');
      // 1. A session made on the first: its keys, as Better Auth keeps them.
      const b1 = new Browser();
      const user = await signUp(first, b1, email);
      const t1 = b1.token();
      const cached = await getJSON(kv, t1);
      assert.ok(cached, `${first.name}: ${PREFIX}<token> exists after sign-up`);
      assert.deepEqual(Object.keys(cached), ['session', 'user'], 'the cached value is {session, user}');
      assert.equal(cached.session.token, t1);
      assert.equal(cached.user.id, user.id);
      const ttl = await kv.ttl(PREFIX + t1);
      assert.ok(ttl > 7 * 86400 - 60 && ttl <= 7 * 86400, `${first.name}: TTL ${ttl} is the session's time to expiry (7 days)`);
      const active = await getJSON(kv, `active-sessions-${user.id}`);
      assert.deepEqual(active.map((x) => x.token), [t1], `${first.name}: active-sessions lists the session`);
      assert.equal(typeof active[0].expiresAt, 'number', 'active-sessions expiresAt is epoch ms');
      assert.deepEqual(await sessionRows(user.id), storeSessionInDatabase ? [t1] : [],
        storeSessionInDatabase ? 'storeSessionInDatabase: the row is written too' : 'no session row: Redis only');

      // 2. The second reads it.
      const s = await sessionOf(second, b1);
      assert.equal(s?.session?.token, t1, `${second.name} reads ${first.name}'s session`);
      assert.equal(s.user.id, user.id);
      assert.equal(s.user.email, email);

      // 3. A session made on the second: same JSON shape as the first's, listed by both.
      const b2 = new Browser();
      await signIn(second, b2, email);
      const t2 = b2.token();
      const cached2 = await getJSON(kv, t2);
      assert.deepEqual(shape(cached2), shape(cached), `${second.name}'s cached session has the shape of ${first.name}'s`);
      const active2 = await getJSON(kv, `active-sessions-${user.id}`);
      assert.deepEqual(new Set(active2.map((x) => x.token)), new Set([t1, t2]), 'active-sessions lists both');
      assert.deepEqual(shape(active2[0]), shape(active[0]), 'active-sessions entries have one shape');
      for (const srv of [first, second]) {
        const list = expectStatus(await b1.call(srv, 'GET', '/list-sessions'), 200).json;
        assert.deepEqual(new Set(list.map((x) => x.token)), new Set([t1, t2]), `${srv.name}: list-sessions lists both`);
      }

      // 4. update-user on either rewrites what the other reads.
      expectStatus(await b1.call(first, 'POST', '/update-user', { name: 'Renamed by first' }), 200);
      assert.equal((await sessionOf(second, b2)).user.name, 'Renamed by first', `${second.name} sees ${first.name}'s update`);
      assert.equal((await getJSON(kv, t2)).user.name, 'Renamed by first', 'every cached session of the user was rewritten');
      expectStatus(await b2.call(second, 'POST', '/update-user', { name: 'Renamed by second' }), 200);
      assert.equal((await sessionOf(first, b1)).user.name, 'Renamed by second', `${first.name} sees ${second.name}'s update`);

      // 5. revoke-session on the second removes the first's session for both.
      expectStatus(await b2.call(second, 'POST', '/revoke-session', { token: t1 }), 200);
      assert.equal(await kv.get(PREFIX + t1), null, 'the revoked session key is gone');
      for (const srv of [first, second]) assert.equal(await sessionOf(srv, b1), null, `${srv.name}: the revoked session is gone`);

      // 6. revoke-sessions on the first signs the user out everywhere, and leaves the mark.
      const b3 = new Browser();
      await signIn(first, b3, email);
      expectStatus(await b3.call(first, 'POST', '/revoke-sessions'), 200);
      assert.ok(await kv.get(`${PREFIX}revoked-sessions-before-${user.id}`), `${first.name}: revoke-sessions writes revoked-sessions-before-<userId>`);
      assert.equal(await kv.get(`${PREFIX}active-sessions-${user.id}`), null, 'active-sessions is deleted when empty');
      for (const srv of [first, second]) {
        assert.equal(await sessionOf(srv, b2), null, `${srv.name}: b2's session was revoked`);
        assert.equal(await sessionOf(srv, b3), null, `${srv.name}: b3's session was revoked`);
      }

      // 7. A new sign-in after the mark works on both; sign-out on the second removes it for both.
      const b4 = new Browser();
      await signIn(second, b4, email);
      assert.equal((await sessionOf(first, b4))?.user?.id, user.id, `${first.name} reads a session made after the mark`);
      const t4 = b4.token();
      expectStatus(await b4.call(second, 'POST', '/sign-out', {}), 200);
      assert.equal(await kv.get(PREFIX + t4), null, 'sign-out deletes the key');
      if (storeSessionInDatabase) assert.deepEqual(await sessionRows(user.id), [], 'no rows left');
    }
  });
}

test('Better Auth (redis-storage) and examples/basic share reset-password tokens through one Redis', { timeout: TIMEOUT }, async (t) => {
  if (skipWithout(t)) return;
  const { ba, go, db, kv } = await startPair('reset');
  for (const [first, second] of [[ba, go], [go, ba]]) {
    const email = newEmail(`reset-${first === ba ? 'ba' : 'go'}`);
    const b = new Browser();
    await signUp(first, b, email);
    expectStatus(await b.call(first, 'POST', '/request-password-reset', { email, redirectTo: '/reset' }), 200);
    const { token } = await mailTo(first, 'reset-password', email);
    assert.ok(token, 'the reset mail carries a token');
    const key = `verification:reset-password:${token}`;
    const stored = await kv.get(PREFIX + key);
    assert.ok(stored, `${first.name}: ${PREFIX}${key} exists`);
    const ttl = await kv.ttl(PREFIX + key);
    assert.ok(ttl > 3600 - 60 && ttl <= 3600, `${first.name}: the reset token lives an hour (TTL ${ttl})`);
    const { rows } = await db.query('select count(*)::int as n from "verification"');
    assert.equal(rows[0].n, 0, 'no verification row: Redis only');

    // The second resets with it, once.
    const other = new Browser();
    expectStatus(await other.call(second, 'POST', '/reset-password', { token, newPassword: P2 }), 200);
    assert.equal(await kv.get(PREFIX + key), null, 'the token was taken');
    const again = await other.call(first, 'POST', '/reset-password', { token, newPassword: P1 });
    assert.equal(again.status, 400, again.what);
    assert.equal(again.json?.code, 'INVALID_TOKEN', again.what);
    // The new password works on both; the old one on neither.
    for (const srv of [first, second]) {
      await signIn(srv, new Browser(), email, P2);
      const old = await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P1 });
      assert.equal(old.status, 401, old.what);
    }
  }
});
