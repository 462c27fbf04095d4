// Database compatibility, both ways: a real Better Auth 1.7.25 server (betterAuth() on a node-postgres
// Pool) and examples/basic share ONE PostgreSQL database and ONE secret. Better Auth's own migrator
// creates the tables first; examples/basic starts afterwards on the same DATABASE_URL, so our
// migrations must adopt them. Then whatever one server writes the other must read, each way: users
// and passwords (scrypt, NFKC, email case), the rows themselves, sessions and their signed cookie
// (get-session, list-sessions, sliding expiry, expiry, dont_remember), sign-out, password changes,
// the additional fields `role` (input: false, default "member") and `nickname` (optional),
// password-reset tokens (verification rows), email-verification JWTs, change of email and account
// deletion links.
//
// Run twice: text ids (Better Auth's default) and uuid ids (generateId: "uuid" there,
// BETTER_AUTH_ID_MODE=uuid here); then once more with additional fields of every other type. One
// throwaway PostgreSQL for the file (lib/pg.mjs, or INTEROP_DATABASE_URL's server), a fresh database
// per run; skipped without PostgreSQL, except under CI.
//
// Both servers listen on 127.0.0.1 (different ports), and cookies do not care about ports: one cookie
// jar per "browser" serves both, exactly as a browser would share the cookie between them. Every
// request is shown in assertion messages as `<server>: METHOD /path body → status answer`;
// INTEROP_DEBUG=1 prints each exchange to stderr.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { getMigrations } from 'better-auth/db/migration';
import { startBetterAuth } from '../ba-server.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { CookieJar, browserLikeFetch } from '../lib/jar.mjs';
import { SECRET, buildBasic, startBasic } from '../lib/servers.mjs';

const TIMEOUT = 180_000;
const SESSION_COOKIE = 'better-auth.session_token';
const P1 = 'correct-horse-1';
const P2 = 'battery-staple-2';
const P3 = 'mellow-yellow-3';
// The additional fields, in Better Auth's words; examples/basic gets the same through BETTER_AUTH_SCHEMA.
const ADDITIONAL_FIELDS = {
  role: { type: 'string', defaultValue: 'member', input: false },
  nickname: { type: 'string', required: false },
};
const ID = { text: /^[A-Za-z0-9]{32}$/, uuid: /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/ };
const debug = (what, v) => { if (process.env.INTEROP_DEBUG) console.error(`[db] ${what}: ${JSON.stringify(v)}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

let server; // the PostgreSQL server, null when there is none
let tmp;
const cleanups = [];

before(async () => {
  tmp = mkdtempSync(path.join(os.tmpdir(), 'betterauth-interop-db-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  await buildBasic();
  server = await postgresServer();
  if (server) cleanups.push(() => server.stop());
}, { timeout: 300_000 });

after(async () => {
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

/** A browser: one cookie jar, talking to both servers (same host, so the same cookies), each request
 * with the Origin of the server it goes to, as a page served by that server would send it. */
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
    const loc = res.headers.get('location');
    debug(`${srv.name}: ${method} ${p}${shown} → ${res.status}${loc ? ` Location: ${loc}` : ''}`, x.text);
    return {
      status: res.status, json, text: x.text, setCookies: x.setCookies, location: loc,
      what: `${srv.name}: ${method} ${p}${shown} → ${res.status}${loc ? ` Location: ${loc}` : ''} ${x.text.slice(0, 600)}`,
    };
  }

  cookie() { return this.jar.get(SESSION_COOKIE); }
}

function expectStatus(r, status) {
  assert.equal(r.status, status, r.what);
  return r;
}

/** Waits for the mail of `kind` to `to` (Better Auth's captured mails, or examples/basic's log). */
async function mailTo(srv, kind, to) {
  for (let i = 0; i < 250; i++) {
    const m = srv.mails().filter((x) => x.kind === kind && x.to === to).at(-1);
    if (m) return m;
    await sleep(20);
  }
  const seen = srv.mails().slice(-5).map((x) => `${x.kind} to ${x.to}`);
  assert.fail(`${srv.name}: no ${kind} mail to ${to} (the last ones: ${seen.join('; ')})`);
}

/** A row with what always differs made comparable: the user's id as "<user id>", other ids and
 * tokens by their form, dates as their offset from the row's createdAt in seconds, the password by its
 * format; NULL and "" stay as they are. */
function rowShape(row, userId) {
  const out = {};
  const created = row.createdAt instanceof Date ? row.createdAt.getTime() : null;
  for (const [k, v] of Object.entries(row)) {
    if (v === userId) out[k] = '<user id>';
    else if (v instanceof Date) out[k] = k === 'createdAt' ? '<date>' : `createdAt ${v.getTime() - created >= 0 ? '+' : ''}${Math.round((v.getTime() - created) / 1000)} s`;
    else if (typeof v === 'string' && k === 'password') out[k] = v.replace(/[0-9a-f]/g, 'h');
    else if (typeof v === 'string' && ['id', 'token'].includes(k)) out[k] = `<${v.length} chars>`;
    else if (typeof v === 'string' && k === 'identifier') out[k] = v.replace(/[A-Za-z0-9]{24}$/, '<24 chars>');
    else if (typeof v === 'string' && k === 'email') out[k] = '<email>';
    else out[k] = v;
  }
  return out;
}

function newEmail(tag) {
  return `db-${tag}-${randomBytes(5).toString('hex')}@example.com`;
}

async function signUp(srv, browser, { email, password = P1, name = 'DB Interop' } = {}) {
  const r = expectStatus(await browser.call(srv, 'POST', '/sign-up/email', { name, email, password }), 200);
  assert.ok(browser.cookie(), `${r.what}: a session cookie`);
  return r.json;
}

async function userRow(db, email) {
  const { rows } = await db.query('select * from "user" where email = $1', [email]);
  assert.equal(rows.length, 1, `one "user" row for ${email}`);
  return rows[0];
}

/**
 * One database on the test's PostgreSQL, Better Auth's migrator on it, a Better Auth server on it,
 * then examples/basic on it (its migrations adopt the tables). Resolves to { db, ba, go }: a pool for
 * looking at rows, and each server as { name, origin, mails() }.
 */
async function startPair({ mode, fields, tag }) {
  const url = await createDatabase(server.url, `interop_db_${tag}`);
  const db = pool(url);
  cleanups.push(() => db.end());

  // Better Auth first: its own migrator creates the tables.
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  // Mail of the flows ba-server.mjs's own `user` options would set up (replaced here by ours). `to`
  // is the recipient: the confirmation of a change of email goes to the current address.
  const userMails = [];
  const capture = (kind) => async ({ user, url: link, token }) => { userMails.push({ kind, to: user.email, url: link, token }); };
  const options = {
    database: baPool,
    user: {
      additionalFields: fields,
      changeEmail: { enabled: true, sendChangeEmailConfirmation: capture('change-email-confirmation') },
      deleteUser: { enabled: true, sendDeleteAccountVerification: capture('delete-account') },
    },
    advanced: mode === 'uuid' ? { database: { generateId: 'uuid' } } : {},
  };
  await (await getMigrations({ ...options, secret: SECRET, emailAndPassword: { enabled: true } })).runMigrations();
  const baServer = await startBetterAuth({ secret: SECRET, options });
  cleanups.push(() => baServer.close());
  const ba = { name: 'Better Auth', origin: baServer.origin, mails: () => [...baServer.mails, ...userMails] };

  // Then examples/basic on the same database, with the same additional fields.
  const schemaFile = path.join(tmp, `schema-${tag}.json`);
  writeFileSync(schemaFile, JSON.stringify({ user: { additionalFields: fields } }));
  const basic = await startBasic({
    env: { DATABASE_URL: url, BETTER_AUTH_SCHEMA: schemaFile, BETTER_AUTH_ID_MODE: mode === 'uuid' ? 'uuid' : undefined },
  });
  cleanups.push(() => basic.stop());
  assert.match(basic.logs(), /migrations applied/, 'examples/basic adopted Better Auth\'s tables');
  const go = { name: 'examples/basic', origin: basic.origin, mails: basic.mails };
  return { db, ba, go };
}

for (const mode of ['text', 'uuid']) {
  test(`Better Auth and examples/basic share one PostgreSQL database (${mode} ids)`, { timeout: TIMEOUT }, async (t) => {
    if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');
    const { db, ba, go } = await startPair({ mode, fields: ADDITIONAL_FIELDS, tag: mode });
    const both = [[ba, go], [go, ba]];

    await t.test('a user signed up on one signs in on the other', async () => {
      for (const [from, to] of both) {
        const email = newEmail('signin');
        const up = await signUp(from, new Browser(), { email });
        assert.match(up.user.id, ID[mode], `${from.name}: user id`);
        const b = new Browser();
        const r = expectStatus(await b.call(to, 'POST', '/sign-in/email', { email, password: P1 }), 200);
        assert.equal(r.json.user.id, up.user.id, `${r.what}: same user id`);
        assert.equal(r.json.user.email, email);
        assert.deepEqual(r.json.user, up.user, `the user ${to.name} signs in (actual) is the one ${from.name} signed up (expected)`);
        const g = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        assert.equal(g.json?.session?.token, r.json.token, `${g.what}: the new session`);
        const wrong = await new Browser().call(to, 'POST', '/sign-in/email', { email, password: 'not-the-password' });
        expectStatus(wrong, 401);
      }
    });

    await t.test('the rows each writes look the same (user, session, account, verification)', async () => {
      const rows = {};
      for (const srv of [ba, go]) {
        const email = newEmail('rows');
        const up = await signUp(srv, new Browser(), { email });
        expectStatus(await new Browser().call(srv, 'POST', '/request-password-reset', { email, redirectTo: '/reset' }), 200);
        await mailTo(srv, 'reset-password', email);
        const q = async (sql) => (await db.query(sql, [up.user.id])).rows;
        rows[srv.name] = {
          user: (await q('select * from "user" where id = $1')).map((r) => rowShape(r, up.user.id)),
          session: (await q('select * from session where "userId" = $1')).map((r) => rowShape(r, up.user.id)),
          account: (await q('select * from account where "userId" = $1')).map((r) => rowShape(r, up.user.id)),
          verification: (await q('select * from verification where value = $1')).map((r) => rowShape(r, up.user.id)),
        };
      }
      debug('row shapes', rows);
      // A deliberate difference (docs/compatibility.md): without a trusted proxy examples/basic
      // records the socket's peer as session.ipAddress; Better Auth reads only X-Forwarded-For,
      // which these requests do not carry, and records ''.
      for (const [name, want] of [[go.name, '127.0.0.1'], [ba.name, '']]) {
        for (const s of rows[name].session) {
          assert.equal(s.ipAddress, want, `${name}: session.ipAddress`);
          s.ipAddress = '(client address)';
        }
      }
      assert.deepEqual(rows[go.name], rows[ba.name], 'rows written by examples/basic (actual) vs by Better Auth (expected)');
    });

    await t.test('email case and a non-ASCII password (NFKC) work across', async () => {
      // "ﬁ" (U+FB01) and "Å" (U+00C5) at sign-up; "fi" and "A" + U+030A at sign-in: one password under NFKC.
      const signUpPassword = 'p\u00c5ss-\ufb01le-9';
      const signInPassword = 'pA\u030ass-file-9';
      for (const [from, to] of both) {
        const email = newEmail('case');
        const mixed = email.replace('db-', 'DB-').replace('example.com', 'Example.COM');
        const up = await signUp(from, new Browser(), { email: mixed, password: signUpPassword });
        assert.equal(up.user.email, email, `${from.name} stores the email lower-case`);
        const r = await new Browser().call(to, 'POST', '/sign-in/email', { email: email.toUpperCase(), password: signInPassword });
        expectStatus(r, 200);
        assert.equal(r.json.user.id, up.user.id, r.what);
        const dup = await new Browser().call(to, 'POST', '/sign-up/email', { name: 'x', email: email.toUpperCase(), password: P1 });
        expectStatus(dup, 422);
      }
    });

    await t.test('a session cookie issued by either is accepted by the other\'s get-session', async () => {
      for (const [from, to] of both) {
        const b = new Browser();
        const up = await signUp(from, b, { email: newEmail('cookie') });
        const mine = expectStatus(await b.call(from, 'GET', '/get-session'), 200);
        const theirs = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        assert.ok(theirs.json, `${theirs.what}: a session for ${from.name}'s cookie`);
        assert.equal(theirs.json.user.id, up.user.id, `${theirs.what}: same user id`);
        assert.equal(theirs.json.session.token, up.token, `${theirs.what}: same session token`);
        assert.match(theirs.json.session.id, ID[mode], 'session id');
        assert.deepEqual(theirs.json, mine.json, `${to.name}'s get-session (actual) equals ${from.name}'s (expected) for the same cookie`);
      }
    });

    await t.test('list-sessions on either lists the sessions made by both, alike', async () => {
      const email = newEmail('list');
      const b1 = new Browser();
      await signUp(ba, b1, { email });
      const b2 = new Browser();
      expectStatus(await b2.call(go, 'POST', '/sign-in/email', { email, password: P1 }), 200);
      const lists = {};
      for (const [srv, b] of [[ba, b1], [go, b1], [ba, b2], [go, b2]]) {
        const r = expectStatus(await b.call(srv, 'GET', '/list-sessions'), 200);
        assert.equal(r.json.length, 2, `${r.what}: both sessions`);
        lists[srv.name] ??= r.json.toSorted((x, y) => x.token.localeCompare(y.token));
        assert.deepEqual(r.json.toSorted((x, y) => x.token.localeCompare(y.token)), lists[srv.name], `${r.what}: the same list from either cookie`);
      }
      assert.deepEqual(lists[go.name], lists[ba.name], 'examples/basic\'s list (actual) equals Better Auth\'s (expected)');
    });

    await t.test('a session due for refresh is slid by either, the same way, and the other reads the new expiry', async () => {
      const refreshes = {};
      for (const [from, to] of both) {
        const b = new Browser();
        const up = await signUp(from, b, { email: newEmail('slide') });
        const cookie = b.cookie();
        // Due: less than expiresIn - updateAge (6 days) left.
        await db.query(`update session set "expiresAt" = now() + interval '12 hours' where token = $1`, [up.token]);
        const r = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        const expiresAt = Date.parse(r.json.session.expiresAt);
        assert.ok(Math.abs(expiresAt - (Date.now() + 7 * 24 * 3600e3)) < 60e3, `${r.what}: expiresAt slid to now + 7 days`);
        assert.equal(r.json.session.token, up.token, 'same token');
        const { rows } = await db.query('select "expiresAt" from session where token = $1', [up.token]);
        assert.equal(rows[0].expiresAt.getTime(), expiresAt, 'the shared row holds the new expiry');
        assert.equal(b.cookie(), cookie, `${r.what}: the re-issued cookie carries the same signed token`);
        refreshes[to.name] = r.setCookies.map((h) => h.replace(/=[^;]*/, '=<value>'));
        const g = expectStatus(await b.call(from, 'GET', '/get-session'), 200);
        assert.deepEqual(g.json.session, r.json.session, `${from.name} (actual) reads the session ${to.name} slid (expected)`);
      }
      debug('refresh Set-Cookie', refreshes);
      assert.deepEqual(refreshes[go.name], refreshes[ba.name], 'Set-Cookie on refresh: examples/basic (actual) vs Better Auth (expected)');
    });

    await t.test('a session expired in the shared row is none on either, and its row goes', async () => {
      const answers = {};
      for (const [from, to] of both) {
        const b = new Browser();
        const up = await signUp(from, b, { email: newEmail('expired') });
        await db.query(`update session set "expiresAt" = now() - interval '1 minute' where token = $1`, [up.token]);
        const r = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        assert.equal(r.json, null, r.what);
        const { rows } = await db.query('select 1 from session where token = $1', [up.token]);
        answers[to.name] = { rowDeleted: rows.length === 0, setCookies: r.setCookies.map((h) => h.replace(/=[^;]*/, '=<value>').replace(/Expires=[^;]*/i, 'Expires=<date>')) };
      }
      debug('expired session', answers);
      assert.deepEqual(answers[go.name], answers[ba.name], 'examples/basic (actual) vs Better Auth (expected)');
    });

    await t.test('rememberMe: false — the dont_remember cookie of either is honoured by the other (no sliding)', async () => {
      for (const [from, to] of both) {
        const email = newEmail('remember');
        await signUp(from, new Browser(), { email });
        const b = new Browser();
        const r = expectStatus(await b.call(from, 'POST', '/sign-in/email', { email, password: P1, rememberMe: false }), 200);
        assert.deepEqual(b.jar.names(), ['better-auth.dont_remember', SESSION_COOKIE], `${r.what}: both cookies`);
        const { rows: [before] } = await db.query(`update session set "expiresAt" = now() + interval '12 hours' where token = $1 returning "expiresAt"`, [r.json.token]);
        const g = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        assert.equal(g.json?.session?.token, r.json.token, g.what);
        const { rows: [afterRow] } = await db.query('select "expiresAt" from session where token = $1', [r.json.token]);
        assert.equal(afterRow.expiresAt.getTime(), before.expiresAt.getTime(), `${g.what}: not slid (dont_remember)`);
        assert.deepEqual(g.setCookies, [], `${g.what}: no cookie re-issued`);
      }
    });

    await t.test('sign-out on one ends the session on the other', async () => {
      for (const [from, to] of both) {
        const b = new Browser();
        const up = await signUp(from, b, { email: newEmail('signout') });
        const cookie = b.cookie();
        const out = expectStatus(await b.call(to, 'POST', '/sign-out', {}), 200);
        assert.deepEqual(out.json, { success: true }, out.what);
        const { rows } = await db.query('select 1 from session where token = $1', [up.token]);
        assert.equal(rows.length, 0, `${out.what}: the session row is gone`);
        b.jar.set(SESSION_COOKIE, cookie); // the old cookie, replayed
        const g = expectStatus(await b.call(from, 'GET', '/get-session'), 200);
        assert.equal(g.json, null, `${g.what}: signed out`);
      }
    });

    await t.test('a password changed on one works on the other; the old one fails on both', async () => {
      for (const [from, to] of both) {
        const email = newEmail('password');
        const b = new Browser();
        await signUp(to, b, { email, password: P1 });
        const r = expectStatus(await b.call(from, 'POST', '/change-password', { currentPassword: P1, newPassword: P2 }), 200);
        assert.equal(r.json.token, null, r.what);
        const { rows } = await db.query(
          'select a.password from account a join "user" u on u.id = a."userId" where u.email = $1 and a."providerId" = $2', [email, 'credential']);
        assert.equal(rows.length, 1, 'one credential account');
        assert.match(rows[0].password, /^[0-9a-f]{32}:[0-9a-f]{128}$/, 'scrypt salthex:keyhex');
        for (const srv of [to, from]) {
          expectStatus(await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P2 }), 200);
          const old = expectStatus(await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P1 }), 401);
          assert.equal(old.json?.code, 'INVALID_EMAIL_OR_PASSWORD', old.what);
        }
      }
    });

    await t.test('nickname written by update-user on one is read by the other; role defaults to "member" on both', async () => {
      for (const [from, to] of both) {
        const email = newEmail('fields');
        const b = new Browser();
        const up = await signUp(from, b, { email });
        assert.equal(up.user.role, 'member', `${from.name}'s sign-up answer: role`);
        assert.equal((await userRow(db, email)).role, 'member', `${from.name} stored role "member"`);
        for (const srv of [from, to]) {
          const g = expectStatus(await b.call(srv, 'GET', '/get-session'), 200);
          assert.equal(g.json.user.role, 'member', `${g.what}: role`);
          assert.equal(g.json.user.nickname ?? null, null, `${g.what}: no nickname yet`);
        }
        const nick = `nick-${from === ba ? 'ba' : 'go'}`;
        const u = expectStatus(await b.call(from, 'POST', '/update-user', { nickname: nick }), 200);
        assert.deepEqual(u.json, { status: true }, u.what);
        assert.equal((await userRow(db, email)).nickname, nick, 'the shared row');
        const g = expectStatus(await b.call(to, 'GET', '/get-session'), 200);
        assert.equal(g.json.user.nickname, nick, `${g.what}: nickname written by ${from.name}`);
        assert.equal(g.json.user.role, 'member', `${g.what}: role`);
        const mine = expectStatus(await b.call(from, 'GET', '/get-session'), 200);
        assert.deepEqual(g.json.user, mine.json.user, `${to.name}'s user (actual) equals ${from.name}'s (expected)`);
      }
    });

    await t.test('role (input: false) is refused from the client by both, alike', async () => {
      const answers = {};
      for (const srv of [ba, go]) {
        const b = new Browser();
        const email = newEmail('role');
        const up = await b.call(srv, 'POST', '/sign-up/email', { name: 'DB Interop', email, password: P1, role: 'admin' });
        await signUp(srv, b, { email: newEmail('role2') });
        const upd = await b.call(srv, 'POST', '/update-user', { role: 'admin' });
        answers[srv.name] = {
          signUp: { status: up.status, code: up.json?.code ?? null, message: up.json?.message ?? null },
          update: { status: upd.status, code: upd.json?.code ?? null, message: upd.json?.message ?? null },
        };
        const { rows } = await db.query('select role from "user" where role <> $1', ['member']);
        assert.deepEqual(rows, [], `${srv.name}: nobody became admin (${up.what} / ${upd.what})`);
      }
      debug('role from the client', answers);
      assert.deepEqual(answers[go.name], answers[ba.name], 'examples/basic (actual) vs Better Auth (expected)');
    });

    await t.test('a password-reset token issued by one is honoured by the other\'s POST /reset-password', async () => {
      const callbacks = {};
      for (const [from, to] of both) {
        const email = newEmail('reset');
        await signUp(from, new Browser(), { email, password: P1 });
        const req = expectStatus(await new Browser().call(from, 'POST', '/request-password-reset', { email, redirectTo: '/reset' }), 200);
        const m = await mailTo(from, 'reset-password', email);
        assert.match(m.token, /^[A-Za-z0-9]{24}$/, `${req.what}: a 24-character token`);
        const { rows } = await db.query('select value from verification where identifier = $1', [`reset-password:${m.token}`]);
        assert.equal(rows.length, 1, `a verification row reset-password:${m.token}`);
        assert.equal(rows[0].value, (await userRow(db, email)).id, 'its value is the user id');
        const cb = expectStatus(await new Browser().call(to, 'GET', `/reset-password/${m.token}?callbackURL=${encodeURIComponent('/reset')}`), 302);
        callbacks[to.name] = cb.location.replace(to.origin, '<origin>').replace(m.token, '<token>');
        const r = expectStatus(await new Browser().call(to, 'POST', '/reset-password', { newPassword: P3, token: m.token }), 200);
        assert.deepEqual(r.json, { status: true }, r.what);
        const gone = await db.query('select 1 from verification where identifier = $1', [`reset-password:${m.token}`]);
        assert.equal(gone.rows.length, 0, 'the token is consumed');
        for (const srv of [from, to]) {
          expectStatus(await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P3 }), 200);
          expectStatus(await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P1 }), 401);
        }
        const again = await new Browser().call(from, 'POST', '/reset-password', { newPassword: P2, token: m.token });
        expectStatus(again, 400);
        assert.equal(again.json?.code, 'INVALID_TOKEN', again.what);
      }
      debug('reset link callback', callbacks);
      assert.deepEqual(callbacks[go.name], callbacks[ba.name], 'GET /reset-password/:token redirect: examples/basic (actual) vs Better Auth (expected)');
    });

    // Each flow runs four times — the link made by A followed on B, for A and B each of Better Auth and
    // examples/basic — and every outcome must equal Better Auth's own (Better Auth → Better Auth).
    const follow = (b, srv, link) => {
      const u = new URL(link);
      return b.call(srv, 'GET', u.pathname.replace(/^\/api\/auth/, '') + u.search);
    };
    const fourWays = async (flow) => {
      const outcomes = {};
      for (const [from, to] of [[ba, ba], [ba, go], [go, ba], [go, go]]) {
        outcomes[`${from.name} → ${to.name}`] = await flow(from, to);
      }
      debug('outcomes', outcomes);
      const ref = outcomes[`${ba.name} → ${ba.name}`];
      for (const [k, v] of Object.entries(outcomes)) assert.deepEqual(v, ref, `${k} (actual) vs Better Auth → Better Auth (expected)`);
    };

    await t.test('change of email, unverified user: the verification link to the new address made by one works on the other', async () => {
      await fourWays(async (from, to) => {
        const email = newEmail('change');
        const next = newEmail('changed');
        const b = new Browser();
        const up = await signUp(from, b, { email });
        const r = expectStatus(await b.call(from, 'POST', '/change-email', { newEmail: next, callbackURL: '/changed' }), 200);
        const m = await mailTo(from, 'verify-email', next);
        const v = await follow(b, to, m.url);
        const { rows } = await db.query('select email, "emailVerified" from "user" where id = $1', [up.user.id]);
        return {
          changeEmail: r.json, follow: { status: v.status, location: v.location },
          row: { emailChanged: rows[0].email === next, emailVerified: rows[0].emailVerified },
        };
      });
    });

    await t.test('change of email, verified user: confirmation to the old address, then verification of the new one, across', async () => {
      await fourWays(async (from, to) => {
        const email = newEmail('change2');
        const next = newEmail('changed2');
        const b = new Browser();
        const up = await signUp(from, b, { email });
        await db.query('update "user" set "emailVerified" = true where email = $1', [email]);
        const r = expectStatus(await b.call(from, 'POST', '/change-email', { newEmail: next, callbackURL: '/changed' }), 200);
        const c = await mailTo(from, 'change-email-confirmation', email);
        const cv = await follow(b, to, c.url); // the old address confirms, on the other server
        const m = await mailTo(to, 'verify-email', next); // which mails the new address itself
        const v = await follow(b, from, m.url); // followed on the first server
        const { rows } = await db.query('select email, "emailVerified" from "user" where id = $1', [up.user.id]);
        return {
          changeEmail: r.json, confirm: { status: cv.status, location: cv.location }, verify: { status: v.status, location: v.location },
          row: { emailChanged: rows[0].email === next, emailVerified: rows[0].emailVerified },
        };
      });
    });

    await t.test('account deletion: the confirmation link of one is honoured by the other', async () => {
      for (const [from, to] of both) {
        const email = newEmail('delete');
        const b = new Browser();
        const up = await signUp(from, b, { email });
        expectStatus(await new Browser().call(to, 'POST', '/sign-in/email', { email, password: P1 }), 200);
        const r = expectStatus(await b.call(from, 'POST', '/delete-user', {}), 200);
        assert.deepEqual(r.json, { success: true, message: 'Verification email sent' }, r.what);
        const m = await mailTo(from, 'delete-account', email);
        const { rows } = await db.query('select value from verification where identifier = $1', [`delete-account-${m.token}`]);
        assert.deepEqual(rows.map((x) => x.value), [up.user.id], `a verification row delete-account-${m.token} → user id`);
        const u = new URL(m.url);
        const d = await b.call(to, 'GET', u.pathname.replace('/api/auth', '') + u.search);
        expectStatus(d, 302);
        const gone = await db.query('select (select count(*) from "user" where id = $1)::int as users, (select count(*) from session where "userId" = $1)::int as sessions, (select count(*) from account where "userId" = $1)::int as accounts', [up.user.id]);
        assert.deepEqual(gone.rows[0], { users: 0, sessions: 0, accounts: 0 }, `${d.what}: user, sessions and accounts gone`);
        for (const srv of [from, to]) expectStatus(await new Browser().call(srv, 'POST', '/sign-in/email', { email, password: P1 }), 401);
      }
    });

    await t.test('an email-verification token made by one verifies via the other\'s GET /verify-email', async () => {
      for (const [from, to] of both) {
        const email = newEmail('verify');
        const b = new Browser();
        await signUp(from, b, { email });
        const m = await mailTo(from, 'verify-email', email);
        assert.match(m.token, /^[\w-]+\.[\w-]+\.[\w-]+$/, 'a JWT');
        assert.equal((await userRow(db, email)).emailVerified, false, 'not verified yet');
        const r = await b.call(to, 'GET', `/verify-email?token=${encodeURIComponent(m.token)}&callbackURL=${encodeURIComponent('/done')}`);
        expectStatus(r, 302);
        assert.equal(r.location, '/done', r.what);
        assert.equal((await userRow(db, email)).emailVerified, true, `${r.what}: emailVerified flipped in the shared row`);
        for (const srv of [from, to]) {
          const g = expectStatus(await b.call(srv, 'GET', '/get-session'), 200);
          assert.equal(g.json?.user?.emailVerified, true, `${g.what}: emailVerified`);
        }
      }
    });
  });
}

// Additional fields of the other types (number, bigint, boolean, date, json, returned: false), written
// at sign-up and by update-user on one server and read by the other. Text ids.
const TYPED_FIELDS = {
  age: { type: 'number', required: false },
  karma: { type: 'number', bigint: true, required: false },
  newsletter: { type: 'boolean', required: false },
  birthday: { type: 'date', required: false },
  prefs: { type: 'json', required: false },
  secretNote: { type: 'string', required: false, returned: false },
};

test('additional fields of every type written by one are read alike by the other', { timeout: TIMEOUT }, async (t) => {
  if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');
  const { db, ba, go } = await startPair({ mode: 'text', fields: TYPED_FIELDS, tag: 'typed' });
  const answers = [];
  for (const [from, to] of [[ba, go], [go, ba]]) {
    const b = new Browser();
    const email = newEmail('typed');
    const up = expectStatus(await b.call(from, 'POST', '/sign-up/email', {
      name: 'Typed', email, password: P1,
      age: 42, karma: 9007199254740991, newsletter: true, birthday: '2000-02-29T00:00:00.000Z', prefs: { a: [1, 'x'], b: null }, secretNote: 'psst',
    }), 200);
    const first = { [from.name]: expectStatus(await b.call(from, 'GET', '/get-session'), 200), [to.name]: expectStatus(await b.call(to, 'GET', '/get-session'), 200) };
    expectStatus(await b.call(from, 'POST', '/update-user', { age: 7, newsletter: false, birthday: '1999-12-31T23:59:59.999Z', prefs: ['q'], secretNote: 'hush' }), 200);
    const second = { [from.name]: expectStatus(await b.call(from, 'GET', '/get-session'), 200), [to.name]: expectStatus(await b.call(to, 'GET', '/get-session'), 200) };
    const row = (await db.query('select age, karma, newsletter, birthday, prefs, "secretNote" from "user" where email = $1', [email])).rows[0];
    assert.deepEqual({ ...row, karma: String(row.karma), birthday: row.birthday.toISOString() },
      { age: 7, karma: '9007199254740991', newsletter: false, birthday: '1999-12-31T23:59:59.999Z', prefs: ['q'], secretNote: 'hush' }, 'the shared row');
    answers.push({ from, to, up, first, second });
  }

  const users = (pick) => answers.flatMap(({ from, up, first, second }) => [
    [`sign-up on ${from.name}`, up.json.user], ...Object.entries(first).map(([k, v]) => [`get-session on ${k}`, v.json.user]),
    ...Object.entries(second).map(([k, v]) => [`get-session on ${k} after update-user`, v.json.user]),
  ].map(([what, u]) => [what, pick(u)]));

  await t.test('number, boolean, date, json and returned: false fields: the same values on both', () => {
    for (const { from, to, first, second } of answers) {
      for (const [label, pair] of [['after sign-up', first], ['after update-user', second]]) {
        const { karma: k1, ...mine } = pair[from.name].json.user;
        const { karma: k2, ...theirs } = pair[to.name].json.user;
        assert.deepEqual(theirs, mine, `${label} on ${from.name}: ${to.name}'s user (actual) vs ${from.name}'s (expected), karma aside`);
        assert.equal(String(k2), String(k1), 'karma, as text');
        assert.ok(!('secretNote' in theirs) && !('secretNote' in mine), 'secretNote (returned: false) is never shown');
      }
    }
    for (const [what, v] of users((u) => [u.age, u.newsletter, u.birthday, u.prefs])) {
      const expected = what.endsWith('after update-user') ? [7, false, '1999-12-31T23:59:59.999Z', ['q']] : [42, true, '2000-02-29T00:00:00.000Z', { a: [1, 'x'], b: null }];
      assert.deepEqual(v, expected, `${what}: age, newsletter, birthday, prefs`);
    }
  });

  // node-postgres hands Better Auth int8 columns as strings and Better Auth passes them on, so a
  // bigint field is a JSON string there; examples/basic answers the same.
  await t.test('bigint fields: the same JSON type on both', () => {
    const types = {};
    for (const [what, v] of users((u) => typeof u.karma)) (types[v] ??= []).push(what);
    assert.deepEqual(Object.keys(types), ['string'], `JSON type of karma: ${JSON.stringify(types)}`);
  });
});
