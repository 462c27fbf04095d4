// The cookie cache, both ways: a real Better Auth 1.7.25 (betterAuth() on a node-postgres Pool,
// session.cookieCache on) and examples/basic (BETTER_AUTH_COOKIE_CACHE) share ONE PostgreSQL
// database and ONE secret. For each strategy (compact, jwt, jwe): a session_data cookie minted by
// one is honoured by the other's get-session with no database read — the session row is deleted
// first, and the cache still answers until maxAge, as Better Auth documents — while
// ?disableCookieCache=true shows the row is gone; a tampered cache falls back to the database and
// gets a fresh session_data, which the first server then honours in turn. Then the JWKS-signed
// variant (jwt({ sessionCookieCache: true }) ↔ BETTER_AUTH_JWT_COOKIE_CACHE=true) with both servers
// on one base URL (replicas behind one address), and a third server on another base URL that refuses
// the cache (its iss is not its own).
//
// One throwaway PostgreSQL for the file (lib/pg.mjs, or INTEROP_DATABASE_URL's server); skipped
// without PostgreSQL, except under CI. One file: `cd interop && GO=go node --test test/cookiecache.test.mjs`.
import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { getMigrations } from 'better-auth/db/migration';
import { jwt } from 'better-auth/plugins/jwt';
import { startBetterAuth } from '../ba-server.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { SECRET, buildBasic, freePort, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 180_000;
const TOKEN = 'better-auth.session_token';
const DATA = 'better-auth.session_data';

let server;
const cleanups = [];

before(async () => {
  await buildBasic();
  server = await postgresServer();
  if (server) cleanups.push(() => server.stop());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/** One request; origin is sent on non-GET requests. Resolves to { status, json, text, cookies, lines, what }. */
async function call(srv, method, p, { body, cookie, origin = srv.trusted } = {}) {
  const headers = {};
  if (cookie) headers.cookie = cookie;
  if (method !== 'GET') headers.origin = origin;
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${srv.origin}/api/auth${p}`, {
    method, headers, body: body === undefined ? undefined : JSON.stringify(body), signal: AbortSignal.timeout(15_000),
  });
  const text = await res.text();
  let json;
  try { json = JSON.parse(text); } catch {}
  const lines = res.headers.getSetCookie();
  const cookies = {};
  for (const line of lines) {
    const [pair] = line.split(';');
    const i = pair.indexOf('=');
    cookies[pair.slice(0, i)] = pair.slice(i + 1);
  }
  return { status: res.status, json, text, cookies, lines, what: `${srv.name}: ${method} ${p} → ${res.status} ${text.slice(0, 300)}` };
}

const email = (tag) => `cc-${tag}-${randomBytes(5).toString('hex')}@example.com`;

/** Signs a new user up on srv; resolves to { token, data, cookie, user }: the session cookie's value, the
 * session_data value and both as a Cookie header. */
async function signUp(srv, tag) {
  const r = await call(srv, 'POST', '/sign-up/email', { body: { name: `Cache ${tag}`, email: email(tag), password: 'correct-horse-1' } });
  assert.equal(r.status, 200, r.what);
  const token = r.cookies[TOKEN];
  const data = r.cookies[DATA];
  assert.ok(token && data, `${r.what}: session_token and session_data are set (${r.lines.join(' | ')})`);
  const line = r.lines.find((l) => l.startsWith(`${DATA}=`));
  assert.match(line, /^better-auth\.session_data=[^;]+; Max-Age=300; Path=\/; HttpOnly; SameSite=Lax$/, `${srv.name}: the cache cookie's attributes`);
  return { token, data, cookie: `${TOKEN}=${token}; ${DATA}=${data}`, user: r.json.user };
}

/** Deletes the session row of a session cookie's token (the part before the signature). */
async function deleteRow(db, token) {
  const raw = decodeURIComponent(token).split('.')[0];
  const { rowCount } = await db.query('delete from "session" where token = $1', [raw]);
  assert.equal(rowCount, 1, 'the session row is deleted');
}

/** A base64url/JWT value with one character in its middle changed. */
function tamper(v) {
  const i = Math.floor(v.length / 2);
  return v.slice(0, i) + (v[i] === 'A' ? 'B' : 'A') + v.slice(i + 1);
}

/** A database with Better Auth's tables (made by its migrator), Better Auth on it, then examples/basic. */
async function startPair({ tag, cacheOptions, basicEnv, plugins = [], baseURL }) {
  const url = await createDatabase(server.url, `interop_cc_${tag}`);
  const db = pool(url);
  cleanups.push(() => db.end());
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const options = { database: baPool, session: { cookieCache: cacheOptions }, plugins, trustedOrigins: baseURL ? [baseURL] : [] };
  await (await getMigrations({ ...options, secret: SECRET, emailAndPassword: { enabled: true } })).runMigrations();
  const baServer = await startBetterAuth({ secret: SECRET, baseURL, options });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: { DATABASE_URL: url, ...(baseURL ? { BETTER_AUTH_URL: baseURL } : {}), ...basicEnv } });
  cleanups.push(() => basic.stop());
  const ba = { name: 'Better Auth', origin: baServer.origin, trusted: baseURL ?? baServer.origin };
  const go = { name: 'examples/basic', origin: basic.origin, trusted: baseURL ?? basic.origin };
  return { url, db, ba, go };
}

for (const strategy of ['compact', 'jwt', 'jwe']) {
  test(`cookie cache (${strategy}): minted by either, honoured by the other with no database read`, { timeout: TIMEOUT }, async (t) => {
    if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');
    const { db, ba, go } = await startPair({
      tag: strategy, cacheOptions: { enabled: true, strategy }, basicEnv: { BETTER_AUTH_COOKIE_CACHE: strategy },
    });
    for (const [from, to] of [[ba, go], [go, ba]]) {
      await t.test(`${from.name} → ${to.name}: honoured without the row`, async () => {
        const s = await signUp(from, strategy);
        await deleteRow(db, s.token);
        const hit = await call(to, 'GET', '/get-session', { cookie: s.cookie });
        assert.equal(hit.status, 200, hit.what);
        assert.equal(hit.json?.user?.id, s.user.id, `${hit.what}: the cached session`);
        assert.deepEqual(hit.lines, [], `${hit.what}: a hit sets no cookie`);
        const db0 = await call(to, 'GET', '/get-session?disableCookieCache=true', { cookie: s.cookie });
        assert.equal(db0.text, 'null', `${db0.what}: the row is gone`);
      });

      await t.test(`${from.name} → ${to.name}: a tampered cache falls back to the database, and its fresh cache goes back`, async () => {
        const s = await signUp(from, `${strategy}-t`);
        const bad = `${TOKEN}=${s.token}; ${DATA}=${tamper(s.data)}`;
        const r = await call(to, 'GET', '/get-session', { cookie: bad });
        assert.equal(r.json?.user?.id, s.user.id, r.what);
        const fresh = r.cookies[DATA];
        assert.ok(fresh && fresh !== s.data, `${r.what}: a fresh session_data (${r.lines.join(' | ')})`);
        await deleteRow(db, s.token);
        const back = await call(from, 'GET', '/get-session', { cookie: `${TOKEN}=${s.token}; ${DATA}=${fresh}` });
        assert.equal(back.json?.user?.id, s.user.id, `${back.what}: ${to.name}'s cache is honoured by ${from.name}`);
      });

      await t.test(`${from.name} → ${to.name}: another session's cache is refused`, async () => {
        const a = await signUp(from, `${strategy}-a`);
        const b = await signUp(from, `${strategy}-b`);
        const r = await call(to, 'GET', '/get-session', { cookie: `${TOKEN}=${a.token}; ${DATA}=${b.data}` });
        assert.equal(r.json?.user?.id, a.user.id, `${r.what}: the session cookie's own user, from the database`);
        assert.ok(r.cookies[DATA], `${r.what}: a fresh session_data`);
      });
    }
  });
}

test('cookie cache signed by the JWKS key (jwt({ sessionCookieCache: true })): shared on one base URL, refused on another', { timeout: TIMEOUT }, async (t) => {
  if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');
  const baseURL = `http://localhost:${await freePort()}`;
  const { url, db, ba, go } = await startPair({
    tag: 'jwks', baseURL, cacheOptions: { enabled: true, strategy: 'jwt' }, plugins: [jwt({ sessionCookieCache: true })],
    basicEnv: { BETTER_AUTH_COOKIE_CACHE: 'jwt', BETTER_AUTH_JWT_COOKIE_CACHE: 'true' },
  });
  for (const [from, to] of [[ba, go], [go, ba]]) {
    await t.test(`${from.name} → ${to.name}`, async () => {
      const s = await signUp(from, 'jwks');
      const header = JSON.parse(Buffer.from(s.data.split('.')[0], 'base64url'));
      assert.equal(header.typ, 'better-auth.session-cache+jwt');
      assert.ok(header.kid, 'a kid');
      await deleteRow(db, s.token);
      const hit = await call(to, 'GET', '/get-session', { cookie: s.cookie });
      assert.equal(hit.json?.user?.id, s.user.id, `${hit.what}: honoured`);
    });
  }
  await t.test('another base URL refuses Better Auth\'s cache (iss)', async () => {
    const other = await startBasic({ env: { DATABASE_URL: url, BETTER_AUTH_COOKIE_CACHE: 'jwt', BETTER_AUTH_JWT_COOKIE_CACHE: 'true' } });
    cleanups.push(() => other.stop());
    const s = await signUp(ba, 'jwks-iss');
    const srv = { name: 'examples/basic (own base URL)', origin: other.origin, trusted: other.origin };
    const ok = await call(srv, 'GET', '/get-session', { cookie: s.cookie });
    assert.equal(ok.json?.user?.id, s.user.id, `${ok.what}: from the database`);
    assert.ok(ok.cookies[DATA], `${ok.what}: refused, so a fresh cache of its own`);
    await deleteRow(db, s.token);
    const r = await call(srv, 'GET', '/get-session', { cookie: s.cookie });
    assert.equal(r.text, 'null', `${r.what}: the cache is not honoured`);
  });
});
