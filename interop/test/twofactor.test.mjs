// The two-factor plugin against a real Better Auth 1.7.25 (twoFactor() with its defaults, one-time
// codes captured as mail).
//
// 1. Better Auth's own client with twoFactorClient() (better-auth/client/plugins), in Node with a
//    browser-like cookie jar, runs the same script against Better Auth (ba-server.mjs, twoFactor: true)
//    and examples/basic (BETTER_AUTH_TWO_FACTOR=true), both in memory: enable, the first verify-totp,
//    a challenged sign-in and each way to complete it (verifyTotp, sendOtp + verifyOtp,
//    verifyBackupCode), wrong codes, trustDevice and disable. Every expectation is checked against
//    Better Auth first, then against examples/basic, and the normalized records of both runs (HTTP
//    status, data type tree, error code and message, Set-Cookie without values) must be equal.
//
// 2. One PostgreSQL database, both ways (skipped without PostgreSQL, except under CI, as db.test.mjs):
//    Better Auth with twoFactor() on a node-postgres Pool and examples/basic on the same DATABASE_URL
//    and secret, both on 127.0.0.1 so that one cookie jar serves both, as a browser would. A user
//    enrolled on either is challenged and verified by the other; a challenge of one is completed on
//    the other; backup codes work across, each once; a one-time code sent by one is verified by the
//    other; a trusted device of one is trusted by the other; the twoFactor rows look the same.
//
// 3. The schema: Better Auth's migrator (getMigrations with twoFactor()) on an empty database, then
//    examples/basic adopts it without touching the twoFactor table or user.twoFactorEnabled; on a
//    second database examples/basic first, then Better Auth's migrator has nothing to do; both make
//    the same twoFactor table and user column.
//
// TOTP codes are computed here (RFC 6238: HMAC-SHA1 over the secret of the otpauth URI, 30 s steps,
// 6 digits), checked once against Better Auth's own createOTP. Rate limits are off on both servers.
// INTEROP_DEBUG=1 prints every exchange.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { after, before, test } from 'node:test';
import { createOTP } from '@better-auth/utils/otp';
import { createAuthClient } from 'better-auth/client';
import { twoFactorClient } from 'better-auth/client/plugins';
import { symmetricDecrypt } from 'better-auth/crypto';
import { getMigrations } from 'better-auth/db/migration';
import { twoFactor } from 'better-auth/plugins/two-factor';
import { startBetterAuth } from '../ba-server.mjs';
import { columnOrder, diff, snapshot } from '../lib/catalog.mjs';
import { createDatabase, pool, postgresServer } from '../lib/db.mjs';
import { CookieJar, browserLikeFetch, parseSetCookie } from '../lib/jar.mjs';
import { SECRET, buildBasic, startBasic } from '../lib/servers.mjs';
import { resultShape, shape } from '../lib/shape.mjs';

const TIMEOUT = 180_000;
const PASSWORD = 'correct-horse-1';
const PLUGIN_ENV = { BETTER_AUTH_TWO_FACTOR: 'true' };
const SESSION_COOKIE = 'better-auth.session_token';
const TWO_FACTOR_COOKIE = 'better-auth.two_factor';
const TRUST_COOKIE = 'better-auth.trust_device';
const BACKUP_CODE = /^[A-Za-z0-9]{5}-[A-Za-z0-9]{5}$/;
// What our migrations add to a Better Auth database on purpose (schema.test.mjs checks them in detail).
const EXTRA_INDEXES = ['user_createdAt_idx', 'session_expiresAt_idx', 'account_providerId_accountId_idx', 'verification_expiresAt_idx'];
const VERSION_TABLE = 'betterauth_schema_migrations';
const debug = (what) => { if (process.env.INTEROP_DEBUG) console.error(`[2fa] ${what}`); };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const cleanups = [];
let server; // the PostgreSQL server, null when there is none

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

const newEmail = (tag) => `2fa-${tag}-${randomBytes(5).toString('hex')}@example.com`;

// ---------------------------------------------------------------------------------------------------
// TOTP, RFC 6238, with node's crypto.

const B32 = 'ABCDEFGHIJKLMNOPQRSTUVWXYZ234567';

function base32Decode(s) {
  let bits = 0;
  let acc = 0;
  const out = [];
  for (const ch of s.replace(/=+$/, '').toUpperCase()) {
    const v = B32.indexOf(ch);
    assert.ok(v >= 0, `base32 character ${ch}`);
    acc = (acc << 5) | v;
    bits += 5;
    if (bits >= 8) {
      bits -= 8;
      out.push((acc >>> bits) & 0xff);
    }
  }
  return Buffer.from(out);
}

/** The 6-digit code of a base32 key at a 30 s step (HOTP of RFC 4226 with the step as counter). */
function totpAt(keyB32, step) {
  const counter = Buffer.alloc(8);
  counter.writeBigUInt64BE(BigInt(step));
  const mac = createHmac('sha1', base32Decode(keyB32)).update(counter).digest();
  const off = mac[mac.length - 1] & 0x0f;
  const n = ((mac[off] & 0x7f) << 24) | (mac[off + 1] << 16) | (mac[off + 2] << 8) | mac[off + 3];
  return String(n % 1_000_000).padStart(6, '0');
}

const stepNow = () => Math.floor(Date.now() / 30_000);

/** The secret (base32) of an otpauth URI. */
function uriSecret(uri) {
  return new URL(uri).searchParams.get('secret');
}

/** The current code for an otpauth URI (the servers accept the steps either side too). */
const totp = (uri) => totpAt(uriSecret(uri), stepNow());

/** A 6-digit code that is none of the codes of the seven steps around now: wrong whenever it is sent. */
function wrongTotp(uri) {
  const near = new Set();
  for (let i = -3; i <= 3; i++) near.add(totpAt(uriSecret(uri), stepNow() + i));
  for (let n = 0; ; n++) {
    const c = String((123456 + n * 7919) % 1_000_000).padStart(6, '0');
    if (!near.has(c)) return c;
  }
}

// ---------------------------------------------------------------------------------------------------
// A browser: one cookie jar, Better Auth's client with twoFactorClient() for each server it talks to.

class Agent {
  jar = new CookieJar();
  log = [];
  #clients = new Map();

  client(srv) {
    if (!this.#clients.has(srv.origin)) {
      const fetch = browserLikeFetch({ jar: this.jar, origin: srv.origin, log: this.log });
      this.#clients.set(srv.origin, createAuthClient({
        baseURL: srv.origin, plugins: [twoFactorClient()], fetchOptions: { customFetchImpl: fetch },
      }));
    }
    return this.#clients.get(srv.origin);
  }

  /** Calls the client on srv; resolves to { data, error, http, setCookies (parsed), what }. */
  async call(srv, label, fn) {
    const start = this.log.length;
    const result = await fn(this.client(srv));
    const http = this.log[start];
    assert.ok(http, `${label}: a request was made`);
    const what = `${srv.name}: ${label} → ${http.status} ${http.text.slice(0, 400)}`;
    debug(`${what} ${JSON.stringify(http.setCookies)}`);
    return { ...result, http, label, setCookies: http.setCookies.map(parseSetCookie), what };
  }

  session() { return this.jar.get(SESSION_COOKIE); }
}

/** The Set-Cookie of name in r (parsed), or undefined. */
const setCookie = (r, name) => r.setCookies.find((c) => c.name === name);

function assertOK(r) {
  assert.equal(r.error, null, `${r.what}: no error`);
  assert.equal(r.http.status, 200, r.what);
}

function assertError(r, status, code, message) {
  assert.equal(r.data, null, `${r.what}: no data`);
  assert.equal(r.http.status, status, r.what);
  assert.equal(r.error?.code, code, r.what);
  if (message) assert.equal(r.error?.message, message, r.what);
}

/** A challenged sign-in's answer: {twoFactorRedirect: true, twoFactorMethods}, the two_factor cookie
 * (Max-Age 600) and no session cookie. */
function assertChallenge(r, methods = ['totp', 'otp']) {
  assertOK(r);
  assert.deepEqual(r.data, { twoFactorRedirect: true, twoFactorMethods: methods }, r.what);
  const c = setCookie(r, TWO_FACTOR_COOKIE);
  assert.ok(c && c.value, `${r.what}: sets ${TWO_FACTOR_COOKIE}`);
  assert.match(decodeURIComponent(c.value), /^2fa-[A-Za-z0-9_-]{20}\.[A-Za-z0-9+/]{43}=$/, `${r.what}: 2fa-<20>.<signature>`);
  assert.deepEqual(c.attrs, { 'max-age': '600', path: '/', httponly: true, samesite: 'Lax' }, `${r.what}: ${TWO_FACTOR_COOKIE} attributes`);
  const s = setCookie(r, SESSION_COOKIE);
  assert.ok(!s || s.value === '', `${r.what}: no session cookie`);
}

/** A completed sign-in: {token, user}, the session cookie carrying that token, two_factor cleared. */
function assertSignedIn(r, agent, email) {
  assertOK(r);
  assert.deepEqual(Object.keys(r.data).sort(), ['token', 'user'], r.what);
  assert.equal(r.data.user.email, email, r.what);
  assert.equal(r.data.user.twoFactorEnabled, true, `${r.what}: twoFactorEnabled`);
  const s = setCookie(r, SESSION_COOKIE);
  assert.ok(s?.value, `${r.what}: a session cookie`);
  assert.equal(decodeURIComponent(s.value).split('.')[0], r.data.token, `${r.what}: the cookie carries the answer's token`);
  assert.equal(agent.jar.get(TWO_FACTOR_COOKIE), undefined, `${r.what}: ${TWO_FACTOR_COOKIE} cleared`);
}

/** Waits for the newest two-factor-otp mail to `to` of srv beyond the first `seen`; its code. */
async function otpFor(srv, to, seen) {
  for (let i = 0; i < 500; i++) {
    const m = srv.mails().filter((x) => x.kind === 'two-factor-otp' && x.to === to);
    if (m.length > seen) return m.at(-1).token;
    await sleep(20);
  }
  assert.fail(`${srv.name}: no two-factor-otp mail to ${to}`);
}
const otpCount = (srv, to) => srv.mails().filter((x) => x.kind === 'two-factor-otp' && x.to === to).length;

// ---------------------------------------------------------------------------------------------------
// 1. The client script, in memory, on each server.

/**
 * Runs the script on srv ({ name, kind: 'ba' | 'go', origin, mails() }). Resolves to { steps: [{ name,
 * calls, failure }] }: calls are the normalized records of every client call (values left out: the
 * deliberate difference of the first verify-totp is asserted in its step); a failed step does not
 * stop the script.
 */
async function runScript(srv) {
  const steps = [];
  const st = {};
  const email = newEmail(srv.kind);
  async function step(name, fn) {
    const rec = { name, calls: [], failure: null };
    const s = {
      async call(agent, label, fn2) {
        const r = await agent.call(srv, label, fn2);
        rec.calls.push({ label, request: `${r.http.method} ${r.http.path.replace(/^\/api\/auth/, '')}`, ...resultShape(r, r.http) });
        return r;
      },
    };
    try {
      await fn(s);
    } catch (err) {
      rec.failure = err;
    }
    steps.push(rec);
  }
  const A = new Agent();

  await step('sign-up: the user has twoFactorEnabled: false', async (s) => {
    const r = await s.call(A, 'signUp.email', (c) => c.signUp.email({ name: '2FA User', email, password: PASSWORD }));
    assertOK(r);
    assert.equal(r.data.user.twoFactorEnabled, false, r.what);
    st.signUpToken = r.data.token;
  });

  await step('twoFactor.enable with a wrong password: 400 INVALID_PASSWORD', async (s) => {
    const r = await s.call(A, 'twoFactor.enable', (c) => c.twoFactor.enable({ password: 'wrong-password-9' }));
    assertError(r, 400, 'INVALID_PASSWORD', 'Invalid password');
  });

  await step('twoFactor.enable: {method: "totp", totpURI, backupCodes}; not on yet', async (s) => {
    const r = await s.call(A, 'twoFactor.enable', (c) => c.twoFactor.enable({ password: PASSWORD }));
    assertOK(r);
    // Kept first, so that the later steps run even when the answer's form below is wrong.
    st.uri = r.data.totpURI;
    st.codes = r.data.backupCodes;
    assert.deepEqual(Object.keys(r.data), ['method', 'totpURI', 'backupCodes'], r.what);
    assert.equal(r.data.method, 'totp');
    const uri = r.data.totpURI;
    const m = new RegExp(`^otpauth://totp/Better%20Auth:${encodeURIComponent(email).replace(/\./g, '\\.')}\\?secret=([A-Z2-7]{52})&issuer=Better\\+Auth&digits=6&period=30$`).exec(uri);
    assert.ok(m, `totpURI ${uri}`);
    assert.equal(r.data.backupCodes.length, 10, 'ten backup codes');
    for (const code of r.data.backupCodes) assert.match(code, BACKUP_CODE);
    assert.equal(new Set(r.data.backupCodes).size, 10, 'all different');
    assert.deepEqual(r.setCookies, [], `${r.what}: no cookie (the session stays until the first code)`);
    // Our RFC 6238 code is one Better Auth's createOTP makes for the same secret (decoded from the URI).
    const theirs = await createOTP(base32Decode(m[1]).toString('latin1'), { digits: 6, period: 30 }).totp();
    const ours = [-1, 0, 1].map((i) => totpAt(m[1], stepNow() + i));
    assert.ok(ours.includes(theirs), `createOTP's code ${theirs} is one of ours ${ours}`);
    const g = await s.call(A, 'getSession', (c) => c.getSession());
    assert.equal(g.data?.user?.twoFactorEnabled, false, `${g.what}: not enabled before the first code`);
  });

  await step('before the first code a sign-in is not challenged', async (s) => {
    const B = new Agent();
    const r = await s.call(B, 'signIn.email', (c) => c.signIn.email({ email, password: PASSWORD }));
    assertOK(r);
    assert.equal(r.data.twoFactorRedirect, undefined, r.what);
    assert.ok(B.session(), `${r.what}: a session cookie`);
  });

  await step('signed in, a wrong code: verifyTotp 401 INVALID_CODE, verifyBackupCode 401 INVALID_BACKUP_CODE', async (s) => {
    const r = await s.call(A, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: wrongTotp(st.uri) }));
    assertError(r, 401, 'INVALID_CODE', 'Invalid code');
    const b = await s.call(A, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: 'AAAAA-00000' }));
    assertError(b, 401, 'INVALID_BACKUP_CODE', 'Invalid backup code');
  });

  await step('twoFactor.verifyTotp (signed in) turns two-factor on and replaces the session', async (s) => {
    const old = A.session();
    const r = await s.call(A, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(st.uri) }));
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['token', 'user'], r.what);
    const cookie = setCookie(r, SESSION_COOKIE);
    assert.ok(cookie?.value && cookie.value !== old, `${r.what}: a new session cookie`);
    const newToken = decodeURIComponent(cookie.value).split('.')[0];
    // Deliberate difference: Better Auth answers the old (already deleted) token and the user as it
    // was; examples/basic answers the new session's token and the updated user.
    if (srv.kind === 'ba') {
      assert.equal(r.data.token, st.signUpToken, 'Better Auth: the old token');
      assert.equal(r.data.user.twoFactorEnabled, false, 'Better Auth: the stale user');
    } else {
      assert.equal(r.data.token, newToken, 'examples/basic: the new session\'s token');
      assert.equal(r.data.user.twoFactorEnabled, true, 'examples/basic: the updated user');
    }
    const g = await s.call(A, 'getSession', (c) => c.getSession());
    assert.equal(g.data?.user?.twoFactorEnabled, true, `${g.what}: enabled`);
    assert.equal(g.data?.session?.token, newToken, `${g.what}: the new session`);
    const stale = new Agent();
    stale.jar.set(SESSION_COOKIE, old);
    const o = await s.call(stale, 'getSession (the old cookie)', (c) => c.getSession());
    assert.equal(o.data, null, `${o.what}: the old session is gone`);
  });

  await step('twoFactor.enable again: 400 TOTP_ALREADY_ENABLED', async (s) => {
    const r = await s.call(A, 'twoFactor.enable', (c) => c.twoFactor.enable({ password: PASSWORD }));
    assertError(r, 400, 'TOTP_ALREADY_ENABLED', 'TOTP is already enabled');
  });

  const B = new Agent();
  const challenge = async (s) => {
    const r = await s.call(B, 'signIn.email', (c) => c.signIn.email({ email, password: PASSWORD }));
    assertChallenge(r);
    assert.equal(B.session(), undefined, 'no session cookie in the jar');
    return r;
  };
  const signOut = async (s) => assertOK(await s.call(B, 'signOut', (c) => c.signOut()));

  await step('signIn.email: {twoFactorRedirect: true, twoFactorMethods: ["totp", "otp"]}, a two_factor cookie (Max-Age 600), no session', async (s) => {
    await challenge(s);
    const g = await s.call(B, 'getSession', (c) => c.getSession());
    assert.equal(g.data, null, `${g.what}: not signed in`);
  });

  await step('twoFactor.verifyTotp: a wrong code is 401 INVALID_CODE, the right one completes the sign-in', async (s) => {
    const bad = await s.call(B, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: wrongTotp(st.uri) }));
    assertError(bad, 401, 'INVALID_CODE', 'Invalid code');
    assert.ok(B.jar.get(TWO_FACTOR_COOKIE), 'the challenge stays');
    const r = await s.call(B, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(st.uri) }));
    assertSignedIn(r, B, email);
    const cleared = setCookie(r, TWO_FACTOR_COOKIE);
    assert.deepEqual([cleared?.value, cleared?.attrs['max-age']], ['', '0'], `${r.what}: ${TWO_FACTOR_COOKIE} cleared`);
    const g = await s.call(B, 'getSession', (c) => c.getSession());
    assert.equal(g.data?.session?.token, r.data.token, `${g.what}: the new session`);
  });

  await step('twoFactor.sendOtp + verifyOtp: a wrong code is 401 INVALID_CODE, the mailed one completes the sign-in', async (s) => {
    await signOut(s);
    await challenge(s);
    const seen = otpCount(srv, email);
    const r1 = await s.call(B, 'twoFactor.sendOtp', (c) => c.twoFactor.sendOtp());
    assertOK(r1);
    assert.deepEqual(r1.data, { status: true }, r1.what);
    const code = await otpFor(srv, email, seen);
    assert.match(code, /^[0-9]{6}$/, 'a 6-digit code');
    const wrong = String((Number(code) + 1) % 1_000_000).padStart(6, '0');
    const bad = await s.call(B, 'twoFactor.verifyOtp', (c) => c.twoFactor.verifyOtp({ code: wrong }));
    assertError(bad, 401, 'INVALID_CODE', 'Invalid code');
    const r = await s.call(B, 'twoFactor.verifyOtp', (c) => c.twoFactor.verifyOtp({ code }));
    assertSignedIn(r, B, email);
  });

  await step('twoFactor.verifyBackupCode: a wrong code is 401 INVALID_BACKUP_CODE, a backup code completes the sign-in once', async (s) => {
    await signOut(s);
    await challenge(s);
    const bad = await s.call(B, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: 'AAAAA-00000' }));
    assertError(bad, 401, 'INVALID_BACKUP_CODE', 'Invalid backup code');
    const r = await s.call(B, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: st.codes[0] }));
    assertSignedIn(r, B, email);
    await signOut(s);
    await challenge(s);
    const used = await s.call(B, 'twoFactor.verifyBackupCode (used)', (c) => c.twoFactor.verifyBackupCode({ code: st.codes[0] }));
    assertError(used, 401, 'INVALID_BACKUP_CODE', 'Invalid backup code');
    const r2 = await s.call(B, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: st.codes[1] }));
    assertSignedIn(r2, B, email);
  });

  await step('trustDevice: a trust_device cookie (30 days); the next sign-in skips the challenge and renews it', async (s) => {
    await signOut(s);
    await challenge(s);
    const r = await s.call(B, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(st.uri), trustDevice: true }));
    assertSignedIn(r, B, email);
    const trust = setCookie(r, TRUST_COOKIE);
    assert.ok(trust?.value, `${r.what}: ${TRUST_COOKIE}`);
    assert.match(decodeURIComponent(trust.value), /^[A-Za-z0-9_-]{43}!trust-device-[A-Za-z0-9_-]{32}\.[A-Za-z0-9+/]{43}=$/, `${r.what}: <hmac>!trust-device-<32>.<signature>`);
    assert.deepEqual(trust.attrs, { 'max-age': '2592000', path: '/', httponly: true, samesite: 'Lax' }, `${r.what}: ${TRUST_COOKIE} attributes`);
    await signOut(s);
    assert.equal(B.jar.get(TRUST_COOKIE), trust.value, 'sign-out keeps the trust');
    const t = await s.call(B, 'signIn.email (trusted)', (c) => c.signIn.email({ email, password: PASSWORD }));
    assertOK(t);
    assert.equal(t.data.twoFactorRedirect, undefined, `${t.what}: not challenged`);
    assert.ok(B.session(), `${t.what}: a session cookie`);
    const renewed = setCookie(t, TRUST_COOKIE);
    assert.ok(renewed?.value && renewed.value !== trust.value, `${t.what}: ${TRUST_COOKIE} renewed`);
    assert.equal(renewed.attrs['max-age'], '2592000');
    const other = new Agent();
    other.jar.set(TRUST_COOKIE, trust.value);
    const o = await s.call(other, 'signIn.email (the replaced trust cookie)', (c) => c.signIn.email({ email, password: PASSWORD }));
    assertChallenge(o);
    const cleared = setCookie(o, TRUST_COOKIE);
    assert.deepEqual([cleared?.value, cleared?.attrs['max-age']], ['', '0'], `${o.what}: the stale ${TRUST_COOKIE} cleared`);
  });

  await step('twoFactor.disable: a wrong password is 400 INVALID_PASSWORD; then off, the trust cleared, sign-in not challenged', async (s) => {
    const bad = await s.call(B, 'twoFactor.disable', (c) => c.twoFactor.disable({ password: 'wrong-password-9' }));
    assertError(bad, 400, 'INVALID_PASSWORD', 'Invalid password');
    const before = B.session();
    const r = await s.call(B, 'twoFactor.disable', (c) => c.twoFactor.disable({ password: PASSWORD }));
    assertOK(r);
    assert.deepEqual(r.data, { status: true }, r.what);
    assert.ok(B.session() && B.session() !== before, `${r.what}: a new session cookie`);
    const cleared = setCookie(r, TRUST_COOKIE);
    assert.deepEqual([cleared?.value, cleared?.attrs['max-age']], ['', '0'], `${r.what}: ${TRUST_COOKIE} cleared`);
    const g = await s.call(B, 'getSession', (c) => c.getSession());
    assert.equal(g.data?.user?.twoFactorEnabled, false, `${g.what}: off`);
    const C = new Agent();
    const i = await s.call(C, 'signIn.email', (c) => c.signIn.email({ email, password: PASSWORD }));
    assertOK(i);
    assert.equal(i.data.twoFactorRedirect, undefined, `${i.what}: not challenged`);
    assert.equal(i.data.user.twoFactorEnabled, false, i.what);
  });

  return { steps };
}

const runs = {};

async function reportSteps(t, run, who) {
  for (const st of run.steps) {
    await t.test(st.name, () => {
      if (st.failure) {
        st.failure.message = `[${who}] ${st.failure.message}`;
        throw st.failure;
      }
    });
  }
}

test('two-factor, in memory: Better Auth 1.7.25 meets every expectation of the client script', { timeout: TIMEOUT }, async (t) => {
  const ba = await startBetterAuth({ secret: SECRET, twoFactor: true });
  cleanups.push(() => ba.close());
  runs.ba = await runScript({ name: 'Better Auth', kind: 'ba', origin: ba.origin, mails: () => ba.mails });
  await reportSteps(t, runs.ba, 'Better Auth: the expectation is wrong');
});

test('two-factor, in memory: examples/basic meets them and answers as Better Auth does', { timeout: TIMEOUT }, async (t) => {
  const basic = await startBasic({ env: PLUGIN_ENV });
  cleanups.push(() => basic.stop());
  runs.go = await runScript({ name: 'examples/basic', kind: 'go', origin: basic.origin, mails: basic.mails });
  await reportSteps(t, runs.go, 'examples/basic');
  assert.ok(runs.ba, 'the Better Auth run');
  await t.test('the same answers as Better Auth, call by call', () => {
    assert.deepEqual(runs.go.steps.map((s) => s.name), runs.ba.steps.map((s) => s.name));
    for (let i = 0; i < runs.ba.steps.length; i++) {
      const a = runs.go.steps[i];
      const b = runs.ba.steps[i];
      for (let j = 0; j < Math.max(a.calls.length, b.calls.length); j++) {
        const label = (b.calls[j] ?? a.calls[j]).label;
        assert.deepEqual(a.calls[j], b.calls[j], `${b.name}: call ${j + 1} (${label}): examples/basic (actual) vs Better Auth 1.7.25 (expected)`);
      }
    }
  });
});

// ---------------------------------------------------------------------------------------------------
// 2 and 3. One PostgreSQL database.

/** Better Auth's options on a pool, for its migrator (the server gets twoFactor() from ba-server). */
const migratorOptions = (db) => ({ database: db, plugins: [twoFactor()], secret: SECRET, emailAndPassword: { enabled: true } });

/** What Better Auth's migrator would do on url (with twoFactor()), without doing it. */
async function baPlan(url) {
  const db = pool(url);
  try {
    const m = await getMigrations(migratorOptions(db), { throwOnUnsafe: false });
    return {
      toBeCreated: m.toBeCreated.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAdded: m.toBeAdded.map((x) => `${x.table}(${Object.keys(x.fields).join(', ')})`),
      toBeAddedIndexes: m.toBeAddedIndexes.map((x) => `${x.table}.${x.name}`),
      unsafeChanges: m.unsafeChanges,
      schemaProblems: m.schemaProblems,
      sql: (await m.compileMigrations()).replace(/[;\s]/g, ''),
    };
  } finally {
    await db.end();
  }
}

async function baMigrate(url) {
  const db = pool(url);
  try {
    await (await getMigrations(migratorOptions(db))).runMigrations();
  } finally {
    await db.end();
  }
}

/** The plugin's part of a catalog snapshot: the twoFactor table (columns, constraints, indexes,
 * triggers) and user.twoFactorEnabled. */
function twoFactorPart(snap) {
  const out = {};
  for (const [kind, recs] of Object.entries(snap)) {
    if (kind === 'extensions') continue;
    out[kind] = Object.fromEntries(Object.entries(recs).filter(([k]) => k === 'twoFactor' || k.startsWith('twoFactor.') ||
      k.startsWith('twoFactor_') || k === 'user.twoFactorEnabled'));
  }
  return out;
}

/** Better Auth (twoFactor(), on a pool) and examples/basic (BETTER_AUTH_TWO_FACTOR) on url. */
async function startBoth(url) {
  const baPool = pool(url);
  cleanups.push(() => baPool.end());
  const baServer = await startBetterAuth({ secret: SECRET, options: { database: baPool }, twoFactor: true });
  cleanups.push(() => baServer.close());
  const basic = await startBasic({ env: { ...PLUGIN_ENV, DATABASE_URL: url } });
  cleanups.push(() => basic.stop());
  return {
    ba: { name: 'Better Auth', kind: 'ba', origin: baServer.origin, mails: () => baServer.mails },
    go: { name: 'examples/basic', kind: 'go', origin: basic.origin, mails: basic.mails, logs: basic.logs },
  };
}

/** Signs up on srv, enables two-factor and turns it on with a first code; { email, uri, codes, id }. */
async function enroll(srv, tag) {
  const agent = new Agent();
  const email = newEmail(tag);
  const up = await agent.call(srv, 'signUp.email', (c) => c.signUp.email({ name: '2FA DB', email, password: PASSWORD }));
  assertOK(up);
  const en = await agent.call(srv, 'twoFactor.enable', (c) => c.twoFactor.enable({ password: PASSWORD }));
  assertOK(en);
  const v = await agent.call(srv, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(en.data.totpURI) }));
  assertOK(v);
  return { email, id: up.data.user.id, uri: en.data.totpURI, codes: en.data.backupCodes, agent };
}

async function challengeOn(srv, agent, email) {
  const r = await agent.call(srv, 'signIn.email', (c) => c.signIn.email({ email, password: PASSWORD }));
  assertChallenge(r);
  return r;
}

async function signOut(srv, agent) {
  assertOK(await agent.call(srv, 'signOut', (c) => c.signOut()));
}

/** Whose session the agent's cookie is on srv: the user id, or null. */
async function whoOn(srv, agent) {
  const g = await agent.call(srv, 'getSession', (c) => c.getSession());
  return g.data?.user?.id ?? null;
}

/** A twoFactor row made comparable. */
function twoFactorRowShape(row, userId) {
  return {
    columns: Object.keys(row).sort(),
    id: /^[A-Za-z0-9]{32}$/.test(row.id) ? '<32 letters and digits>' : row.id,
    secret: /^[0-9a-f]+$/.test(row.secret) ? `<${row.secret.length} hex>` : row.secret,
    backupCodes: /^[0-9a-f]+$/.test(row.backupCodes) ? '<hex>' : row.backupCodes,
    userId: row.userId === userId ? '<user id>' : row.userId,
    verified: row.verified,
    failedVerificationCount: row.failedVerificationCount,
    lockedUntil: row.lockedUntil,
  };
}

test('two-factor: Better Auth and examples/basic share one PostgreSQL database, both ways', { timeout: TIMEOUT }, async (t) => {
  if (!server) return t.skip('no PostgreSQL: install it or set INTEROP_DATABASE_URL');

  // Database 1: Better Auth's migrator first, then examples/basic adopts it.
  const baURL = await createDatabase(server.url, 'interop_2fa_ba_first');
  await baMigrate(baURL);
  const baMigrated = await snapshot(baURL);
  const one = await startBoth(baURL);
  const adopted = await snapshot(baURL);

  // Database 2: examples/basic first (its migrations make every table, twoFactor included).
  const goURL = await createDatabase(server.url, 'interop_2fa_go_first');
  const goFirst = await startBasic({ env: { ...PLUGIN_ENV, DATABASE_URL: goURL } });
  await goFirst.stop();
  const goMigrated = await snapshot(goURL);
  const plan = await baPlan(goURL);

  const db = pool(baURL);
  cleanups.push(() => db.end());

  await t.test('schema: after Better Auth\'s migrator, examples/basic adopts the twoFactor table and user.twoFactorEnabled as they are', () => {
    assert.match(one.go.logs(), /migrations applied/, 'examples/basic ran its migrations');
    assert.ok('twoFactor.secret' in baMigrated.columns, 'Better Auth\'s migrator made the twoFactor table');
    assert.ok('user.twoFactorEnabled' in baMigrated.columns, 'and user.twoFactorEnabled');
    const added = diff(baMigrated, adopted, { aName: 'Better Auth\'s', bName: 'after examples/basic' });
    const isOurs = (l) => l.includes(': only in after examples/basic') &&
      (l.includes(VERSION_TABLE) || EXTRA_INDEXES.some((ix) => l.includes(ix)));
    assert.deepEqual(added.filter((l) => !isOurs(l)), [], 'examples/basic changed more than its version table and its four indexes');
    assert.deepEqual(diff(twoFactorPart(baMigrated), twoFactorPart(adopted)), [], 'the twoFactor table and user.twoFactorEnabled are untouched');
  });

  await t.test('schema: after examples/basic, Better Auth\'s migrator (with twoFactor) has nothing to do', () => {
    assert.ok('twoFactor.secret' in goMigrated.columns, 'examples/basic\'s migrations made the twoFactor table');
    assert.deepEqual(plan, { toBeCreated: [], toBeAdded: [], toBeAddedIndexes: [], unsafeChanges: [], schemaProblems: [], sql: '' },
      'Better Auth\'s migrator on the database examples/basic made');
  });

  await t.test('schema: the twoFactor table and user.twoFactorEnabled are the same either way (columns, types, nullability, defaults, FK, indexes, column order)', async () => {
    const theirs = twoFactorPart(baMigrated);
    const ours = twoFactorPart(goMigrated);
    assert.deepEqual(diff(theirs, ours, { aName: 'Better Auth\'s', bName: 'ours' }), [],
      'twoFactor made by Better Auth\'s migrator vs by examples/basic\'s migrations');
    // What Better Auth makes (spec §16.5), so that an empty part cannot pass the comparison.
    const cols = Object.fromEntries(Object.entries(theirs.columns).map(([k, v]) => [k, `${v.type}${v.not_null ? ' not null' : ''}${v.default_expr ? ` default ${v.default_expr}` : ''}`]));
    assert.deepEqual(cols, {
      'twoFactor.id': 'text not null', 'twoFactor.secret': 'text not null', 'twoFactor.backupCodes': 'text not null',
      'twoFactor.userId': 'text not null', 'twoFactor.verified': 'boolean', 'twoFactor.failedVerificationCount': 'integer',
      'twoFactor.lockedUntil': 'timestamp with time zone', 'user.twoFactorEnabled': 'boolean',
    }, 'Better Auth\'s columns');
    assert.deepEqual(Object.keys(theirs.indexes).sort(), ['twoFactor.twoFactor_pkey', 'twoFactor.twoFactor_secret_idx', 'twoFactor.twoFactor_userId_idx']);
    const fk = Object.values(theirs.constraints).filter((c) => c.type === 'f').map((c) => c.definition);
    assert.deepEqual(fk, ['FOREIGN KEY ("userId") REFERENCES "user"(id) ON DELETE CASCADE']);
    const order = { theirs: (await columnOrder(baURL)).twoFactor, ours: (await columnOrder(goURL)).twoFactor };
    assert.deepEqual(order.ours, order.theirs, 'column order: ours (actual) vs Better Auth\'s (expected)');
  });

  const { ba, go } = one;
  const both = [[ba, go], [go, ba]];

  await t.test('rows: the twoFactor row examples/basic writes looks like the one Better Auth writes', async () => {
    const shapes = {};
    for (const srv of [ba, go]) {
      const u = await enroll(srv, `row-${srv.kind}`);
      const { rows } = await db.query('select * from "twoFactor" where "userId" = $1', [u.id]);
      assert.equal(rows.length, 1, `${srv.name}: one twoFactor row`);
      shapes[srv.name] = twoFactorRowShape(rows[0], u.id);
      const { rows: users } = await db.query('select "twoFactorEnabled" from "user" where id = $1', [u.id]);
      assert.equal(users[0].twoFactorEnabled, true, `${srv.name}: user.twoFactorEnabled`);
    }
    assert.deepEqual(shapes['Better Auth'], {
      columns: ['backupCodes', 'failedVerificationCount', 'id', 'lockedUntil', 'secret', 'userId', 'verified'],
      id: '<32 letters and digits>', secret: shapes['Better Auth'].secret, backupCodes: '<hex>', userId: '<user id>',
      verified: true, failedVerificationCount: 0, lockedUntil: null,
    }, `Better Auth's row: ${JSON.stringify(shapes['Better Auth'])}`);
    assert.deepEqual(shapes['examples/basic'], shapes['Better Auth'], 'examples/basic\'s row (actual) vs Better Auth\'s (expected)');
  });

  for (const [from, to] of both) {
    await t.test(`TOTP: a user enrolled on ${from.name} is challenged and verified by ${to.name}; a challenge of either is completed on the other`, async () => {
      const u = await enroll(from, `totp-${from.kind}`);
      const b = new Agent();
      await challengeOn(to, b, u.email);
      const bad = await b.call(to, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: wrongTotp(u.uri) }));
      assertError(bad, 401, 'INVALID_CODE');
      const r = await b.call(to, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(u.uri) }));
      assertSignedIn(r, b, u.email);
      assert.equal(await whoOn(from, b), u.id, `${from.name} reads the session ${to.name} made`);
      await signOut(from, b);
      // The challenge cookie of one, completed on the other, both ways.
      for (const [x, y] of [[from, to], [to, from]]) {
        await challengeOn(x, b, u.email);
        const r2 = await b.call(y, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(u.uri) }));
        assertSignedIn(r2, b, u.email);
        assert.equal(await whoOn(x, b), u.id, `${x.name} reads the session ${y.name} made`);
        await signOut(y, b);
      }
    });
  }

  for (const [from, to] of both) {
    await t.test(`backup codes: made by ${from.name}, each works on either, once`, async () => {
      const u = await enroll(from, `backup-${from.kind}`);
      const b = new Agent();
      const use = async (srv, code, ok) => {
        await challengeOn(srv, b, u.email);
        const r = await b.call(srv, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code }));
        if (!ok) {
          assertError(r, 401, 'INVALID_BACKUP_CODE');
          return;
        }
        assertSignedIn(r, b, u.email);
        await signOut(srv, b);
      };
      await use(to, u.codes[0], true);
      await use(from, u.codes[0], false); // the challenge stays: the next code completes it
      const r = await b.call(from, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: u.codes[1] }));
      assertSignedIn(r, b, u.email);
      await signOut(from, b);
      await use(to, u.codes[1], false);
      const r2 = await b.call(to, 'twoFactor.verifyBackupCode', (c) => c.twoFactor.verifyBackupCode({ code: u.codes[2] }));
      assertSignedIn(r2, b, u.email);
      const { rows } = await db.query('select "backupCodes" from "twoFactor" where "userId" = $1', [u.id]);
      const left = JSON.parse(await symmetricDecrypt({ key: SECRET, data: rows[0].backupCodes }));
      assert.deepEqual(left, u.codes.slice(3), 'the stored list: the seven unused codes, in order');
    });
  }

  for (const [from, to] of both) {
    await t.test(`OTP: a code sent by ${from.name} is verified by ${to.name}`, async () => {
      const u = await enroll(from, `otp-${from.kind}`);
      const b = new Agent();
      await challengeOn(from, b, u.email);
      const seen = otpCount(from, u.email);
      const s = await b.call(from, 'twoFactor.sendOtp', (c) => c.twoFactor.sendOtp());
      assertOK(s);
      const code = await otpFor(from, u.email, seen);
      const { rows } = await db.query(`select value from verification where identifier like '2fa-otp-2fa-%' and value like $1`, [`${code}:%`]);
      assert.deepEqual(rows.map((x) => x.value), [`${code}:0`], 'the row "2fa-otp-<challenge>" = "<code>:0"');
      const bad = await b.call(to, 'twoFactor.verifyOtp', (c) => c.twoFactor.verifyOtp({ code: String((Number(code) + 1) % 1_000_000).padStart(6, '0') }));
      assertError(bad, 401, 'INVALID_CODE');
      const r = await b.call(to, 'twoFactor.verifyOtp', (c) => c.twoFactor.verifyOtp({ code }));
      assertSignedIn(r, b, u.email);
      assert.equal(await whoOn(from, b), u.id);
    });
  }

  for (const [from, to] of both) {
    await t.test(`trusted device: a trust_device cookie made by ${from.name} is honoured by ${to.name}, and the one ${to.name} renews by ${from.name}`, async () => {
      const u = await enroll(from, `trust-${from.kind}`);
      const b = new Agent();
      await challengeOn(from, b, u.email);
      const r = await b.call(from, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(u.uri), trustDevice: true }));
      assertSignedIn(r, b, u.email);
      const made = b.jar.get(TRUST_COOKIE);
      assert.ok(made, `${r.what}: ${TRUST_COOKIE}`);
      await signOut(from, b);
      const t1 = await b.call(to, 'signIn.email (trusted)', (c) => c.signIn.email({ email: u.email, password: PASSWORD }));
      assertOK(t1);
      assert.equal(t1.data.twoFactorRedirect, undefined, `${t1.what}: not challenged`);
      const renewed = b.jar.get(TRUST_COOKIE);
      assert.ok(renewed && renewed !== made, `${t1.what}: ${TRUST_COOKIE} renewed`);
      assert.equal(await whoOn(from, b), u.id);
      await signOut(to, b);
      const t2 = await b.call(from, 'signIn.email (trusted)', (c) => c.signIn.email({ email: u.email, password: PASSWORD }));
      assertOK(t2);
      assert.equal(t2.data.twoFactorRedirect, undefined, `${t2.what}: not challenged`);
      // The replaced cookie is refused by both.
      for (const srv of [from, to]) {
        const stale = new Agent();
        stale.jar.set(TRUST_COOKIE, made);
        await challengeOn(srv, stale, u.email);
      }
    });
  }

  for (const [from, to] of both) {
    await t.test(`disable on ${from.name}: ${to.name} no longer challenges`, async () => {
      const u = await enroll(to, `disable-${from.kind}`);
      const b = new Agent();
      await challengeOn(from, b, u.email);
      assertSignedIn(await b.call(from, 'twoFactor.verifyTotp', (c) => c.twoFactor.verifyTotp({ code: totp(u.uri) })), b, u.email);
      const d = await b.call(from, 'twoFactor.disable', (c) => c.twoFactor.disable({ password: PASSWORD }));
      assertOK(d);
      const { rows } = await db.query('select count(*)::int as n from "twoFactor" where "userId" = $1', [u.id]);
      assert.equal(rows[0].n, 0, 'the twoFactor row is gone');
      const i = await new Agent().call(to, 'signIn.email', (c) => c.signIn.email({ email: u.email, password: PASSWORD }));
      assertOK(i);
      assert.equal(i.data.twoFactorRedirect, undefined, `${i.what}: not challenged`);
      assert.equal(i.data.user.twoFactorEnabled, false, i.what);
    });
  }
});
