// The script the client test runs, unchanged, against Better Auth 1.7.25 and against examples/basic:
// Better Auth's own vanilla client (better-auth/client) in Node, through a browser-like fetch (cookie
// jar, Origin on every non-GET). Each step asserts exact answers and leaves a normalized record
// (statuses, error codes and messages, data key sets and value types, Set-Cookie shapes, facts) for
// the comparison of the two servers.
import assert from 'node:assert/strict';
import { createHmac, randomBytes } from 'node:crypto';
import { createAuthClient } from 'better-auth/client';
import { CookieJar, browserLikeFetch, parseSetCookie } from './jar.mjs';
import { cookieShape, resultShape, timestampsIn } from './shape.mjs';

const P1 = 'correct-horse-1';
const P2 = 'battery-staple-2';
const P3 = 'mellow-yellow-3';
const SESSION_COOKIE = 'better-auth.session_token';
const WEEK_MS = 7 * 24 * 3600 * 1000;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const USER_KEYS = ['createdAt', 'email', 'emailVerified', 'id', 'image', 'name', 'updatedAt'];
const SESSION_KEYS = ['createdAt', 'expiresAt', 'id', 'ipAddress', 'token', 'updatedAt', 'userAgent', 'userId'];
const ID = /^[A-Za-z0-9]{32}$/;
const TOKEN = /^[A-Za-z0-9]{32}$/;

/** A date the client parsed from JSON, close to this machine's clock (a timestamp misread by the
 * client, e.g. microseconds taken as milliseconds, is minutes off). */
function assertRecentDate(v, what, slackMs = 60_000) {
  assert.ok(v instanceof Date, `${what} is a Date (got ${typeof v}: ${v})`);
  assert.ok(!Number.isNaN(v.getTime()), `${what} is a valid Date`);
  assert.ok(Math.abs(v.getTime() - Date.now()) < slackMs, `${what} ${v.toISOString()} is within ${slackMs} ms of now (${new Date().toISOString()})`);
}

function assertUser(u, { name, email, image = null }, what = 'user') {
  assert.deepEqual(Object.keys(u).sort(), USER_KEYS, `${what} keys`);
  assert.match(u.id, ID, `${what}.id`);
  assert.equal(u.name, name, `${what}.name`);
  assert.equal(u.email, email, `${what}.email`);
  assert.equal(u.emailVerified, false, `${what}.emailVerified`);
  assert.equal(u.image, image, `${what}.image`);
  assertRecentDate(u.createdAt, `${what}.createdAt`, 5 * 60_000);
  assertRecentDate(u.updatedAt, `${what}.updatedAt`, 5 * 60_000);
  assert.ok(u.updatedAt >= u.createdAt, `${what}.updatedAt >= createdAt`);
}

function assertSession(s, what = 'session') {
  assert.deepEqual(Object.keys(s).sort(), SESSION_KEYS, `${what} keys`);
  assert.match(s.id, ID, `${what}.id`);
  assert.match(s.token, TOKEN, `${what}.token`);
  assert.match(s.userId, ID, `${what}.userId`);
  assert.equal(typeof s.ipAddress, 'string', `${what}.ipAddress`);
  assert.equal(typeof s.userAgent, 'string', `${what}.userAgent`);
  assertRecentDate(s.createdAt, `${what}.createdAt`, 5 * 60_000);
  assertRecentDate(s.updatedAt, `${what}.updatedAt`, 5 * 60_000);
  assert.ok(s.expiresAt instanceof Date && !Number.isNaN(s.expiresAt.getTime()), `${what}.expiresAt is a valid Date`);
  assert.ok(Math.abs(s.expiresAt - s.createdAt - WEEK_MS) < 2_000, `${what}.expiresAt is createdAt + 7 days (${s.createdAt.toISOString()} → ${s.expiresAt.toISOString()})`);
}

function assertError(r, status, code, message) {
  assert.equal(r.data, null, 'data is null on error');
  assert.ok(r.error, `an error (got data ${JSON.stringify(r.data)})`);
  assert.deepEqual(
    { status: r.error.status, code: r.error.code, message: r.error.message },
    { status, code, message }, 'error status, code, message');
  assert.deepEqual(Object.keys(r.error).sort(), ['code', 'message', 'status', 'statusText'], 'error keys');
  assert.deepEqual(r.http.setCookies, [], 'no Set-Cookie on an error');
}

function assertOK(r) {
  assert.equal(r.error, null, `no error (got ${JSON.stringify(r.error)})`);
  assert.equal(r.http.status, 200, 'HTTP 200');
}

/** The session cookie Better Auth sets: signed token, a week, Path=/, HttpOnly, SameSite=Lax, no
 * Secure over http, no Domain. */
function assertSessionCookie(setCookies, token, secret, what = 'Set-Cookie') {
  const mine = setCookies.map(parseSetCookie).filter((c) => c.name === SESSION_COOKIE);
  assert.equal(mine.length, 1, `${what}: one ${SESSION_COOKIE} (got ${JSON.stringify(setCookies)})`);
  const [c] = mine;
  const sig = createHmac('sha256', secret).update(token).digest('base64');
  assert.equal(c.value, `${token}.${encodeURIComponent(sig)}`, `${what}: value is token.base64(HMAC-SHA256(secret, token)), URL-encoded`);
  assert.deepEqual(c.attrs, { 'max-age': '604800', path: '/', httponly: true, samesite: 'Lax' }, `${what}: attributes`);
}

function assertCleared(setCookies, what = 'Set-Cookie') {
  const c = setCookies.map(parseSetCookie).find((x) => x.name === SESSION_COOKIE);
  assert.ok(c, `${what}: clears ${SESSION_COOKIE} (got ${JSON.stringify(setCookies)})`);
  assert.equal(c.value, '', `${what}: empty value`);
  assert.equal(c.attrs['max-age'], '0', `${what}: Max-Age=0`);
  assert.equal(c.attrs.path, '/', `${what}: Path=/`);
}

/**
 * Runs the script against the server at origin (Better Auth at origin + /api/auth). Returns
 * { steps: [{ name, calls, facts, failure }], log } — a failed step does not stop the script.
 */
export async function runClientScript(origin, { secret, mails }) {
  const logs = [];
  const mk = (originHeader = origin) => {
    const jar = new CookieJar();
    const log = [];
    logs.push(log);
    const fetch = browserLikeFetch({ jar, origin: originHeader, log });
    const client = createAuthClient({ baseURL: origin, fetchOptions: { customFetchImpl: fetch } });
    return { client, jar, log, fetch };
  };
  const A = mk();
  const B = mk();
  const C = mk();
  const email = `interop-${randomBytes(6).toString('hex')}@example.com`;
  const name = 'Interop User';
  const renamed = 'Interop User Renamed';
  const image = 'https://example.com/a.png';
  const st = {}; // state carried between steps

  const steps = [];
  async function step(stepName, fn) {
    const rec = { name: stepName, calls: [], facts: {}, failure: null };
    const s = {
      /** Calls the client; returns {data, error, http} where http is the exchange on the wire. */
      async call(label, who, fn2) {
        const start = who.log.length;
        const result = await fn2(who.client);
        const http = who.log[start];
        assert.ok(http, `${label}: a request was made`);
        rec.calls.push({ label, request: `${http.method} ${http.path.replace(/^\/api\/auth/, '')}`, ...resultShape(result, http) });
        return { ...result, http };
      },
      /** Records an exchange made without the client (a link followed). A redirect's body is left
       * out: browsers never show it (Go's http.Redirect writes a short HTML one, Better Auth none). */
      raw(label, http) {
        rec.calls.push({
          label, request: `${http.method} ${http.path.replace(/^\/api\/auth/, '')}`, httpStatus: http.status,
          location: http.headers.location ?? null, setCookies: cookieShape(http.setCookies),
        });
      },
      fact(k, v) { rec.facts[k] = v; },
    };
    try {
      await fn(s);
    } catch (err) {
      rec.failure = err;
    }
    steps.push(rec);
  }

  await step('get-session without a cookie answers null', async (s) => {
    const r = await s.call('getSession', A, (c) => c.getSession());
    assertOK(r);
    assert.equal(r.data, null);
    assert.equal(r.http.text, 'null', 'body is exactly null');
    assert.equal(r.http.requestHeaders.origin, undefined, 'GET carries no Origin');
  });

  await step('signUp.email creates the user and a session', async (s) => {
    const r = await s.call('signUp.email', A, (c) => c.signUp.email({ name, email, password: P1 }));
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['token', 'user']);
    assert.match(r.data.token, TOKEN, 'token');
    assertUser(r.data.user, { name, email });
    assertSessionCookie(r.http.setCookies, r.data.token, secret);
    assert.equal(r.http.setCookies.length, 1, 'only the session cookie');
    assert.deepEqual(A.jar.names(), [SESSION_COOKIE]);
    st.user = r.data.user;
    st.signUpToken = r.data.token;
  });

  await step('getSession returns the session and the user', async (s) => {
    const r = await s.call('getSession', A, (c) => c.getSession());
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['session', 'user']);
    assertSession(r.data.session);
    assert.equal(r.data.session.token, st.signUpToken, 'session.token is the sign-up token');
    assert.equal(r.data.session.userId, st.user.id);
    assert.deepEqual(r.data.user, st.user, 'user as sign-up returned it');
    assert.equal(r.http.headers['cache-control'], 'no-store', 'Cache-Control: no-store');
    s.fact('ipAddress', r.data.session.ipAddress);
    s.fact('userAgent', r.data.session.userAgent);
  });

  await step('signUp.email with an existing email (other case) is 422 USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', async (s) => {
    const r = await s.call('signUp.email', B, (c) => c.signUp.email({ name, email: email.toUpperCase(), password: P1 }));
    assertError(r, 422, 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL', 'User already exists. Use another email.');
    assert.equal(r.error.statusText, 'Unprocessable Entity');
  });

  await step('signUp.email with a 7-character password is 400 PASSWORD_TOO_SHORT', async (s) => {
    const r = await s.call('signUp.email', B, (c) => c.signUp.email({ name, email: `short-${email}`, password: '1234567' }));
    assertError(r, 400, 'PASSWORD_TOO_SHORT', 'Password too short');
  });

  await step('signUp.email with an invalid email is 400 VALIDATION_ERROR', async (s) => {
    const r = await s.call('signUp.email', B, (c) => c.signUp.email({ name, email: 'not-an-email', password: P1 }));
    assertError(r, 400, 'VALIDATION_ERROR', '[body.email] Invalid email address');
  });

  await step('signIn.email with a wrong password is 401 INVALID_EMAIL_OR_PASSWORD', async (s) => {
    const r = await s.call('signIn.email', B, (c) => c.signIn.email({ email, password: 'wrong-password-9' }));
    assertError(r, 401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password');
  });

  await step('signIn.email with an unknown email is 401 INVALID_EMAIL_OR_PASSWORD', async (s) => {
    const r = await s.call('signIn.email', B, (c) => c.signIn.email({ email: `nobody-${email}`, password: P1 }));
    assertError(r, 401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password');
  });

  await step('signOut ends the session and clears the cookie in its own response', async (s) => {
    st.oldCookie = A.jar.get(SESSION_COOKIE);
    const r = await s.call('signOut', A, (c) => c.signOut());
    assertOK(r);
    assert.deepEqual(r.data, { success: true });
    assert.equal(r.http.requestBody, '{}', 'signOut sends the body {}');
    assertCleared(r.http.setCookies);
    assert.deepEqual(A.jar.names(), []);
    const g = await s.call('getSession after signOut', A, (c) => c.getSession());
    assertOK(g);
    assert.equal(g.data, null);
    // The old cookie, replayed: its session row is gone.
    const replay = mk();
    replay.jar.set(SESSION_COOKIE, st.oldCookie);
    const g2 = await s.call('getSession with the pre-sign-out cookie', replay, (c) => c.getSession());
    assertOK(g2);
    assert.equal(g2.data, null);
  });

  await step('signIn.email signs in again', async (s) => {
    const r = await s.call('signIn.email', A, (c) => c.signIn.email({ email, password: P1 }));
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['redirect', 'token', 'user']);
    assert.equal(r.data.redirect, false);
    assert.match(r.data.token, TOKEN);
    assert.notEqual(r.data.token, st.signUpToken, 'a new session');
    assertUser(r.data.user, { name, email });
    assert.deepEqual(r.data.user, st.user);
    assertSessionCookie(r.http.setCookies, r.data.token, secret);
    const g = await s.call('getSession', A, (c) => c.getSession());
    assertOK(g);
    assert.equal(g.data.session.token, r.data.token);
    st.sessionA = g.data.session;
    const b = await s.call('signIn.email (second client)', B, (c) => c.signIn.email({ email, password: P1 }));
    assertOK(b);
    st.tokenB = b.data.token;
  });

  await step('listSessions lists both sessions, with the ids get-session shows', async (s) => {
    const r = await s.call('listSessions', A, (c) => c.listSessions());
    assertOK(r);
    assert.equal(r.http.method, 'GET', 'listSessions is a GET');
    assert.ok(Array.isArray(r.data), 'an array');
    r.data.forEach((x, i) => assertSession(x, `sessions[${i}]`));
    assert.deepEqual(r.data.map((x) => x.token).sort(), [st.sessionA.token, st.tokenB].sort(), 'the two live sessions');
    const mine = r.data.find((x) => x.token === st.sessionA.token);
    assert.equal(mine.id, st.sessionA.id, 'same id as get-session session.id');
    assert.deepEqual(mine, st.sessionA, 'same session as get-session');
    s.fact('count', r.data.length);
  });

  await step('updateUser changes name and image, visible at once in getSession', async (s) => {
    const r = await s.call('updateUser', A, (c) => c.updateUser({ name: renamed, image }));
    assertOK(r);
    assert.deepEqual(r.data, { status: true });
    const g = await s.call('getSession right after', A, (c) => c.getSession());
    assertOK(g);
    assertUser(g.data.user, { name: renamed, email, image });
    assert.equal(g.data.user.id, st.user.id);
    assert.deepEqual(g.data.user.createdAt, st.user.createdAt, 'createdAt unchanged');
    assert.ok(g.data.user.updatedAt >= st.user.updatedAt, 'updatedAt moved forward');
    const b = await s.call('getSession (second client)', B, (c) => c.getSession());
    assertOK(b);
    assert.equal(b.data.user.name, renamed);
    st.user = g.data.user;
  });

  await step('changePassword with a wrong current password is 400 INVALID_PASSWORD', async (s) => {
    const r = await s.call('changePassword', A, (c) => c.changePassword({ currentPassword: 'not-the-password', newPassword: P2 }));
    assertError(r, 400, 'INVALID_PASSWORD', 'Invalid password');
  });

  await step('changePassword without revokeOtherSessions keeps the other sessions', async (s) => {
    const r = await s.call('changePassword', A, (c) => c.changePassword({ currentPassword: P1, newPassword: P2 }));
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['token', 'user']);
    assert.equal(r.data.token, null);
    assert.deepEqual(r.data.user, st.user);
    const a = await s.call('getSession', A, (c) => c.getSession());
    assert.equal(a.data?.session.token, st.sessionA.token, 'still the same session');
    const b = await s.call('getSession (second client)', B, (c) => c.getSession());
    assert.equal(b.data?.session.token, st.tokenB, 'the other session survives');
    const old = await s.call('signIn.email, old password', C, (c) => c.signIn.email({ email, password: P1 }));
    assertError(old, 401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password');
    const neu = await s.call('signIn.email, new password', C, (c) => c.signIn.email({ email, password: P2 }));
    assertOK(neu);
    st.tokenC = neu.data.token;
  });

  await step('changePassword with revokeOtherSessions: new session for the caller, others revoked', async (s) => {
    const r = await s.call('changePassword', A, (c) => c.changePassword({ currentPassword: P2, newPassword: P3, revokeOtherSessions: true }));
    assertOK(r);
    assert.deepEqual(Object.keys(r.data).sort(), ['token', 'user']);
    assert.match(r.data.token ?? '', TOKEN, 'a new token');
    assert.notEqual(r.data.token, st.sessionA.token);
    assert.deepEqual(r.data.user, st.user);
    assertSessionCookie(r.http.setCookies, r.data.token, secret);
    const a = await s.call('getSession', A, (c) => c.getSession());
    assertOK(a);
    assert.equal(a.data?.session.token, r.data.token, 'the caller now holds the new session');
    const b = await s.call('getSession (second client)', B, (c) => c.getSession());
    assert.equal(b.data, null, 'second client signed out');
    const cc = await s.call('getSession (third client)', C, (c) => c.getSession());
    assert.equal(cc.data, null, 'third client signed out');
    const l = await s.call('listSessions', A, (c) => c.listSessions());
    assert.deepEqual(l.data.map((x) => x.token), [r.data.token]);
    st.sessionA = a.data.session;
  });

  await step('revokeOtherSessions signs out every other session', async (s) => {
    const b = await s.call('signIn.email (second client)', B, (c) => c.signIn.email({ email, password: P3 }));
    assertOK(b);
    const cc = await s.call('signIn.email (third client)', C, (c) => c.signIn.email({ email, password: P3 }));
    assertOK(cc);
    const r = await s.call('revokeOtherSessions', A, (c) => c.revokeOtherSessions());
    assertOK(r);
    assert.deepEqual(r.data, { status: true });
    assert.equal((await s.call('getSession (second client)', B, (c) => c.getSession())).data, null);
    assert.equal((await s.call('getSession (third client)', C, (c) => c.getSession())).data, null);
    const a = await s.call('getSession', A, (c) => c.getSession());
    assert.equal(a.data?.session.token, st.sessionA.token, 'the caller keeps its session');
    const l = await s.call('listSessions', A, (c) => c.listSessions());
    assert.equal(l.data.length, 1);
  });

  await step('revokeSession revokes one session by token', async (s) => {
    const b = await s.call('signIn.email (second client)', B, (c) => c.signIn.email({ email, password: P3 }));
    assertOK(b);
    const l = await s.call('listSessions', A, (c) => c.listSessions());
    assert.ok(l.data.some((x) => x.token === b.data.token), 'the new session is listed');
    const r = await s.call('revokeSession', A, (c) => c.revokeSession({ token: b.data.token }));
    assertOK(r);
    assert.deepEqual(r.data, { status: true });
    assert.equal((await s.call('getSession (second client)', B, (c) => c.getSession())).data, null);
    const a = await s.call('getSession', A, (c) => c.getSession());
    assert.equal(a.data?.session.token, st.sessionA.token, 'the caller keeps its session');
  });

  await step('a POST from an untrusted Origin is 403', async (s) => {
    const evil = mk(origin.replace('127.0.0.1', 'localhost'));
    const r = await s.call('signIn.email', evil, (c) => c.signIn.email({ email, password: P3 }));
    assert.equal(r.data, null);
    assert.equal(r.error?.status, 403);
    assert.deepEqual(evil.jar.names(), []);
    s.fact('code', r.error?.code);
    s.fact('message', r.error?.message);
  });

  await step('deleteUser without a session is 401 UNAUTHORIZED', async (s) => {
    const r = await s.call('deleteUser', B, (c) => c.deleteUser({}));
    assertError(r, 401, 'UNAUTHORIZED', 'Unauthorized');
  });

  await step('signOut, then signIn.email again', async (s) => {
    const r = await s.call('signOut', A, (c) => c.signOut());
    assertOK(r);
    assert.deepEqual(r.data, { success: true });
    assertCleared(r.http.setCookies);
    assert.equal((await s.call('getSession', A, (c) => c.getSession())).data, null);
    const i = await s.call('signIn.email', A, (c) => c.signIn.email({ email, password: P3 }));
    assertOK(i);
    assertSessionCookie(i.http.setCookies, i.data.token, secret);
  });

  // examples/basic enables delete-user with a confirmation mail (user.deleteUser.enabled and
  // sendDeleteAccountVerification in Better Auth's words); the reference server is set up the same.
  await step('deleteUser mails a confirmation link; following it deletes the user', async (s) => {
    const before = mails().length;
    const r = await s.call('deleteUser', A, (c) => c.deleteUser({}));
    assertOK(r);
    assert.deepEqual(r.data, { success: true, message: 'Verification email sent' });
    assert.deepEqual(r.http.setCookies, []);
    let m;
    for (let i = 0; i < 100 && !m; i++) {
      m = mails().slice(before).find((x) => x.kind === 'delete-account');
      if (!m) await sleep(20);
    }
    assert.ok(m, 'a delete-account mail was sent');
    assert.equal(m.to, email);
    const u = new URL(m.url);
    assert.equal(`${u.origin}${u.pathname}`, `${origin}/api/auth/delete-user/callback`, 'the link goes to /delete-user/callback');
    assert.equal(u.searchParams.get('token'), m.token, 'the link carries the token');
    s.fact('mail url', m.url.replace(origin, 'ORIGIN').replace(m.token, 'TOKEN'));
    const still = await s.call('getSession before following the link', A, (c) => c.getSession());
    assert.equal(still.data?.user.email, email, 'nothing deleted yet');

    // The user opens the link in the same browser (it needs the session cookie).
    const start = A.log.length;
    const res = await A.fetch(m.url);
    const x = A.log[start];
    s.raw('GET the link', x);
    assert.equal(res.status, 302, 'redirects to callbackURL');
    assert.equal(res.headers.get('location'), '/');
    assertCleared(x.setCookies);
    assert.deepEqual(A.jar.names(), []);
    const g = await s.call('getSession after deletion', A, (c) => c.getSession());
    assertOK(g);
    assert.equal(g.data, null);
    const again = await s.call('signIn.email after deletion', C, (c) => c.signIn.email({ email, password: P3 }));
    assertError(again, 401, 'INVALID_EMAIL_OR_PASSWORD', 'Invalid email or password');
  });

  await step('every timestamp on the wire has three fractional digits; every request had the right Origin', async (s) => {
    const all = logs.flat();
    const stamps = all.flatMap((e) => timestampsIn(e.text));
    assert.ok(stamps.length > 20, `timestamps seen (${stamps.length})`);
    const bad = stamps.filter((t) => !/^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"$/.test(t));
    assert.deepEqual(bad, [], 'timestamps not in toISOString() form');
    for (const e of all) {
      if (e.method === 'GET') assert.equal(e.requestHeaders.origin, undefined);
      else assert.ok(e.requestHeaders.origin, `${e.method} ${e.path} carried Origin`);
    }
    s.fact('requests', all.map((e) => `${e.method} ${e.path.replace(/^\/api\/auth/, '')} ${e.status}`));
  });

  await sleep(0);
  return { steps, logs };
}
