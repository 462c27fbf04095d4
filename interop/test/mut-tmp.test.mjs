// Better Auth 1.7.25's React client (better-auth/react, useSession) in headless Chromium against
// examples/basic, through a same-origin proxy (page at /, /api/* forwarded). Checks every point of
// /work/shared/client-notes.md a browser can observe.
//
// CHROMIUM (default /usr/bin/chromium): the browser binary; playwright never downloads one.
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { chromium } from 'playwright-core';
import { parseSetCookie } from '../lib/jar.mjs';
import { buildPage } from '../lib/page.mjs';
import { startProxy } from '../lib/proxy.mjs';
import { INTEROP_DIR, buildBasic, startBasic } from '../lib/servers.mjs';

const CHROMIUM = process.env.CHROMIUM || '/usr/bin/chromium';
const OUT = path.join(INTEROP_DIR, 'out');
const WEEK_S = 7 * 24 * 3600;
const SESSION_COOKIE = 'better-auth.session_token';
const UI_TIMEOUT = 10_000;

let tmp;
let proxy;
let go;
let context;
let page;
const consoleErrors = [];
const cleanups = [];

before(async () => {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} not found: apt-get install -y chromium (or set CHROMIUM)`);
  tmp = mkdtempSync(path.join(os.tmpdir(), 'betterauth-browser-'));
  cleanups.push(() => rmSync(tmp, { recursive: true, force: true }));
  const [staticDir] = await Promise.all([buildPage(path.join(tmp, 'static')), buildBasic()]);
  proxy = await startProxy({ staticDir });
  cleanups.push(() => proxy.close());
  // The public origin is the proxy's: that is where the page lives and what Origin says.
  go = await startBasic({});
  cleanups.push(() => go.stop());
  proxy.state.upstream = go.origin;

  context = await chromium.launchPersistentContext(path.join(tmp, 'profile'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    timeout: 60_000,
    viewport: { width: 900, height: 700 },
  });
  cleanups.push(() => context.close());
  page = context.pages()[0] ?? await context.newPage();
  page.setDefaultTimeout(UI_TIMEOUT);
  page.on('console', (m) => { if (m.type() === 'error') consoleErrors.push(`console: ${m.text()}`); });
  page.on('pageerror', (e) => consoleErrors.push(`pageerror: ${e.message}`));
  page.on('requestfailed', (r) => consoleErrors.push(`requestfailed: ${r.method()} ${r.url()} ${r.failure()?.errorText}`));
}, { timeout: 300_000 });

after(async () => {
  if (process.env.INTEROP_DEBUG) console.error(JSON.stringify({ consoleErrors, log: proxy?.state.log.map((e) => [e.method, e.path, e.status, e.requestHeaders.host, e.setCookies]) }, null, 1));
  for (const fn of cleanups.reverse()) {
    try { await fn(); } catch {}
  }
});

const byId = (id) => page.getByTestId(id);
const email = `browser-${Date.now().toString(36)}@example.com`;
const password = 'correct-horse-1';
const name = 'Browser User';
const renamed = 'Browser User Renamed';

/** The exchanges the proxy forwarded since index `from`, for one method and API path. */
function exchanges(from, method, apiPath) {
  return proxy.state.log.slice(from).filter((e) => e.method === method && e.path.split('?')[0] === `/api/auth${apiPath}`);
}

/** Waits until the proxy has seen a matching exchange (the client fetches /get-session ~10 ms
 * after a write, so the UI may already show the result). */
async function waitExchange(from, method, apiPath, n = 1) {
  const deadline = Date.now() + UI_TIMEOUT;
  while (Date.now() < deadline) {
    const xs = exchanges(from, method, apiPath);
    if (xs.length >= n && xs.every((x) => x.status)) return xs;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error(`no ${method} ${apiPath} seen by the proxy`);
}

async function sessionCookies() {
  return (await context.cookies(proxy.origin)).filter((c) => c.name.startsWith('better-auth'));
}

async function expectSignedIn(who) {
  await assert.doesNotReject(byId('status').filter({ hasText: 'signed-in' }).waitFor(), 'shows signed-in');
  await byId('user-name').filter({ hasText: new RegExp(`^${who}$`) }).waitFor();
  assert.equal(await byId('user-name').textContent(), who);
  assert.equal(await byId('user-email').textContent(), email);
  assert.equal(await byId('dates').textContent(), 'ok', 'the client parsed the dates into sane Date objects');
}

async function expectSignedOut() {
  await byId('status').filter({ hasText: 'signed-out' }).waitFor();
  assert.equal(await byId('user-name').count(), 0);
}

test('React client in Chromium against examples/basic', { timeout: 120_000 }, async (t) => {
  await t.test('the signed-out page loads: GET /get-session answers 200 null', async () => {
    const from = proxy.state.log.length;
    await page.goto(`${proxy.origin}/`);
    await expectSignedOut();
    const [g] = await waitExchange(from, 'GET', '/get-session');
    assert.equal(g.status, 200);
    assert.equal(g.responseBody, 'null');
  });

  await t.test('sign-up: the name appears through useSession; cookie as Better Auth sets it', async () => {
    const from = proxy.state.log.length;
    await byId('name').fill(name);
    await byId('email').fill(email);
    await byId('password').fill(password);
    await byId('sign-up').click();
    await expectSignedIn(name);
    const [x] = await waitExchange(from, 'POST', '/sign-up/email');
    assert.equal(x.status, 200, `sign-up answered ${x.status} ${x.responseBody}`);
    // The client refetched the session after the write and found it (writes committed first).
    const gets = await waitExchange(from, 'GET', '/get-session');
    assert.ok(gets.some((g) => JSON.parse(g.responseBody)?.user?.email === email), 'a get-session after sign-up saw the user');

    const cookies = await sessionCookies();
    assert.deepEqual(cookies.map((c) => c.name), [SESSION_COOKIE], 'exactly one Better Auth cookie');
    const [c] = cookies;
    assert.equal(c.httpOnly, true, 'HttpOnly');
    assert.equal(c.sameSite, 'Lax', 'SameSite=Lax');
    assert.equal(c.secure, false, 'not Secure over http');
    assert.equal(c.path, '/', 'Path=/');
    assert.equal(c.domain, '127.0.0.1', 'host-only cookie for the page\'s host');
    assert.ok(Math.abs(c.expires - (Date.now() / 1000 + WEEK_S)) < 120, `expires in a week (${new Date(c.expires * 1000).toISOString()})`);
    const raw = parseSetCookie(x.setCookies.find((h) => h.startsWith(`${SESSION_COOKIE}=`)));
    assert.deepEqual(raw.attrs, { 'max-age': '604800', path: '/', httponly: true, samesite: 'Lax' }, 'Set-Cookie attributes, no Domain, no Secure');
  });

  await t.test('reload: still signed in', async () => {
    await page.reload();
    await expectSignedIn(name);
  });

  await t.test('listSessions is a GET whose items carry get-session\'s session.id', async () => {
    const from = proxy.state.log.length;
    await byId('list-sessions').click();
    await byId('sessions').waitFor();
    assert.equal(await byId('sessions').textContent(), '1 session(s), current listed: yes');
    const [x] = await waitExchange(from, 'GET', '/list-sessions');
    assert.equal(x.status, 200);
  });

  await t.test('updateUser: the new name appears', async () => {
    const from = proxy.state.log.length;
    await byId('new-name').fill(renamed);
    await byId('update-user').click();
    await expectSignedIn(renamed);
    const [x] = await waitExchange(from, 'POST', '/update-user');
    assert.equal(x.status, 200, `update-user answered ${x.status} ${x.responseBody}`);
    assert.deepEqual(JSON.parse(x.requestBody), { name: renamed });
  });

  await t.test('sign-out: signed-out state; the cookie is cleared by the sign-out response itself', async () => {
    const from = proxy.state.log.length;
    await byId('sign-out').click();
    await expectSignedOut();
    const [x] = await waitExchange(from, 'POST', '/sign-out');
    assert.equal(x.status, 200);
    assert.equal(x.requestBody, '{}', 'signOut() posts {}');
    const cleared = x.setCookies.map(parseSetCookie).find((c) => c.name === SESSION_COOKIE);
    assert.ok(cleared, `sign-out's own response clears ${SESSION_COOKIE} (got ${JSON.stringify(x.setCookies)})`);
    assert.equal(cleared.value, '');
    assert.equal(cleared.attrs['max-age'], '0');
    assert.equal(cleared.attrs.path, '/');
    assert.deepEqual(await sessionCookies(), [], 'no Better Auth cookie left in the browser');
  });

  await t.test('errors are shown word for word: duplicate sign-up (422), wrong password (401)', async () => {
    let from = proxy.state.log.length;
    await byId('name').fill(name);
    await byId('email').fill(email);
    await byId('password').fill(password);
    await byId('sign-up').click();
    await byId('error').filter({ hasText: 'User already exists. Use another email.' }).waitFor();
    let [x] = await waitExchange(from, 'POST', '/sign-up/email');
    assert.equal(x.status, 422);
    assert.deepEqual(JSON.parse(x.responseBody), { message: 'User already exists. Use another email.', code: 'USER_ALREADY_EXISTS_USE_ANOTHER_EMAIL' });

    from = proxy.state.log.length;
    await byId('password').fill('wrong-password-9');
    await byId('sign-in').click();
    await byId('error').filter({ hasText: 'Invalid email or password' }).waitFor();
    [x] = await waitExchange(from, 'POST', '/sign-in/email');
    assert.equal(x.status, 401);
    assert.equal(JSON.parse(x.responseBody).code, 'INVALID_EMAIL_OR_PASSWORD');
    await expectSignedOut();
  });

  await t.test('sign-in: the (new) name appears again', async () => {
    const from = proxy.state.log.length;
    await byId('password').fill(password);
    await byId('sign-in').click();
    await expectSignedIn(renamed);
    const [x] = await waitExchange(from, 'POST', '/sign-in/email');
    assert.equal(x.status, 200, `sign-in answered ${x.status} ${x.responseBody}`);
    assert.deepEqual((await sessionCookies()).map((c) => c.name), [SESSION_COOKIE]);
    mkdirSync(OUT, { recursive: true });
    await page.screenshot({ path: path.join(OUT, 'browser.png'), fullPage: true });
  });

  await t.test('every POST carried Origin = the page\'s origin and Sec-Fetch-Site: same-origin; no GET carried Origin', () => {
    const log = proxy.state.log;
    assert.ok(log.some((e) => e.method === 'POST'), 'POSTs were made');
    for (const e of log) {
      if (e.method === 'POST') {
        assert.equal(e.requestHeaders.origin, proxy.origin, `${e.path}: Origin`);
        assert.equal(e.requestHeaders['sec-fetch-site'], 'same-origin', `${e.path}: Sec-Fetch-Site`);
      } else {
        assert.equal(e.requestHeaders.origin, undefined, `${e.method} ${e.path}: no Origin`);
      }
    }
  });

  await t.test('get-session never asks for a refresh (no needsRefresh), no POST /get-session', () => {
    const log = proxy.state.log;
    assert.deepEqual(log.filter((e) => e.path.startsWith('/api/auth/get-session') && e.method !== 'GET').map((e) => e.method), []);
    for (const e of log.filter((x) => x.path.startsWith('/api/auth/get-session'))) {
      assert.ok(!e.responseBody.includes('needsRefresh'), `no needsRefresh in ${e.responseBody.slice(0, 80)}`);
    }
  });

  await t.test('every timestamp the page received has three fractional digits', () => {
    const stamps = proxy.state.log.flatMap((e) => e.responseBody.match(/"\d{4}-\d{2}-\d{2}T[^"]*"/g) ?? []);
    assert.ok(stamps.length > 5, `timestamps seen: ${stamps.length}`);
    assert.deepEqual(stamps.filter((s) => !/^"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z"$/.test(s)), []);
  });

  await t.test('no console errors or page errors, except the two deliberate failed requests', () => {
    // Chromium logs "Failed to load resource: ... 422/401" for the two error-path requests above.
    const unexpected = consoleErrors.filter((m) => !/^console: Failed to load resource: the server responded with a status of (422|401) /.test(m));
    assert.deepEqual(unexpected, []);
  });
});
